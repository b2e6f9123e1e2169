#![no_main]
//! Arbitrary bytes as a whole binary (ELF/Mach-O/PE parsing, section and symbol lookup, the
//! header scan) and as a bare pclntab: errors are fine, panics and unbounded work are not.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = drydock_gosym::read(data) {
        let _ = t.symbols();
    }
    if let Ok(t) = drydock_gosym::read_table(data) {
        let _ = t.symbols();
    }
});

#![no_main]
//! Arbitrary bytes as a whole binary (ELF/Mach-O/PE parsing, section and symbol lookup, the
//! header scan, the platform, Rust symbols and their demangling) and as a bare pclntab:
//! errors are fine, panics and unbounded work are not.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = drydock_gosym::read(data) {
        let _ = t.symbols();
    }
    if let Ok(t) = drydock_gosym::read_table(data) {
        let _ = t.symbols();
    }
    let _ = drydock_gosym::platform(data);
    if let Ok(s) = drydock_gosym::read_rust(data) {
        for paths in s.crates.values() {
            let _ = drydock_gosym::rust_function_linked(paths, "a::B::c");
        }
    }
    // The bytes as a demangled name.
    if let Ok(name) = std::str::from_utf8(data) {
        let _ = drydock_gosym::rust_paths(name);
    }
});

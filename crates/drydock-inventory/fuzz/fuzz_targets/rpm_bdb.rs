//! Fuzzes the rpm analyzer's reader of a Berkeley DB hash `Packages` file: any input must give
//! `Ok` or `Err`, never a panic, an out-of-bounds read or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = drydock_inventory::rpm_fuzzing::bdb(data);
});

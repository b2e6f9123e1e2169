//! Every scheme's native range parser: no panics.
#![no_main]

use drydock_version::{Scheme, in_native_range};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(sel) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (version, range) = text.split_once('\t').unwrap_or(("1.0.0", &text));
    let _ = in_native_range(scheme, version, range);
});

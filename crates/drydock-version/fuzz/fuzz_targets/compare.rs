//! Every scheme's parser and comparison: no panics, and the order is antisymmetric and
//! reflexive on whatever parses.
#![no_main]

use drydock_version::{Scheme, compare, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(sel) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (a, b) = text.split_once('\t').unwrap_or((&text, "1.0.0"));
    let va = validate(scheme, a).is_ok();
    let vb = validate(scheme, b).is_ok();
    match compare(scheme, a, b) {
        Ok(o) => {
            assert!(va && vb, "compare accepted what validate refused");
            assert_eq!(
                compare(scheme, b, a).ok(),
                Some(o.reverse()),
                "antisymmetry"
            );
            assert_eq!(compare(scheme, a, a).ok(), Some(std::cmp::Ordering::Equal));
        }
        Err(e) => {
            assert!(!(va && vb), "validated versions failed to compare: {e}");
        }
    }
});

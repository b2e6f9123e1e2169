//! OSV range evaluation over arbitrary event lists: no panics.
#![no_main]

use drydock_version::{RangeEvent, Scheme, in_osv_range};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(sel) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\t');
    let version = parts.next().unwrap_or_default();
    let events: Vec<RangeEvent> = parts
        .map(|p| {
            let kind = p.chars().next().unwrap_or('x');
            let v = p[kind.len_utf8().min(p.len())..].to_string();
            match kind {
                'i' => RangeEvent::Introduced(v),
                'f' => RangeEvent::Fixed(v),
                'l' => RangeEvent::LastAffected(v),
                _ => RangeEvent::Limit(v),
            }
        })
        .collect();
    let _ = in_osv_range(scheme, version, &events);
});

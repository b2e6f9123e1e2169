//! Vector and profile parsers on arbitrary input: never panic; whatever parses must print
//! back to a vector that parses to itself, score within 0.0–10.0, and take any profile.
#![no_main]

use drydock_cvss::{EnvProfile, EnvProfiles, parse};
use libfuzzer_sys::fuzz_target;

fn check(text: &str) {
    let Ok(vector) = parse(text) else { return };
    let printed = vector.to_string();
    let again = parse(&printed).expect("a printed vector parses");
    assert_eq!(again, vector, "round trip of `{printed}`");
    let s = vector.scores();
    for score in [Some(s.base_score), s.temporal_score, s.threat_score, s.environmental_score]
        .into_iter()
        .flatten()
    {
        assert!((0.0..=10.0).contains(&score), "{score} for `{printed}`");
    }
    if let Ok(profile) = EnvProfile::parse("MAV:A/CR:H/IR:M/AR:L/MUI:A/MC:N/MSI:S/CDP:H/TD:L") {
        if let Ok(v) = vector.with_env(&profile) {
            let _ = v.scores();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text);
    // The same bytes as a profile, applied to one vector of each major version.
    if let Ok(profile) = EnvProfile::parse(&text) {
        for v in [
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ] {
            let vector = parse(v).expect("valid vector");
            if let Ok(v) = vector.with_env(&profile) {
                let _ = v.scores();
            }
        }
    }
    let _ = EnvProfiles::from_toml_str(&text);
});

//! Fuzzes the Dockerfile parser and the Dockerfile checks: any input must give a parse error
//! or findings, never a panic or a hang. Seeds: the fixture Dockerfiles
//! (`python3 ../tests/fixtures/make_fixtures.py /tmp/fx && cp /tmp/fx/dockerfiles/* corpus/dockerfile/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(df) = drydock_misconfig::Dockerfile::parse(data) {
        let _ = drydock_misconfig::check_dockerfile(&df, "Dockerfile");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = drydock_misconfig::secret::scan(text);
        let _ = drydock_misconfig::shell::analyse(text);
    }
});

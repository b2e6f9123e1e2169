//! Every feed reader on arbitrary bytes: the first byte picks the reader (an OSV record, an
//! OSV `all.zip`, an Alpine secdb document, the Debian tracker JSON, an NVD API page), which
//! reads the rest. Bad input must be a skip, never a panic.
#![no_main]

use drydock_advisory::fuzzing;
use libfuzzer_sys::fuzz_target;

const READERS: &[fn(&[u8]) -> fuzzing::Counts] = &[
    fuzzing::osv_record,
    fuzzing::osv_zip,
    fuzzing::secdb,
    fuzzing::debian,
    fuzzing::nvd,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let _ = READERS[usize::from(pick) % READERS.len()](content);
});

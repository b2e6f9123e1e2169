//! The tar reader on arbitrary bytes: every header form (ustar, GNU long names, PAX records,
//! base-256 sizes, sparse maps of every version) and every file's content, holes included.
//! It must return an error or a count, never panic, hang or allocate past its bounds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = drydock_image::fuzzing::tar_entries(data);
});

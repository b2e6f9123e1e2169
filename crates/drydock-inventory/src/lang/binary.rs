//! Executables: Go build info and `cargo auditable` dependency lists, read from the one
//! content buffer the walk hands over (ELF, PE and Mach-O through `object`; no copies).
//!
//! Every regular executable file is wanted (the check is the mode bits), so [`analyze`]
//! first looks at the magic number and returns nothing for scripts and data.
//!
//! [`analyze`]: BinaryAnalyzer::analyze

mod go;

use std::io::Read;

use drydock_image::{EntryKind, FileMeta};
use object::{Object, ObjectSection};

use super::rust::parse_auditable;
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// The largest `cargo auditable` JSON accepted once inflated (its format caps the
/// compressed section at 8 MiB).
const MAX_AUDITABLE_JSON: u64 = 8 << 20;

/// Go and Rust binaries.
#[derive(Debug)]
pub(crate) struct BinaryAnalyzer;

impl Analyzer for BinaryAnalyzer {
    fn name(&self) -> &'static str {
        "binary"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        meta.kind == EntryKind::File
            && meta.size >= 1024
            && (meta.is_executable() || path.ends_with(".exe"))
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        if !is_object(content) {
            return Ok(Analysis::default());
        }
        // A file that `object` cannot parse can still carry Go build info: the search
        // below falls back to scanning for its magic.
        let file = object::File::parse(content).ok();
        let mut packages = Vec::new();
        let mut warnings = Vec::new();
        if let Some((go, warning)) = go::read(file.as_ref(), content)? {
            packages.extend(go);
            warnings.extend(warning);
        }
        if let Some(section) = file.as_ref().and_then(|f| f.section_by_name(".dep-v0")) {
            let compressed = section.data().map_err(|e| {
                AnalyzeError::malformed(format!("unreadable `.dep-v0` section: {e}"))
            })?;
            let mut json = Vec::new();
            flate2::read::ZlibDecoder::new(compressed)
                .take(MAX_AUDITABLE_JSON + 1)
                .read_to_end(&mut json)
                .map_err(|e| AnalyzeError::malformed(format!("`.dep-v0` does not inflate: {e}")))?;
            if json.len() as u64 > MAX_AUDITABLE_JSON {
                return Err(AnalyzeError::malformed(format!(
                    "`.dep-v0` inflates past {MAX_AUDITABLE_JSON} bytes"
                )));
            }
            let mut crates = parse_auditable(&json)?;
            rust_symbols(&mut crates, content);
            packages.extend(crates);
        }
        Ok(Analysis {
            packages,
            warnings,
            ..Analysis::default()
        })
    }
}

/// Records on each crate of a `cargo auditable` binary the functions its symbol table names
/// from it ([`drydock_gosym::read_rust`]), for RustSec's `affects.functions`. A binary
/// without symbols (stripped) marks every crate unreadable: reachability unknown.
fn rust_symbols(crates: &mut [drydock_package::Package], content: &[u8]) {
    let symbols = drydock_gosym::read_rust(content).map_err(|e| e.to_string());
    for c in crates {
        let ident = c.name.replace('-', "_");
        c.linked = Some(match &symbols {
            Ok(s) => drydock_package::LinkedSymbols {
                packages: s
                    .crates
                    .get(&ident)
                    .map(|p| (ident, p.clone()))
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
            Err(e) => drydock_package::LinkedSymbols {
                unreadable: Some(format!("Rust symbols: {e}")),
                ..Default::default()
            },
        });
    }
}

/// ELF, PE (`MZ`) or thin Mach-O magic (fat Mach-O shares `cafebabe` with Java classes and is
/// left out).
fn is_object(content: &[u8]) -> bool {
    matches!(
        content.get(..4),
        Some(b"\x7fELF" | [b'M', b'Z', _, _])
            | Some([0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic() {
        assert!(is_object(b"\x7fELF\x02\x01"));
        assert!(is_object(b"MZ\x90\x00"));
        assert!(is_object(&[0xcf, 0xfa, 0xed, 0xfe]));
        assert!(!is_object(b"#!/bin/sh\n"));
        assert!(!is_object(b"\x7fE"));
    }

    #[test]
    fn scripts_are_not_binaries() {
        let a = BinaryAnalyzer
            .analyze("usr/bin/x", b"#!/bin/sh\necho hi\n")
            .expect("no error");
        assert!(a.packages.is_empty());
    }

    #[test]
    fn truncated_elf_is_not_a_panic() {
        let a = BinaryAnalyzer.analyze("x", b"\x7fELF\x02\x01\x01\x00garbage");
        assert!(a.is_ok_and(|a| a.packages.is_empty()));
    }
}

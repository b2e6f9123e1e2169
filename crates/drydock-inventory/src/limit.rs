//! What one file may cost an analyzer (issue 14 case 10; every bound is in `docs/limits.md`).
//!
//! A wanted file is read whole, bounded by `--max-file-size` (512 MiB). Its parse must not
//! cost many times that: the OS databases (dpkg, apk) are parsed a record at a time over the
//! file's bytes, rpm databases a header at a time, TOML lockfiles a `[[package]]` table at a
//! time, and every file may yield at most [`Bounds::max_packages`] packages; JSON and YAML
//! documents (lockfiles and metadata), parsed whole at several times their size, are parsed
//! only up to [`Bounds::max_document_size`]. Past either bound the file is an error naming
//! it and the bound (a warning for a language file, the scan's error for an OS database:
//! never a silent skip).
//!
//! The bounds are the defaults unless the command line set others ([`set_bounds`],
//! `--max-packages`, `--max-document-size`) before the scan.

use std::sync::atomic::{AtomicUsize, Ordering};

use drydock_package::Package;

use crate::AnalyzeError;

/// Packages one file may yield by default. Debian's whole archive is about 65,000 binary
/// packages; the largest lockfiles seen hold tens of thousands.
pub const MAX_PACKAGES_PER_FILE: usize = 100_000;

/// Largest JSON or YAML document parsed by default (they are parsed as a whole, at several
/// times their size in memory: measured, a 23 MiB `package-lock.json` of 90,000 packages
/// peaks at 160 MiB). Real lockfiles stay well below: a 20,000-package `package-lock.json`
/// is about 15 MiB.
pub const MAX_DOCUMENT_SIZE: usize = 32 << 20;

/// Bytes of text one package may carry: its name, version, architecture, source name and
/// version, and licences together. Real packages carry far less (a licence given as its full
/// text, GPL-3.0's 35 KiB, is the largest seen); a hostile database naming one package with
/// its whole 200 MB made the report cost 9 times the file (the name copied into the source
/// name, the purl, the report).
pub const MAX_PACKAGE_TEXT: usize = 64 << 10;

/// The bounds on one file's parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Packages one file may yield (`--max-packages`).
    pub max_packages: usize,
    /// Largest JSON or YAML document parsed whole (`--max-document-size`).
    pub max_document_size: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_packages: MAX_PACKAGES_PER_FILE,
            max_document_size: MAX_DOCUMENT_SIZE,
        }
    }
}

static MAX_PACKAGES: AtomicUsize = AtomicUsize::new(MAX_PACKAGES_PER_FILE);
static MAX_DOCUMENT: AtomicUsize = AtomicUsize::new(MAX_DOCUMENT_SIZE);

/// Sets the bounds for the rest of the process: one setting per process, from the command
/// line, before anything is analysed (the analyzers' interface takes only a file, and the
/// bounds are part of the layer cache's key through [`bounds`]).
pub fn set_bounds(b: Bounds) {
    MAX_PACKAGES.store(b.max_packages, Ordering::Relaxed);
    MAX_DOCUMENT.store(b.max_document_size, Ordering::Relaxed);
}

/// The bounds in force.
pub fn bounds() -> Bounds {
    Bounds {
        max_packages: MAX_PACKAGES.load(Ordering::Relaxed),
        max_document_size: MAX_DOCUMENT.load(Ordering::Relaxed),
    }
}

/// The error for a file with more than [`Bounds::max_packages`] packages.
pub(crate) fn too_many_packages() -> AnalyzeError {
    AnalyzeError::malformed(format!(
        "more than {} packages in one file; not read (the bound on packages per file, \
         `--max-packages`, docs/limits.md)",
        bounds().max_packages
    ))
}

/// Appends `p`, or fails once `out` holds [`Bounds::max_packages`] or when `p` carries more
/// than [`MAX_PACKAGE_TEXT`]: checked before the package is kept, so a hostile database stops
/// costing memory at the bound.
pub(crate) fn push_package(out: &mut Vec<Package>, p: Package) -> Result<(), AnalyzeError> {
    if out.len() >= bounds().max_packages {
        return Err(too_many_packages());
    }
    package_text(&p)?;
    out.push(p);
    Ok(())
}

/// Fails when `p` carries more than [`MAX_PACKAGE_TEXT`] bytes of text, naming it (cut).
pub(crate) fn package_text(p: &Package) -> Result<(), AnalyzeError> {
    let source = p.source.as_ref().map_or(0, |s| {
        s.name.len() + s.version.as_ref().map_or(0, String::len)
    });
    let text = p.name.len()
        + p.version.len()
        + p.arch.as_ref().map_or(0, String::len)
        + source
        + p.licenses.iter().map(String::len).sum::<usize>();
    if text > MAX_PACKAGE_TEXT {
        return Err(AnalyzeError::malformed(format!(
            "package `{}` carries {text} bytes of name, version, source and licences; at most \
             {} KiB a package; not read (docs/limits.md)",
            drydock_package::text::shown_max(&p.name, 60),
            MAX_PACKAGE_TEXT >> 10
        )));
    }
    Ok(())
}

/// Fails when a `format` document is too big to be parsed whole (over
/// [`Bounds::max_document_size`]). TOML lockfiles are not parsed whole (`lang::toml_lock`).
pub(crate) fn document(content: &[u8], format: &str) -> Result<(), AnalyzeError> {
    let max = bounds().max_document_size;
    if content.len() > max {
        return Err(AnalyzeError::malformed(format!(
            "a {format} document of {} bytes; only {format} documents up to {} are parsed \
             (the bound on documents parsed whole, `--max-document-size`, docs/limits.md)",
            content.len(),
            shown_size(max)
        )));
    }
    Ok(())
}

/// `32 MiB` for whole mebibytes, else the bytes.
fn shown_size(bytes: usize) -> String {
    if bytes > 0 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 case 10: the bound stops an apk database at the first package past it.
    #[test]
    fn issue14_case10_packages_per_file_are_bounded() {
        use crate::Analyzer;
        let mut db = String::new();
        for i in 0..=MAX_PACKAGES_PER_FILE {
            db.push_str(&format!("P:p{i}\nV:1\n\n"));
        }
        let err = crate::apk::ApkAnalyzer
            .analyze("lib/apk/db/installed", db.as_bytes())
            .expect_err("over the bound");
        assert!(
            err.to_string().contains("more than 100000 packages"),
            "{err}"
        );
        let under = db.as_bytes()[..db.len() - "P:p100000\nV:1\n\n".len()].to_vec();
        let ok = crate::apk::ApkAnalyzer
            .analyze("lib/apk/db/installed", &under)
            .expect("at the bound");
        assert_eq!(ok.packages.len(), MAX_PACKAGES_PER_FILE);
    }

    /// Issue 14 case 10: a package carrying a 200 MB name cost 9 times its database in the
    /// report; one package's text is bounded, in every analyzer.
    #[test]
    fn issue14_case10_package_text_is_bounded() {
        use crate::Analyzer;
        let at = |n: usize| format!("P:{}\nV:1\n", "n".repeat(n - 1));
        let ok = crate::apk::ApkAnalyzer
            .analyze("lib/apk/db/installed", at(MAX_PACKAGE_TEXT / 2).as_bytes())
            .expect("the name, its origin and the version fit");
        assert_eq!(ok.packages.len(), 1);
        let err = crate::apk::ApkAnalyzer
            .analyze("lib/apk/db/installed", at(MAX_PACKAGE_TEXT).as_bytes())
            .expect_err("over the bound");
        assert!(
            err.to_string().contains("at most 64 KiB a package"),
            "{err}"
        );
        assert!(err.to_string().len() < 300, "the name is cut: {err}");
        // A licence as long: the same bound, for an analyzer that builds its packages itself.
        let licence = "l".repeat(MAX_PACKAGE_TEXT);
        let metadata = format!(
            "Metadata-Version: 2.4\nName: p\nVersion: 1.0\nLicense-Expression: {licence}\n"
        );
        let meta = drydock_image::FileMeta {
            size: metadata.len() as u64,
            mode: 0o644,
            kind: drydock_image::EntryKind::File,
        };
        let err = drydock_image::FileVisitor::visit(
            &crate::Visitor {
                analyzers: &crate::analyzers(),
                mode: crate::Mode::Fs,
            },
            "usr/lib/python3/site-packages/p-1.0.dist-info/METADATA",
            &meta,
            metadata.as_bytes(),
        );
        assert!(!err.is_empty(), "the METADATA analyzer read it");
        assert!(
            err.iter().any(|(_, r)| r
                .as_ref()
                .is_err_and(|e| e.to_string().contains("at most 64 KiB a package"))),
            "{err:?}"
        );
    }

    #[test]
    fn issue14_case10_documents_are_bounded_before_parsing() {
        let big = vec![b' '; MAX_DOCUMENT_SIZE + 1];
        let err = document(&big, "JSON").expect_err("over the bound");
        assert!(err.to_string().contains("up to 32 MiB"), "{err}");
        assert!(document(&big[..MAX_DOCUMENT_SIZE], "YAML").is_ok());
    }

    /// TOML lockfiles are read a table at a time: no bound on the document, the bound on
    /// packages per file instead.
    #[test]
    fn issue14_case10_toml_lockfiles_are_bounded_by_packages() {
        let mut lock = String::from("version = 3\n");
        for i in 0..=MAX_PACKAGES_PER_FILE {
            lock.push_str(&format!(
                "[[package]]\nname = \"c{i}\"\nversion = \"1.0.{i}\"\n"
            ));
        }
        let err = crate::lang::analyzers()
            .iter()
            .find(|a| a.name() == "cargo-lock")
            .expect("cargo-lock")
            .analyze("Cargo.lock", lock.as_bytes())
            .expect_err("over the bound");
        assert!(
            err.to_string().contains("more than 100000 packages"),
            "{err}"
        );
    }
}

//! [`TextLockfile`]: the analyzer of a checkout's lockfile that is picked by its file name and
//! read as UTF-8 text straight into packages (`go.mod`, `pom.xml`, `pnpm-lock.yaml`,
//! `Gemfile.lock`, `requirements*.txt`).

use drydock_image::FileMeta;
use drydock_package::Package;

use super::{file_name, is_file, utf8, wants_lockfile};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// A lockfile read only in checkouts ([`wants_lockfile`]), from a regular file whose name
/// `is_named` accepts, by `parse`.
#[derive(Debug)]
pub(crate) struct TextLockfile {
    /// The analyzer's name.
    pub(crate) name: &'static str,
    /// Whether a file name (the last path component) is this lockfile's.
    pub(crate) is_named: fn(&str) -> bool,
    pub(crate) parse: fn(&str) -> Result<Vec<Package>, AnalyzeError>,
}

impl Analyzer for TextLockfile {
    fn name(&self) -> &'static str {
        self.name
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        is_file(meta) && (self.is_named)(file_name(path)) && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        Ok(Analysis {
            packages: (self.parse)(utf8(content)?)?,
            ..Analysis::default()
        })
    }
}

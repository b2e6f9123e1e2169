//! rpm databases (being written).

use drydock_image::FileMeta;

use crate::{Analysis, AnalyzeError, Analyzer, Mode};

#[derive(Debug)]
pub(crate) struct RpmAnalyzer;

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, _path: &str, _meta: &FileMeta, _mode: Mode) -> bool {
        false
    }

    fn analyze(&self, _path: &str, _content: &[u8]) -> Result<Analysis, AnalyzeError> {
        Ok(Analysis::default())
    }

    fn fatal(&self) -> bool {
        true
    }
}

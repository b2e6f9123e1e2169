//! Language ecosystems (being written).

use crate::{Analyzer, Mode};

pub(crate) fn analyzers() -> Vec<Box<dyn Analyzer>> {
    Vec::new()
}

/// Directories of a checkout not to descend into.
pub(crate) fn skip_dir(path: &str, mode: Mode) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    mode == Mode::Fs && (name == ".git" || name == "proc" && path == "proc" || path == "sys")
}

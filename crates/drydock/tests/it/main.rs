//! Integration tests of the `drydock` binary: one module per command.

mod cvss;
mod db;
mod version;

use std::path::PathBuf;
use std::process::Command;

/// The built `drydock` binary, with a clean environment for colour and logging.
pub fn drydock() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drydock"));
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

/// `../shared` from the workspace root (or `DRYDOCK_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

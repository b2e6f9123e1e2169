//! `drydock cvss VECTOR`. (Owned by the drydock-cvss work; issue 8.)

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct CvssArgs {
    /// The vector, e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
    pub vector: String,
}

pub fn run(_a: CvssArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`drydock cvss` is not built yet")
}

//! `drydock publish --out DIR`: per-release CSVs, a static HTML site and `index.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub store: super::triage::StoreArgs,
}

pub fn run(a: PublishArgs) -> anyhow::Result<ExitCode> {
    let _ = (&a.out, &a.store);
    anyhow::bail!("not implemented yet")
}

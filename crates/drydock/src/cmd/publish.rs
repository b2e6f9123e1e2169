//! `drydock publish --out DIR`: one CSV per release and `index.json` from the store's latest
//! complete run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use drydock_triage::publish::{PublishOptions, publish};

const EXAMPLES: &str = "\
Examples:
  # every release of the latest complete run, HIGH and CRITICAL rows
  drydock publish --out site/

  # two releases, every severity, from a PostgreSQL store
  drydock publish --out site/ --release v2.6 --release v2.7 --severity LOW,MEDIUM,HIGH,CRITICAL \\
      --store postgres://drydock@db/drydock";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct PublishArgs {
    /// The directory to write (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only these releases (repeatable; default: every release of the run).
    #[arg(long, value_name = "RELEASE")]
    pub release: Vec<String>,
    /// Severities to keep (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "HIGH,CRITICAL")]
    pub severity: Vec<String>,
    /// The run to publish (default: the newest complete run).
    #[arg(long, default_value = "latest")]
    pub run: String,
    #[command(flatten)]
    pub store: super::triage::StoreArgs,
}

pub fn run(a: PublishArgs) -> anyhow::Result<ExitCode> {
    let mut store = a.store.open()?;
    let opts = PublishOptions {
        releases: a.release.clone(),
        severities: a
            .severity
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .collect(),
    };
    let (published, _) = publish(&mut store, &a.run, &a.out, &opts)?;
    for (release, s) in &published.releases {
        println!(
            "{release}: {} rows -> {}",
            s.rows,
            a.out.join(&s.csv).display()
        );
    }
    println!(
        "run {}: {} files in {}",
        published.run_id,
        published.files.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

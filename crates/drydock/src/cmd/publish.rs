//! `drydock publish --out DIR`: one CSV per release, `index.json` and the static HTML site
//! (`index.html` → release → image) from the store's latest complete run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use drydock_triage::publish::{PublishOptions, publish_generated};
use drydock_triage::site::{self, SiteOptions};

const EXAMPLES: &str = "\
Examples:
  # every release of the latest complete run, HIGH and CRITICAL rows: CSVs, index.json and
  # the site (open site/index.html)
  drydock publish --out site/

  # two releases, every severity, from a PostgreSQL store
  drydock publish --out site/ --release v2.6 --release v2.7 --severity LOW,MEDIUM,HIGH,CRITICAL \\
      --store postgres://drydock@db/drydock

  # a reproducible site: the same store gives the same bytes, dated by SOURCE_DATE_EPOCH
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) drydock publish --out site/

  # a CSV edited in a pull request, read back as triage
  drydock triage import site/v2.6.csv --release v2.6";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct PublishArgs {
    /// The directory to write (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only these releases (repeatable; default: every release of the run).
    #[arg(long, value_name = "RELEASE")]
    pub release: Vec<String>,
    /// Severities to keep, in the CSVs and on the site (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "HIGH,CRITICAL")]
    pub severity: Vec<String>,
    /// The run to publish (default: the newest complete run).
    #[arg(long, default_value = "latest")]
    pub run: String,
    /// Write the CSVs and index.json only, no HTML site.
    #[arg(long)]
    pub no_site: bool,
    #[command(flatten)]
    pub store: super::triage::StoreArgs,
}

/// `SOURCE_DATE_EPOCH` (reproducible builds), if set: the site's "generated" time.
fn source_date_epoch() -> anyhow::Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds")),
        _ => Ok(None),
    }
}

pub fn run(a: PublishArgs) -> anyhow::Result<ExitCode> {
    let generated_at = source_date_epoch()?;
    let mut store = a.store.open()?;
    let severities: Vec<String> = a
        .severity
        .iter()
        .map(|s| s.trim().to_ascii_uppercase())
        .collect();
    let opts = PublishOptions {
        releases: a.release.clone(),
        severities: severities.clone(),
    };
    let (published, _) = publish_generated(&mut store, &a.run, &a.out, &opts, generated_at)?;
    for (release, s) in &published.releases {
        println!(
            "{release}: {} rows -> {}",
            s.rows,
            a.out.join(&s.csv).display()
        );
    }
    let mut files = published.files.len();
    if !a.no_site {
        // The run publish() used, by id, so both describe the same run.
        let site = site::load(
            &mut store,
            &published.run_id,
            &SiteOptions {
                releases: a.release.clone(),
                severities,
                generated_at,
            },
        )?;
        let pages = site::write(&site, &a.out)?;
        files += pages.len();
        println!(
            "site: {} pages -> {}",
            pages.len(),
            a.out.join("index.html").display()
        );
    }
    println!(
        "run {}: {files} files in {}",
        published.run_id,
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

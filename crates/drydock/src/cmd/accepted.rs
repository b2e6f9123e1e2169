//! `drydock diff --accepted PAGE.md`: a handbook accepted-CVE page against a run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct AcceptedArgs {
    /// The handbook page (Markdown) with the accepted-CVE table.
    #[arg(long, value_name = "PAGE.md")]
    pub accepted: PathBuf,
    #[command(flatten)]
    pub store: super::triage::StoreArgs,
}

pub fn run(a: AcceptedArgs) -> anyhow::Result<ExitCode> {
    let _ = (&a.accepted, &a.store);
    anyhow::bail!("not implemented yet")
}

/// `drydock diff --accepted PAGE.md …` (the lead's `cmd/diff.rs` calls this with its flags:
/// `a`/`b` runs, `release`, `image`, `store`, `format`, `output`, `fail_on`, `exit_code`,
/// `write_table`, `env_profile`). Keep it mapping onto [`run`].
pub fn run_from_diff(d: &super::diff::DiffArgs) -> anyhow::Result<ExitCode> {
    let accepted = d
        .accepted
        .clone()
        .ok_or_else(|| anyhow::anyhow!("`--accepted PAGE.md` is required here"))?;
    run(AcceptedArgs {
        accepted,
        store: super::triage::StoreArgs {
            store: d.store.store.clone(),
        },
    })
}

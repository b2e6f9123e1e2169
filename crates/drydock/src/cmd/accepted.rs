//! `drydock diff --accepted PAGE.md [RUN|--release R]`: a handbook accepted-CVE page against a
//! run of the history store (also `drydock triage accepted-diff`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use drydock_cvss::EnvProfile;
use drydock_triage::handbook::{HANDBOOK_PROFILE, Page, found_in_run, short_name};

const EXAMPLES: &str = "\
Examples:
  # what the latest run found that the 5.3.3 page does not accept, and rows no longer found
  drydock triage accepted-diff --accepted 5-3-3.md --release 5.3.3

  # write the updated page (new findings added for a human to assess, resolved rows removed)
  drydock triage accepted-diff --accepted 5-3-3.md --release 5.3.3 --write-table 5-3-3.md

  # fail CI on an unaccepted HIGH or CRITICAL finding
  drydock triage accepted-diff --accepted 5-3-3.md --release 5.3.3 --fail-on high";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct AcceptedArgs {
    /// The handbook page (Markdown) with the accepted-CVE table.
    #[arg(long, value_name = "PAGE.md")]
    pub accepted: PathBuf,
    /// The run to compare (`latest`, `previous`, a run id, `#SEQ`); default: the newest
    /// complete run (with --release: the newest listing that release).
    #[arg(value_name = "RUN")]
    pub run: Option<String>,
    /// Only the images of this release.
    #[arg(long)]
    pub release: Option<String>,
    /// Write the updated page to FILE (may be PAGE.md itself).
    #[arg(long, value_name = "FILE")]
    pub write_table: Option<PathBuf>,
    /// Exit 1 when a finding not accepted is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Environmental metrics for new rows' environmental score: a profile
    /// (`MAV:A/CR:H/IR:M/AR:L`, the handbook's, is the default) or a profile name from
    /// drydock.toml.
    #[arg(long, value_name = "PROFILE")]
    pub env_profile: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: super::triage::ListFormat,
    #[command(flatten)]
    pub store: super::triage::StoreArgs,
}

fn profile(p: Option<&str>) -> anyhow::Result<EnvProfile> {
    let p = p.unwrap_or(HANDBOOK_PROFILE);
    if let Ok(x) = EnvProfile::parse(p) {
        return Ok(x);
    }
    let found = drydock_cvss::discover(None)?;
    found
        .as_ref()
        .and_then(|(_, profiles)| profiles.get(p).cloned())
        .with_context(|| {
            format!("`{p}` is neither an environment profile nor a profile name in drydock.toml")
        })
}

fn rank(s: &str) -> u8 {
    match s.trim().to_ascii_uppercase().as_str() {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

pub fn run(a: AcceptedArgs) -> anyhow::Result<ExitCode> {
    let file = a.accepted.display().to_string();
    let text =
        std::fs::read_to_string(&a.accepted).with_context(|| format!("cannot read `{file}`"))?;
    let page = Page::parse(&text, &file)?;
    let fail_on = a
        .fail_on
        .as_deref()
        .map(|s| match rank(s) {
            0 if !s.eq_ignore_ascii_case("unknown") => {
                anyhow::bail!("unknown severity `{s}` (expected low, medium, high or critical)")
            }
            r => Ok(r),
        })
        .transpose()?;
    let profile = profile(a.env_profile.as_deref())?;
    let mut store = a.store.open()?;
    let run = match (&a.run, &a.release) {
        (Some(r), _) => store.run(r)?,
        (None, Some(rel)) => store.latest_run_with_release(rel)?,
        (None, None) => store.run("latest")?,
    };
    let found = found_in_run(&mut store, run.seq, a.release.as_deref())?;
    let cmp = page.compare(&found);
    let failing = cmp
        .not_accepted
        .values()
        .flatten()
        .any(|f| fail_on.is_some_and(|t| rank(&f.severity) >= t));
    match a.format {
        super::triage::ListFormat::Json => {
            let v = serde_json::json!({
                "run": run.run_id,
                "release": a.release,
                "not_accepted": cmp.not_accepted.iter().map(|(id, fs)| serde_json::json!({
                    "vulnerability_id": id,
                    "severity": fs.iter().map(|f| f.severity.as_str()).max_by_key(|s| rank(s)),
                    "images": fs.iter().map(|f| short_name(&f.repository)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "no_longer_found": cmp.no_longer_found.iter().map(|r| serde_json::json!({
                    "vulnerability_id": r.id, "line": r.line,
                    "images": r.images.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "false_positives_no_longer_found": cmp.false_positives_gone.iter().map(|r| serde_json::json!({
                    "vulnerability_id": r.id, "line": r.line,
                })).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        super::triage::ListFormat::Table => {
            println!("not accepted ({}):", cmp.not_accepted.len());
            for (id, fs) in &cmp.not_accepted {
                let sev = fs
                    .iter()
                    .map(|f| f.severity.as_str())
                    .max_by_key(|s| rank(s))
                    .unwrap_or("UNKNOWN");
                let imgs: Vec<String> = fs.iter().map(|f| short_name(&f.repository)).collect();
                println!("  {id:<20} {sev:<9} {}", imgs.join(", "));
            }
            println!(
                "no longer found ({}):",
                cmp.no_longer_found.len() + cmp.false_positives_gone.len()
            );
            for r in cmp.no_longer_found.iter().chain(&cmp.false_positives_gone) {
                let imgs: Vec<&str> = r.images.iter().map(|i| i.name.as_str()).collect();
                println!("  {:<20} {file}:{}  {}", r.id, r.line, imgs.join(", "));
            }
        }
    }
    if let Some(out) = &a.write_table {
        let updated = page.updated(&found, &profile);
        std::fs::write(out, updated)
            .with_context(|| format!("cannot write `{}`", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `drydock diff --accepted PAGE.md [RUN] [--release R] …`: the same, from `drydock diff`'s flags.
pub fn run_from_diff(d: &super::diff::DiffArgs) -> anyhow::Result<ExitCode> {
    let Some(accepted) = d.accepted.clone() else {
        anyhow::bail!("--accepted PAGE.md is required here");
    };
    if d.b.is_some() || d.release.len() > 1 {
        anyhow::bail!("--accepted compares one page with one run: give one RUN or one --release");
    }
    run(AcceptedArgs {
        accepted,
        run: d.a.clone(),
        release: d.release.first().cloned(),
        write_table: d.write_table.clone(),
        fail_on: d.fail_on.map(|s| s.as_str().to_string()),
        env_profile: d.env_profile.clone(),
        format: if d.format == "json" {
            super::triage::ListFormat::Json
        } else {
            super::triage::ListFormat::Table
        },
        store: super::triage::StoreArgs {
            store: d.store.store.clone(),
        },
    })
}

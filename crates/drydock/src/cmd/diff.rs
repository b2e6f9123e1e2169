//! `drydock diff`: what changed between two runs, two releases, or two saved JSON reports.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use drydock_fleet::diff::{self, KeyBy};
use drydock_fleet::render::{DiffFormat, write_diff};
use drydock_match::Severity;

use super::fleet::StoreArg;

#[derive(Debug, Args)]
#[command(
    after_help = "A and B are runs of the store (a run id, `#SEQ`, `latest`, `previous`, `latest~N`) or two
`drydock image --format json` reports (no store needed). Without A and B: `previous` → `latest`.

Categories: new, reappeared (seen before A), changed (severity, fix now available, installed
version changed but still vulnerable), resolved, not scanned (B could not scan the image: never
counted as resolved), unchanged (counted; listed with --all).

Exit codes: 0, or the `--exit-code` value (1 with --fail-on) when something new is at or above
--fail-on; 2 for usage errors.

Examples:
  drydock diff                                   # previous run → latest run
  drydock diff nightly-2026-12-03 nightly-2026-12-04 --format markdown
  drydock diff --release v2.8 v2.9               # two releases, in the latest run listing each
  drydock diff latest~7 latest --image registry.example/team/app
  drydock diff old.json new.json --fail-on HIGH
  drydock diff --accepted accepted-cves-2.9.md --release v2.9"
)]
pub struct DiffArgs {
    /// The older side: a run or a JSON report.
    #[arg(value_name = "A")]
    pub a: Option<String>,
    /// The newer side: a run or a JSON report.
    #[arg(value_name = "B")]
    pub b: Option<String>,
    /// Compare two releases (`--release OLD NEW`), or with --accepted, the release to check.
    #[arg(long, num_args = 1..=2, value_name = "RELEASE")]
    pub release: Vec<String>,
    /// Only this image (a repository, or a reference).
    #[arg(long, value_name = "REPO")]
    pub image: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
    /// `table`, `json`, `markdown` or `csv`.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Also list unchanged findings.
    #[arg(long)]
    pub all: bool,
    /// Fail when a new, reappeared or acceptance-expired finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// The exit code when --fail-on trips [default: 1].
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// A handbook page of accepted CVEs (Markdown tables): report findings not accepted and
    /// rows no longer found.
    #[arg(long, value_name = "PAGE.md")]
    pub accepted: Option<std::path::PathBuf>,
    /// With --accepted: write the updated page here.
    #[arg(long, value_name = "FILE", requires = "accepted")]
    pub write_table: Option<std::path::PathBuf>,
    /// With --accepted: the environment profile for the environmental CVSS score of new rows.
    #[arg(long, value_name = "NAME", requires = "accepted")]
    pub env_profile: Option<String>,
}

fn is_report(s: &str) -> bool {
    s.ends_with(".json") && Path::new(s).is_file()
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    if args.accepted.is_some() {
        return super::accepted::run_from_diff(&args);
    }
    let format: DiffFormat = args
        .format
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let report = match (&args.a, &args.b) {
        (Some(a), Some(b)) if is_report(a) || is_report(b) => {
            if !(is_report(a) && is_report(b)) {
                anyhow::bail!(
                    "compare two JSON reports, or two runs: `{a}` and `{b}` are one of each"
                );
            }
            let mut sa = diff::side_from_report(Path::new(a))?;
            let mut sb = diff::side_from_report(Path::new(b))?;
            diff::pair_single_targets(&mut sa, &mut sb);
            if let Some(img) = &args.image {
                for s in [&mut sa, &mut sb] {
                    s.images
                        .retain(|i| diff::image_matches(img, &i.repository, &i.reference));
                }
            }
            diff::diff(&sa, &sb, KeyBy::Repository, args.all, &mut diff::NoHistory)?
        }
        (Some(_), None) => anyhow::bail!("give two sides (A B), or none for `previous latest`"),
        _ => {
            let mut store = args.store.open()?;
            // Each side: a run, the release it is filtered to, a label.
            type SideSpec = (String, Option<Vec<String>>, Option<String>);
            let (spec_a, spec_b, key_by): (SideSpec, SideSpec, KeyBy) =
                match (&args.a, &args.b, args.release.as_slice()) {
                    (None, None, [old, new]) => {
                        let ra = store.latest_run_with_release(old)?.run_id;
                        let rb = store.latest_run_with_release(new)?.run_id;
                        let (la, lb) = (format!("{old} (run {ra})"), format!("{new} (run {rb})"));
                        (
                            (ra, Some(vec![old.clone()]), Some(la)),
                            (rb, Some(vec![new.clone()]), Some(lb)),
                            KeyBy::Repository,
                        )
                    }
                    (a, b, rel) => {
                        if rel.len() == 2 {
                            anyhow::bail!(
                                "`--release OLD NEW` compares two releases: leave out the runs"
                            );
                        }
                        let only = (rel.len() == 1).then(|| rel.to_vec());
                        let a = store.run(a.as_deref().unwrap_or("previous"))?.run_id;
                        let b = store.run(b.as_deref().unwrap_or("latest"))?.run_id;
                        (
                            (a, only.clone(), None),
                            (b, only, None),
                            KeyBy::ReleaseAndRepository,
                        )
                    }
                };
            let days = (
                run_day(&mut store, &spec_a.0)?,
                run_day(&mut store, &spec_b.0)?,
            );
            let triage = drydock_triage::TriageSuppressor::from_store(&mut store)?;
            let image = args.image.as_deref();
            // Unchanged findings are counted, not loaded, unless they are listed or an
            // acceptance that ran out between the runs may turn one into news.
            let (mut sa, mut sb) =
                if args.all || triage.acceptance_expires_between(&days.0, &days.1) {
                    (
                        diff::side_from_run(&mut store, &spec_a.0, spec_a.1.as_deref(), image)?,
                        diff::side_from_run(&mut store, &spec_b.0, spec_b.1.as_deref(), image)?,
                    )
                } else {
                    diff::sides_from_runs(
                        &mut store,
                        (&spec_a.0, spec_a.1.as_deref()),
                        (&spec_b.0, spec_b.1.as_deref()),
                        image,
                        key_by,
                    )?
                };
            if let Some(l) = spec_a.2 {
                sa.label = l;
            }
            if let Some(l) = spec_b.2 {
                sb.label = l;
            }
            let mut history =
                diff::StoreHistory::new(&mut store, sa.seq.unwrap_or(0), |release, o| {
                    expired_acceptance(&triage, &days, release, o)
                });
            diff::diff(&sa, &sb, key_by, args.all, &mut history)?
        }
    };
    match &args.output {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", path.display()))?,
            );
            write_diff(&report, format, args.all, &mut f)?;
            std::io::Write::flush(&mut f)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = write_diff(&report, format, args.all, &mut out)
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
    }
    if let Some(min) = args.fail_on {
        let news = report.news_at_or_above(min);
        if news > 0 {
            tracing::warn!("{news} new finding(s) at or above {min}");
            return Ok(ExitCode::from(args.exit_code.unwrap_or(1)));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The UTC day (`YYYY-MM-DD`) a run of the store started.
fn run_day(store: &mut drydock_store::Store, run: &str) -> anyhow::Result<String> {
    let run = store.run(run)?;
    Ok(drydock_scan::rfc3339(run.started_at)[..10].to_string())
}

/// For a finding present on both sides: whether its acceptance ran out between A and B (it
/// suppressed the finding at A and no longer does at B), and the detail to show.
fn expired_acceptance(
    triage: &drydock_triage::TriageSuppressor,
    (day_a, day_b): &(String, String),
    release: Option<&str>,
    o: &drydock_store::Observation,
) -> Option<String> {
    let releases: Vec<String> = release.map(str::to_string).into_iter().collect();
    let m = triage.matching(
        &o.repository,
        &releases,
        &o.ecosystem,
        &o.package,
        &o.vuln_id,
    )?;
    if m.triage.state != drydock_triage::State::Accepted {
        return None;
    }
    let x = m.triage.expires?.to_string();
    (x >= *day_a && x < *day_b).then(|| format!("accepted until {x} (triage #{})", m.id))
}

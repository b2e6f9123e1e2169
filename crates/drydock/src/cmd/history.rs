//! `drydock history`: what was scanned when; `drydock store migrate`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drydock_fleet::display::escape;
use drydock_store::ScanStatus;

use super::fleet::StoreArg;

#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:
  drydock history runs
  drydock history images latest
  drydock history show nightly-2026-12-04
  drydock history show registry.example/team/app --format json")]
pub enum HistoryCommand {
    /// The latest runs: when, with which DB, coverage (images ok / failed), findings, layers.
    Runs(RunsArgs),
    /// The images of a run (default: the latest complete run) with their status.
    Images(ImagesArgs),
    /// One run in detail, or the scan history of one image (a reference or a repository).
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// How many runs, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// `table` or `json`.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// A run id, `#SEQ`, `latest` or `previous`.
    #[arg(default_value = "latest")]
    pub run: String,
    #[command(flatten)]
    pub store: StoreArg,
    /// `table` or `json`.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A run (id, `#SEQ`, `latest`, `previous`) or an image (reference or repository).
    pub what: String,
    #[command(flatten)]
    pub store: StoreArg,
    /// `table` or `json`.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
}

#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:
  drydock store migrate
  drydock store migrate --store postgres://drydock@db.internal/drydock")]
pub enum StoreCommand {
    /// Apply the schema migrations this drydock knows (scans do it too; this reports it).
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArg,
}

fn check_format(f: &str) -> anyhow::Result<bool> {
    match f {
        "table" => Ok(false),
        "json" => Ok(true),
        other => anyhow::bail!("`--format {other}`: use table or json"),
    }
}

fn time(secs: i64) -> String {
    drydock_scan::rfc3339(secs)
}

pub fn run(cmd: HistoryCommand) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    match cmd {
        HistoryCommand::Runs(a) => {
            let json = check_format(&a.format)?;
            let mut store = a.store.open()?;
            let runs = store.runs(a.limit)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &runs)?;
                writeln!(out)?;
            } else if runs.is_empty() {
                writeln!(
                    out,
                    "No runs in `{}` yet: `drydock fleet scan FLEET`.",
                    store.name()
                )?;
            } else {
                writeln!(
                    out,
                    "{:>4}  {:<38} {:<20} {:<9} {:>6} {:>6} {:>8} {:>8}  DB",
                    "#", "RUN", "STARTED", "STATUS", "OK", "FAILED", "FINDINGS", "LAYERS"
                )?;
                for r in runs {
                    let status = if r.shard_count > 1 {
                        format!("{} {}/{}", r.status, r.shards_finished, r.shard_count)
                    } else {
                        r.status.to_string()
                    };
                    writeln!(
                        out,
                        "{:>4}  {:<38} {:<20} {:<9} {:>6} {:>6} {:>8} {:>8}  {}",
                        r.seq,
                        escape(&r.run_id, 38),
                        time(r.started_at),
                        status,
                        r.images_ok,
                        r.images_failed,
                        r.findings,
                        r.layers_analysed,
                        r.db_built_at.as_deref().unwrap_or("-")
                    )?;
                }
            }
        }
        HistoryCommand::Images(a) => {
            let json = check_format(&a.format)?;
            let mut store = a.store.open()?;
            let run = store.run(&a.run)?;
            let images = store.images(run.seq)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &images)?;
                writeln!(out)?;
            } else {
                print_images(&mut out, &run.run_id, &images)?;
            }
        }
        HistoryCommand::Show(a) => {
            let json = check_format(&a.format)?;
            let mut store = a.store.open()?;
            match store.run(&a.what) {
                Ok(run) => {
                    let images = store.images(run.seq)?;
                    if json {
                        serde_json::to_writer_pretty(
                            &mut out,
                            &serde_json::json!({"run": run, "images": images}),
                        )?;
                        writeln!(out)?;
                    } else {
                        writeln!(out, "Run {} (#{})", escape(&run.run_id, 100), run.seq)?;
                        writeln!(
                            out,
                            "  status:    {}{}",
                            run.status,
                            if run.shard_count > 1 {
                                format!(
                                    " ({}/{} shards reported)",
                                    run.shards_finished, run.shard_count
                                )
                            } else {
                                String::new()
                            }
                        )?;
                        writeln!(out, "  started:   {}", time(run.started_at))?;
                        writeln!(
                            out,
                            "  finished:  {}",
                            run.finished_at.map_or("-".into(), time)
                        )?;
                        writeln!(out, "  drydock:   {}", run.drydock_version)?;
                        writeln!(
                            out,
                            "  DB:        built {}, sources {}",
                            run.db_built_at.as_deref().unwrap_or("-"),
                            run.db_sources.as_deref().unwrap_or("-")
                        )?;
                        writeln!(
                            out,
                            "  fleet:     {} ({})",
                            escape(run.fleet_path.as_deref().unwrap_or("-"), 200),
                            run.fleet_digest.as_deref().unwrap_or("-")
                        )?;
                        writeln!(
                            out,
                            "  coverage:  {} images ok, {} failed",
                            run.images_ok, run.images_failed
                        )?;
                        writeln!(
                            out,
                            "  layers:    {} analysed, {} from the cache",
                            run.layers_analysed, run.layers_cached
                        )?;
                        writeln!(out)?;
                        print_images(&mut out, &run.run_id, &images)?;
                    }
                }
                Err(drydock_store::StoreError::NoRun(_)) => {
                    let history = store.image_history(&a.what, 1000)?;
                    if history.is_empty() {
                        anyhow::bail!(
                            "`{}` is neither a run nor an image in the store (see `drydock history runs`, `drydock history images`)",
                            a.what
                        );
                    }
                    if json {
                        serde_json::to_writer_pretty(&mut out, &history)?;
                        writeln!(out)?;
                    } else {
                        writeln!(
                            out,
                            "{:>6}  {:<40} {:<8} {:>8} {:>8}  DIGEST / ERROR",
                            "RUN", "IMAGE", "STATUS", "PACKAGES", "FINDINGS"
                        )?;
                        for s in history {
                            writeln!(
                                out,
                                "{:>6}  {:<40} {:<8} {:>8} {:>8}  {}",
                                format!("#{}", s.run_seq),
                                escape(&s.reference, 40),
                                s.status.as_str(),
                                s.package_count,
                                s.finding_count,
                                escape(
                                    s.error.as_deref().or(s.digest.as_deref()).unwrap_or(""),
                                    200
                                )
                            )?;
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_images(
    out: &mut dyn std::io::Write,
    run_id: &str,
    images: &[drydock_store::ImageScan],
) -> anyhow::Result<()> {
    writeln!(out, "Images of run {}:", escape(run_id, 100))?;
    writeln!(
        out,
        "{:<44} {:<16} {:<8} {:>8} {:>8}  OS / ERROR",
        "IMAGE", "RELEASES", "STATUS", "PACKAGES", "FINDINGS"
    )?;
    for s in images {
        let rel: Vec<&str> = s.releases.iter().map(|r| r.0.as_str()).collect();
        let tail = match s.status {
            ScanStatus::Ok => s.os.clone().unwrap_or_default(),
            ScanStatus::Failed => s.error.clone().unwrap_or_default(),
        };
        writeln!(
            out,
            "{:<44} {:<16} {:<8} {:>8} {:>8}  {}",
            escape(&s.reference, 44),
            escape(&rel.join(","), 16),
            s.status.as_str(),
            s.package_count,
            s.finding_count,
            escape(&tail, 200)
        )?;
    }
    Ok(())
}

pub fn run_store(cmd: StoreCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StoreCommand::Migrate(a) => {
            let location = match &a.store.store {
                Some(s) => s.clone(),
                None => drydock_store::default_location()?,
            };
            let mut store = drydock_store::Store::open_unmigrated(&location)?;
            let applied = store.migrate()?;
            if applied.is_empty() {
                let version = store.schema_version()?;
                println!(
                    "`{}` is up to date (schema version {version}).",
                    store.name()
                );
            } else {
                let v: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
                println!("`{}`: applied migration(s) {}.", store.name(), v.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `drydock fleet scan`: every image of every release, recorded in the history store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use drydock_fleet::run::{FleetOutcome, FleetScanOptions};
use drydock_image::{Limits, Platform};
use drydock_match::Severity;
use drydock_policy::{IgnoreFile, Policy};
use drydock_scan::{Registry, ScanSettings, TargetSpec};
use drydock_store::{ScanStatus, Shard, Store};

use super::db::DbPath;
use super::target::parse_size;

/// Exit code of a fleet scan in which some images could not be scanned (and nothing failed
/// the gate).
pub const EXIT_IMAGES_FAILED: u8 = 3;

/// Where the history store is.
#[derive(Debug, Args, Clone)]
pub struct StoreArg {
    /// The history store: a SQLite file (created when missing) or `postgres://USER@HOST/DB`
    /// [default: `$XDG_DATA_HOME/drydock/history.db`].
    #[arg(long, env = "DRYDOCK_STORE", value_name = "PATH|URL", global = true)]
    pub store: Option<String>,
}

impl StoreArg {
    pub fn open(&self) -> anyhow::Result<Store> {
        let location = match &self.store {
            Some(s) => s.clone(),
            None => drydock_store::default_location()?,
        };
        Ok(Store::open(&location)?)
    }
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Scan every image of every release of a fleet file (or an image list) into the store.
    Scan(FleetScanArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 every image scanned (and nothing failed the gate), the `--exit-code`
value (1 with --fail-on) when a finding fails the gate, 3 when some images could not be scanned,
2 for usage errors.

Examples:
  drydock fleet scan fleet.yaml
  drydock fleet scan images.txt --release v2.9 --jobs 4
  drydock fleet scan fleet.yaml --store postgres://drydock@db/drydock --shard 3/8 --run-id nightly-2026-12-04
  drydock fleet scan fleet.yaml --fail-on CRITICAL --fixable-only
  drydock fleet scan fleet.yaml --scanners vuln,misconfig,secret"
)]
pub struct FleetScanArgs {
    /// A fleet file (YAML, see docs/fleet.md) or an image list (`IMAGE [SOURCE,…]` per line).
    #[arg(value_name = "FLEET")]
    pub fleet: PathBuf,
    /// Only this release (for an image list: the release its images belong to).
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub db: DbPath,
    /// Images scanned at a time [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Scan only shard I of N (1-based, e.g. `3/8`); every shard records into one run.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Number of shards, the shard index coming from `JOB_COMPLETION_INDEX` (0-based, as a
    /// Kubernetes Indexed Job sets it).
    #[arg(long, value_name = "N", conflicts_with = "shard")]
    pub shards: Option<u32>,
    /// The run id all shards share [default: derived from the fleet file's digest and
    /// `--schedule-date` when sharded, else a new one].
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// The schedule date in the derived run id of a sharded run [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub schedule_date: Option<String>,
    /// Fail the gate for findings at or above this severity (any image).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// The exit code when the gate fails [default: 1 with --fail-on].
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Only findings with a fixed version fail the gate.
    #[arg(long)]
    pub fixable_only: bool,
    /// Scanners to run on every image: `vuln`, `misconfig`, `secret`, `all` [default: the
    /// fleet file's `defaults.scanners`, else `vuln`]. Misconfigurations and secrets are
    /// recorded in the store like vulnerabilities.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub scanners: Vec<String>,
    /// Ignore file(s) applied to every image (drydock YAML, `.trivyignore`, `.trivyignore.yaml`).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
    /// The platform to pick from multi-platform images [default: the fleet file's, else linux/amd64].
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Where pulled images and the layer cache live.
    #[arg(long, value_name = "DIR", env = "DRYDOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Read every layer of every image (no layer cache: shared layers are walked per image).
    #[arg(long)]
    pub no_cache: bool,
    /// Read and hash every layer blob the cache has not verified itself, instead of taking a
    /// layer walked before on its config's `diff_id` (an archive per image reads every layer).
    #[arg(long, conflicts_with = "no_cache")]
    pub verify_layers: bool,
    /// Allow plain HTTP and unverified HTTPS registries.
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file for registries.
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Option<PathBuf>,
    /// Decompression bound per layer.
    #[arg(long, value_name = "SIZE", default_value = "32GiB", value_parser = parse_size)]
    pub max_layer_size: u64,
    /// Files larger than this are not analysed.
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = parse_size)]
    pub max_file_size: u64,
    /// No progress output on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// After a complete run, send the digest of what is new to this webhook (as `drydock alert`).
    #[arg(long, value_name = "URL")]
    pub alert: Option<String>,
    /// The webhook dialect of `--alert`.
    #[arg(long, value_enum, default_value_t = super::alert::KindArg::Json, requires = "alert")]
    pub alert_kind: super::alert::KindArg,
    /// The summary: `table` or `json`.
    #[arg(long, short = 'f', default_value = "table", value_name = "FORMAT")]
    pub format: String,
}

pub fn run(cmd: FleetCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        FleetCommand::Scan(a) => scan(a),
    }
}

fn shard(args: &FleetScanArgs) -> anyhow::Result<Shard> {
    if let Some(s) = &args.shard {
        let (i, n) = s
            .split_once('/')
            .with_context(|| format!("`--shard {s}`: expected I/N, e.g. 3/8"))?;
        let (i, n): (u32, u32) = (
            i.trim()
                .parse()
                .with_context(|| format!("`--shard {s}`: I is not a number"))?,
            n.trim()
                .parse()
                .with_context(|| format!("`--shard {s}`: N is not a number"))?,
        );
        if n == 0 || i == 0 || i > n {
            anyhow::bail!("`--shard {s}`: I must be between 1 and N");
        }
        return Ok(Shard {
            index: i - 1,
            count: n,
        });
    }
    if let Some(n) = args.shards {
        let idx = std::env::var("JOB_COMPLETION_INDEX").context(
            "`--shards` reads the shard index from JOB_COMPLETION_INDEX, which is not set",
        )?;
        let i: u32 = idx
            .trim()
            .parse()
            .with_context(|| format!("JOB_COMPLETION_INDEX `{idx}` is not a number"))?;
        if n == 0 || i >= n {
            anyhow::bail!("JOB_COMPLETION_INDEX {i} is not below --shards {n}");
        }
        return Ok(Shard { index: i, count: n });
    }
    Ok(Shard::WHOLE)
}

fn run_id(args: &FleetScanArgs, digest: &str, shard: Shard) -> anyhow::Result<String> {
    if let Some(id) = &args.run_id {
        if id.trim().is_empty() || id.chars().any(|c| c.is_control()) {
            anyhow::bail!("`--run-id` must be a non-empty printable name");
        }
        return Ok(id.clone());
    }
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let short = &hex[..hex.len().min(12)];
    let now = drydock_scan::now_rfc3339();
    if shard.count > 1 {
        let date = match &args.schedule_date {
            Some(d) => {
                d.parse::<drydock_policy::Date>()
                    .map_err(|e| anyhow::anyhow!("`--schedule-date {d}`: {e}"))?;
                d.clone()
            }
            None => now[..10].to_string(),
        };
        return Ok(format!("{short}-{date}"));
    }
    // One process: a new run each time, named by its start.
    let stamp: String = now.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Ok(format!(
        "{stamp}-{short}-{:04x}",
        (nanos ^ std::process::id()) & 0xffff
    ))
}

fn scan(args: FleetScanArgs) -> anyhow::Result<ExitCode> {
    if !matches!(args.format.as_str(), "table" | "json") {
        anyhow::bail!("`--format {}`: use table or json", args.format);
    }
    let fleet = drydock_fleet::file::load(&args.fleet, args.release.as_deref())?;
    let images = drydock_fleet::run::plan(&fleet, args.release.as_deref());
    if images.is_empty() {
        anyhow::bail!("`{}` lists no images", args.fleet.display());
    }
    let shard = shard(&args)?;
    let run_id = run_id(&args, &fleet.digest, shard)?;
    let db_path = match &args.db.db {
        Some(p) => p.clone(),
        None => drydock_advisory::default_db_path()?,
    };
    if !db_path.is_file() {
        anyhow::bail!(
            "no vulnerability DB at `{}`: build one with `drydock db build --feeds DIR` or fetch one with `drydock db update`",
            db_path.display()
        );
    }
    let platform: Platform = args
        .platform
        .clone()
        .or_else(|| fleet.defaults.platform.clone())
        .unwrap_or_else(|| "linux/amd64".into())
        .parse()?;
    let spec = TargetSpec {
        target: String::new(),
        platform,
        platform_explicit: args.platform.is_some() || fleet.defaults.platform.is_some(),
        limits: Limits {
            max_layer_size: args.max_layer_size,
            max_file_size: args.max_file_size,
            ..Limits::default()
        },
        cache_dir: args.cache_dir.clone(),
        no_cache: args.no_cache,
        verify_layers: args.verify_layers,
        cache_max_size: None,
        strict: false,
        input_kind: None,
        registry: Registry {
            credentials: None,
            insecure: args.insecure,
            ca_file: args.registry_ca.clone(),
        },
    };
    let mut store = args.store.open()?;
    let mut settings = settings(&args, &fleet)?;
    // Triage recorded in the store applies to every image (by repository and release).
    let triage = std::sync::Arc::new(drydock_triage::TriageSuppressor::from_store(&mut store)?);
    settings.suppressor = Some(triage.clone());
    let opts = FleetScanOptions {
        run_id,
        shard,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        spec,
        settings,
        db_path,
        drydock_version: env!("CARGO_PKG_VERSION").to_string(),
        progress: !args.no_progress,
    };
    let outcome = drydock_fleet::run::scan_fleet(&mut store, &fleet, &images, &opts)?;
    // What could not be checked, once for the run rather than once per image.
    let scanned = outcome.images.iter().filter(|i| !i.resumed).count();
    for n in outcome.not_checked() {
        let why = n
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        tracing::warn!(
            "not checked in {} of {scanned} images: {} {} packages in all{}",
            n.images,
            n.packages,
            drydock_fleet::display::escape(&n.ecosystem, 40),
            drydock_fleet::display::escape(&why, 300)
        );
    }
    warn_unused_triage(&triage, &outcome, shard);
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if args.format == "json" {
        summary_json(&outcome, &mut w)?;
    } else {
        summary_table(&outcome, shard, &mut w)?;
    }
    if let Some(webhook) = &args.alert
        && outcome.status == drydock_store::RunStatus::Complete
    {
        drop(store);
        let code = super::alert::run(super::alert::AlertArgs {
            webhook: webhook.clone(),
            kind: args.alert_kind,
            run: outcome.run_id.clone(),
            min_severity: Severity::High,
            always: false,
            dry_run: false,
            attempts: 4,
            backoff_ms: 2000,
            store: args.store.clone(),
        })?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    let gate_code = args
        .exit_code
        .unwrap_or(if args.fail_on.is_some() { 1 } else { 0 });
    Ok(if outcome.gate_failed() && gate_code != 0 {
        ExitCode::from(gate_code)
    } else if outcome.failed() > 0 {
        ExitCode::from(EXIT_IMAGES_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn settings(
    args: &FleetScanArgs,
    fleet: &drydock_fleet::file::Fleet,
) -> anyhow::Result<ScanSettings> {
    let base = fleet.path.parent().unwrap_or(std::path::Path::new("."));
    let mut files: Vec<PathBuf> = args.ignore_file.clone();
    files.extend(fleet.defaults.ignore_files.iter().map(|f| base.join(f)));
    let mut ignore: Option<IgnoreFile> = None;
    for f in &files {
        let file = IgnoreFile::load(f)?;
        match &mut ignore {
            Some(m) => m.entries.extend(file.entries),
            None => ignore = Some(file),
        }
    }
    let severities = fleet
        .defaults
        .severity
        .iter()
        .map(|s| {
            s.parse::<Severity>().map_err(|e| {
                anyhow::anyhow!("`{}`: defaults.severity `{s}`: {e}", fleet.path.display())
            })
        })
        .collect::<anyhow::Result<std::collections::BTreeSet<_>>>()?;
    Ok(ScanSettings {
        policy: Policy {
            severities: (!severities.is_empty()).then_some(severities),
            ignore_unfixed: fleet.defaults.ignore_unfixed.unwrap_or(false),
            ignore,
            fail_on: args.fail_on,
            fixable_only: args.fixable_only,
            ..Policy::default()
        },
        gate_requested: args.fail_on.is_some() || args.exit_code.is_some(),
        // Summed over the fleet after the run instead of a warning per image.
        quiet_coverage: true,
        scanners: drydock_scan::Scanners::parse(if args.scanners.is_empty() {
            &fleet.defaults.scanners
        } else {
            &args.scanners
        })
        .map_err(|e| {
            if args.scanners.is_empty() {
                anyhow::anyhow!("`{}`: defaults.scanners: {e}", fleet.path.display())
            } else {
                anyhow::anyhow!("`--scanners`: {e}")
            }
        })?,
        ..ScanSettings::default()
    })
}

fn summary_table(o: &FleetOutcome, shard: Shard, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let esc = |s: &str| drydock_fleet::display::escape(s, 120);
    let mut per_release: BTreeMap<String, (usize, usize, BTreeMap<String, usize>)> =
        BTreeMap::new();
    for i in &o.images {
        for r in &i.releases {
            let e = per_release.entry(r.clone()).or_default();
            match i.status {
                ScanStatus::Ok => e.0 += 1,
                ScanStatus::Failed => e.1 += 1,
            }
            for (s, n) in &i.by_severity {
                *e.2.entry(s.clone()).or_insert(0) += n;
            }
        }
    }
    writeln!(
        w,
        "Run {} ({}{}): {} images, {} failed; {} layers analysed, {} from the cache, {} distinct",
        esc(&o.run_id),
        o.status,
        if shard.count > 1 {
            format!(", shard {}/{}", shard.index + 1, shard.count)
        } else {
            String::new()
        },
        o.images.len(),
        o.failed(),
        o.layers_analysed(),
        o.images.iter().map(|i| i.layers_cached).sum::<usize>(),
        o.unique_layers
    )?;
    writeln!(
        w,
        "\n{:<20} {:>6} {:>6} {:>9} {:>6} {:>7} {:>5} {:>8}",
        "RELEASE", "OK", "FAILED", "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"
    )?;
    for (r, (ok, failed, sev)) in &per_release {
        let n = |k: &str| sev.get(k).copied().unwrap_or(0);
        writeln!(
            w,
            "{:<20} {:>6} {:>6} {:>9} {:>6} {:>7} {:>5} {:>8}",
            esc(r),
            ok,
            failed,
            n("CRITICAL"),
            n("HIGH"),
            n("MEDIUM"),
            n("LOW"),
            n("UNKNOWN")
        )?;
    }
    let failed: Vec<_> = o
        .images
        .iter()
        .filter(|i| i.status == ScanStatus::Failed)
        .collect();
    if !failed.is_empty() {
        writeln!(w, "\nNot scanned:")?;
        for i in failed {
            writeln!(
                w,
                "  {}: {}",
                esc(&i.reference),
                drydock_fleet::display::escape(i.error.as_deref().unwrap_or(""), 300)
            )?;
        }
    }
    Ok(())
}

/// Triage records that matched nothing in the run, one warning each, when this invocation
/// scanned all of it (not a shard, nothing resumed): records of the repositories and releases
/// scanned, and `all` records when no image failed. A record a failed image might have
/// matched is not called unused.
fn warn_unused_triage(triage: &drydock_triage::TriageSuppressor, o: &FleetOutcome, shard: Shard) {
    if shard.count > 1 || o.images.iter().any(|i| i.resumed) {
        return;
    }
    let failed: Vec<_> = o
        .images
        .iter()
        .filter(|i| i.status == ScanStatus::Failed)
        .collect();
    for (id, t) in triage.unused(failed.is_empty()) {
        let maybe_there = failed.iter().any(|i| match &t.scope {
            drydock_triage::Scope::Image(r) => i.repository == *r,
            drydock_triage::Scope::Release(r) => i.releases.contains(r),
            drydock_triage::Scope::All => true,
        });
        if !maybe_there {
            tracing::warn!("{}", drydock_triage::unused_notice(id, t).message);
        }
    }
}

fn summary_json(o: &FleetOutcome, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let images: Vec<serde_json::Value> = o
        .images
        .iter()
        .map(|i| {
            serde_json::json!({
                "reference": i.reference,
                "repository": i.repository,
                "releases": i.releases,
                "status": i.status,
                "error": i.error,
                "findings": i.by_severity,
                "gate_failed": i.gate_failed,
                "layers_analysed": i.layers_analysed,
                "layers_cached": i.layers_cached,
                "resumed": i.resumed,
                "not_checked": i.not_checked.iter().map(|(eco, why, n)| serde_json::json!({
                    "ecosystem": eco, "reason": why, "packages": n,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "run_id": o.run_id,
        "run_seq": o.run_seq,
        "status": o.status,
        "images_ok": o.images.len() - o.failed(),
        "images_failed": o.failed(),
        "layers_analysed": o.layers_analysed(),
        "unique_layers": o.unique_layers,
        "gate_failed": o.gate_failed(),
        "not_checked": o.not_checked().iter().map(|n| serde_json::json!({
            "ecosystem": n.ecosystem, "reason": n.reason, "images": n.images, "packages": n.packages,
        })).collect::<Vec<_>>(),
        "images": images,
    });
    serde_json::to_writer_pretty(&mut *w, &v)?;
    writeln!(w)?;
    Ok(())
}

//! `drydock db build|update|status`: flags → settings → `drydock_advisory` calls → output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use drydock_advisory::update::{self, UpdateOptions, Upstream};
use drydock_advisory::{BuildReport, Db, SourceStats};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build the DB from feeds in their upstream layouts (directories or mirror URLs).
    #[command(
        after_help = "Skipped records (malformed or unsupported) are summed up in one line on stderr;
`-v` lists them, `-q` silences the summary.

Examples:
  drydock db build --feeds ../shared/data/advisories
  drydock db build --feeds ./feeds --feeds https://mirror.example/feeds --db ./drydock.db
  drydock db build --feeds ./feeds --json | jq '.sources'"
    )]
    Build(BuildArgs),
    /// Fetch the feeds (upstream, or a mirror) and rebuild the DB.
    #[command(after_help = "Examples:
  drydock db update
  drydock db update --mirror https://mirror.example/feeds --no-nvd
  NVD_API_KEY=… drydock db update --db /var/lib/drydock/drydock.db")]
    Update(UpdateArgs),
    /// Show the DB's path, schema, age, and per-source counts.
    #[command(after_help = "Examples:
  drydock db status
  drydock db status --json | jq '.built_at_rfc3339'")]
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct DbPath {
    /// The DB file [default: `$XDG_CACHE_HOME/drydock/db/drydock.db`].
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// A directory holding `osv/`, `alpine-secdb/`, `debian/`, `nvd/` (or one of them, or a
    /// feed file), or an http(s) URL of a mirror laid out the same way. Repeatable.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH_OR_URL")]
    pub feeds: Vec<String>,
    #[command(flatten)]
    pub db: DbPath,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// A mirror laid out like the upstream feeds (`osv/<eco>/all.zip`, `alpine-secdb/…`,
    /// `debian/json`, `nvd/cves-0001.json`) instead of the upstream URLs.
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// Skip NVD (CVSS enrichment); the full NVD API takes ~15 minutes without `NVD_API_KEY`.
    #[arg(long)]
    pub no_nvd: bool,
    #[command(flatten)]
    pub db: DbPath,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DbPath,
    /// Print the status as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: DbCommand) -> anyhow::Result<ExitCode> {
    match c {
        DbCommand::Build(a) => build(a),
        DbCommand::Update(a) => update(a),
        DbCommand::Status(a) => status(a),
    }
}

fn db_path(p: &DbPath) -> anyhow::Result<PathBuf> {
    match &p.db {
        Some(p) => Ok(p.clone()),
        None => Ok(drydock_advisory::default_db_path()?),
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn build(a: BuildArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(&a.db)?;
    let mut bases = Vec::new();
    for f in &a.feeds {
        if is_url(f) {
            // A URL is fetched like a mirror into the feed cache, then built from there.
            let dir = update::feeds_dir(&db);
            let opts = UpdateOptions::new(db.clone(), Upstream::Mirror(f.clone()));
            update::fetch(&opts.upstream, &dir, &opts)
                .with_context(|| format!("fetching feeds from `{f}`"))?;
            bases.push(dir);
        } else {
            let path = PathBuf::from(f);
            if !path.exists() {
                anyhow::bail!("`--feeds {f}`: no such file or directory");
            }
            bases.push(path);
        }
    }
    let report = drydock_advisory::build(&bases, &db).context("building the vulnerability DB")?;
    print_build(&report, a.json);
    Ok(ExitCode::SUCCESS)
}

fn update(a: UpdateArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(&a.db)?;
    let upstream = match a.mirror {
        Some(m) => Upstream::Mirror(m),
        None => Upstream::Default,
    };
    let mut opts = UpdateOptions::new(db, upstream);
    opts.nvd = !a.no_nvd;
    let report = update::update(&opts).context("updating the vulnerability DB")?;
    let f = &report.fetch;
    if !a.json {
        println!(
            "fetched {} file(s) ({}), {} unchanged, {} not on the server",
            f.downloaded.len(),
            human_bytes(f.bytes),
            f.not_modified.len(),
            f.missing.len()
        );
    }
    print_build(&report.build, a.json);
    Ok(ExitCode::SUCCESS)
}

fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let path = db_path(&a.db)?;
    let db = Db::open(&path)?;
    let s = db.status()?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    let age = db.age()?;
    println!("path:           {}", s.path.display());
    println!("schema version: {}", s.schema_version);
    println!(
        "built:          {} ({} ago)",
        s.built_at_rfc3339,
        human_age(age)
    );
    println!("built by:       drydock {}", s.built_by);
    println!("size:           {}", human_bytes(s.size_bytes));
    print_sources(&s.sources);
    if age > drydock_advisory::DEFAULT_MAX_AGE {
        println!("the DB is older than 7 days: run `drydock db update`");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_build(r: &BuildReport, json: bool) {
    if json {
        let v = serde_json::json!({
            "path": r.path,
            "size_bytes": r.size_bytes,
            "elapsed_ms": r.elapsed.as_millis() as u64,
            "sources": r.sources,
            "warnings": r.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    println!(
        "built {} in {:.2} s ({})",
        r.path.display(),
        r.elapsed.as_secs_f64(),
        human_bytes(r.size_bytes)
    );
    print_sources(&r.sources);
    skipped_summary(&r.warnings);
}

/// One line on stderr for the records the build skipped (`-q` silences it), each of them with
/// `-v`.
fn skipped_summary(warnings: &[drydock_advisory::Skip]) {
    if warnings.is_empty() {
        return;
    }
    let mut by_reason: std::collections::BTreeMap<String, usize> = Default::default();
    for w in warnings {
        *by_reason.entry(w.reason.as_str().to_string()).or_default() += 1;
    }
    let parts: Vec<String> = by_reason.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let hint = if tracing::enabled!(tracing::Level::INFO) {
        ""
    } else {
        " (-v lists them)"
    };
    tracing::warn!(
        "skipped {} record(s) or file(s): {}{hint}",
        warnings.len(),
        parts.join(", ")
    );
    for w in warnings {
        tracing::info!("skipped: {w}");
    }
}

fn print_sources(sources: &std::collections::BTreeMap<String, SourceStats>) {
    println!(
        "{:<22} {:>8} {:>9}  {:<22} skipped",
        "source", "records", "affected", "feed time"
    );
    for (name, s) in sources {
        let skipped: Vec<String> = s.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
        println!(
            "{:<22} {:>8} {:>9}  {:<22} {}",
            name,
            s.records,
            s.affected,
            s.feed_time.as_deref().unwrap_or("-"),
            if skipped.is_empty() {
                "-".to_string()
            } else {
                skipped.join(", ")
            }
        );
    }
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

pub(crate) fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

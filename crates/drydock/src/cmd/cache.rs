//! `drydock cache clean|prune|info`: the image cache registry pulls fill, and the layer cache
//! scans fill (`layers/`). Trivy's cache flags (`trivy clean --all`, `--scan-cache`,
//! `--vuln-db`, `trivy image --clear-cache`, `--reset`, `--cache-dir`) do the same here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use drydock_image::LayerCache;
use drydock_registry::Cache;

use super::db::DbPath;
use super::target::parse_size;

const CACHE_AFTER_HELP: &str = "Examples:
  drydock cache info
  drydock cache clean                      # image and layer caches; the DB stays
  drydock cache clean --all                # and the vulnerability DB (Trivy's `trivy clean --all`)
  drydock cache clean --vuln-db            # only the vulnerability DB
  drydock cache prune --max-size 5GiB
  drydock cache clean --cache-dir /ci/cache";

#[derive(Debug, Subcommand)]
#[command(after_help = CACHE_AFTER_HELP)]
pub enum CacheCommand {
    /// Empty the image cache and the layer cache (the vulnerability DB stays, unless `--all`
    /// or `--vuln-db`). Trivy's `trivy clean` flags are accepted.
    #[command(visible_alias = "clear", after_help = CACHE_AFTER_HELP)]
    Clean(CleanArgs),
    /// Remove least recently used blobs until the image cache is at most SIZE, and least
    /// recently used layer records until the layer cache is at most SIZE.
    #[command(after_help = CACHE_AFTER_HELP)]
    Prune {
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: u64,
        #[command(flatten)]
        dir: CacheDir,
    },
    /// Show where the image and layer caches are and how large they are.
    #[command(after_help = CACHE_AFTER_HELP)]
    Info {
        #[command(flatten)]
        dir: CacheDir,
    },
}

/// Where the caches are.
#[derive(Debug, Args)]
pub struct CacheDir {
    /// The cache directory (default `$XDG_CACHE_HOME/drydock`, else `~/.cache/drydock`), as
    /// `drydock image --cache-dir` takes it.
    #[arg(long, value_name = "DIR", env = "DRYDOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl CacheDir {
    pub fn root(&self) -> anyhow::Result<PathBuf> {
        Ok(match &self.cache_dir {
            Some(d) => d.clone(),
            None => Cache::default_root()?,
        })
    }
}

/// What `cache clean` removes. With none of `--all`, `--scan-cache`, `--vuln-db`: the scan
/// caches (as `--scan-cache`).
#[derive(Debug, Args)]
pub struct CleanArgs {
    /// The image cache, the layer cache and the vulnerability DB (Trivy's `clean --all`).
    #[arg(long, short = 'a')]
    pub all: bool,
    /// The image cache and the layer cache (the default; Trivy's `clean --scan-cache`).
    #[arg(long)]
    pub scan_cache: bool,
    /// The vulnerability DB (`--db`, `DRYDOCK_DB`, else the default path); `drydock db
    /// update` or `db build` makes a new one (Trivy's `clean --vuln-db`).
    #[arg(long)]
    pub vuln_db: bool,
    /// No-op: drydock has no separate Java DB (Trivy's `clean --java-db`).
    #[arg(long)]
    pub java_db: bool,
    /// No-op: drydock's misconfiguration checks are built in (Trivy's `clean --checks-bundle`).
    #[arg(long)]
    pub checks_bundle: bool,
    /// No-op: drydock keeps no VEX repositories (Trivy's `clean --vex-repo`).
    #[arg(long)]
    pub vex_repo: bool,
    #[command(flatten)]
    pub dir: CacheDir,
    #[command(flatten)]
    pub db: DbPath,
}

pub fn run(c: CacheCommand) -> anyhow::Result<ExitCode> {
    match c {
        CacheCommand::Clean(args) => {
            let root = args.dir.root()?;
            let scan = args.all || args.scan_cache || !args.vuln_db;
            if scan {
                clean_scan_caches(&root, &mut std::io::stdout())?;
            }
            if args.all || args.vuln_db {
                remove_db(&args.db, &mut std::io::stdout())?;
            }
            for (given, what) in [
                (args.java_db, "--java-db: drydock has no separate Java DB"),
                (
                    args.checks_bundle,
                    "--checks-bundle: drydock's misconfiguration checks are built in",
                ),
                (
                    args.vex_repo,
                    "--vex-repo: drydock keeps no VEX repositories",
                ),
            ] {
                if given {
                    println!("{what}; nothing to remove");
                }
            }
        }
        CacheCommand::Prune { max_size, dir } => {
            let cache = Cache::open(dir.root()?)?;
            let layers = LayerCache::new(cache.root().join("layers"));
            let r = cache.prune(max_size)?;
            println!(
                "removed {} blobs ({} bytes) and {} layouts; {} bytes left",
                r.blobs,
                r.bytes,
                r.layouts,
                cache.size()?
            );
            let l = layers.prune(max_size)?;
            println!(
                "removed {} layer cache records ({} bytes); {} bytes left",
                l.files,
                l.bytes,
                layers.usage()?.bytes
            );
        }
        CacheCommand::Info { dir } => {
            let cache = Cache::open(dir.root()?)?;
            let layers = LayerCache::new(cache.root().join("layers"));
            println!("{}\t{} bytes", cache.root().display(), cache.size()?);
            let l = layers.usage()?;
            println!(
                "{}\t{} bytes in {} records",
                layers.root().display(),
                l.bytes,
                l.files
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Empties the image cache and the layer cache under `root`, saying what went to `out`.
pub fn clean_scan_caches(root: &Path, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let cache = Cache::open(root)?;
    let layers = LayerCache::new(cache.root().join("layers"));
    let r = cache.clean()?;
    writeln!(
        out,
        "removed {} blobs ({} bytes) and {} layouts from `{}`",
        r.blobs,
        r.bytes,
        r.layouts,
        cache.root().display()
    )?;
    let l = layers.clean()?;
    writeln!(
        out,
        "removed {} layer cache records ({} bytes) from `{}`",
        l.files,
        l.bytes,
        layers.root().display()
    )?;
    Ok(())
}

/// Removes the vulnerability DB file (and SQLite's side files), saying so to `out`.
pub fn remove_db(db: &DbPath, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let path = match &db.db {
        Some(p) => p.clone(),
        None => drydock_advisory::default_db_path()?,
    };
    let mut removed = false;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => removed |= suffix.is_empty(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "removing the vulnerability DB `{}`: {e}",
                    PathBuf::from(p).display()
                ));
            }
        }
    }
    if removed {
        writeln!(
            out,
            "removed the vulnerability DB `{}` (`drydock db update` fetches a new one)",
            path.display()
        )?;
    } else {
        writeln!(out, "no vulnerability DB at `{}`", path.display())?;
    }
    Ok(())
}

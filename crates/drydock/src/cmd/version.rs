//! `drydock version`: the version of drydock, its commit and the DB's age (as `--version`
//! prints them); `drydock version cmp|in`: compare two versions, or test range membership.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use drydock_version::{RangeEvent, Scheme};

const CMP_HELP: &str = "\
Prints `<`, `=` or `>`: how A orders against B under the ecosystem's rules.

ECOSYSTEM is a purl type: deb, rpm, apk, npm, pypi, cargo, golang, maven, gem, nuget, composer.
An invalid version is an error (exit status 2), never `=`.

Examples:
  drydock version cmp deb 1.0~rc1-1 1.0-1          # <
  drydock version cmp rpm 1:1.0-1.el9 2.0-1.el9    # >
  drydock version cmp pypi 1.0.post1 1.0           # >
  drydock version cmp maven 1.0-SNAPSHOT 1.0       # <";

const IN_HELP: &str = "\
Prints `true` or `false`: is VERSION inside RANGE?

RANGE is either an OSV-style event list or the ecosystem's own range syntax.

OSV-style: comma-separated `introduced=V`, `fixed=V`, `last_affected=V` and `limit=V` events,
evaluated as OSV does (events sorted by version; `introduced=0` means from the start; several
introduced/fixed pairs allowed). A range is read as OSV-style when it starts with one of those
four words and `=`.

Native ranges:
  npm       ^1.2.3, ~1.2, 1.x, 1.2 - 2.3, >=1 <2 || 3
  cargo     ^1.2, ~1.2, >=1, <2, 1.*, =1.2.3 (a bare version means ^)
  pypi      >=1,<2,!=1.5.*, ~=1.4.2
  maven     [1.0,2.0), (,1.0],[1.2,)
  gem       ~> 1.2, >= 1.0, < 2
  nuget     [1.0,2.0), (,1.0] (a bare version means >=)
  composer  ^1.2 || >=2.0,<2.3, ~1.2, 1.2.*, 1.0 - 2.0
  deb, rpm, apk, golang   comparisons <, <=, >, >=, =, != (and dpkg's <<, >>), joined by `,`
                          or spaces (all must hold) and `||` (either side)

Examples:
  drydock version in deb 2.36-9+deb12u3 'introduced=0,fixed=2.36-9+deb12u4'   # true
  drydock version in pypi 1.5.2 '>=1,<2,!=1.5.*'                              # false
  drydock version in npm 1.2.3-beta.1 '^1.2.0'                                # false
  drydock version in golang v1.2.4-0.20191109021931-daa7c04131f5 '<1.2.4'     # true";

/// `drydock version [cmp|in …]`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  drydock version                                  # drydock 0.1.0 (commit 1a2b3c4d5e6f), DB built 2 days ago
  drydock version cmp deb 1.0~rc1-1 1.0-1          # <
  drydock version in pypi 1.5.2 '>=1,<2'           # true"
)]
pub struct VersionArgs {
    #[command(subcommand)]
    pub command: Option<VersionCommand>,
    /// The DB whose age to show [default: `$XDG_CACHE_HOME/drydock/db/drydock.db`].
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<std::path::PathBuf>,
}

/// The commit drydock was built from (`build.rs`), `unknown` outside a git checkout.
pub const COMMIT: &str = env!("DRYDOCK_COMMIT");

/// `drydock 0.1.0 (commit 1a2b3c4d5e6f), DB built 2026-11-23T03:37:27Z (2 days ago)`: what
/// `drydock version` and `drydock --version` print.
pub fn long_version(db: Option<&std::path::Path>) -> String {
    let path = match db {
        Some(p) => Some(p.to_path_buf()),
        None => drydock_advisory::default_db_path().ok(),
    };
    let db = match path {
        Some(p) if p.is_file() => {
            match drydock_advisory::Db::open(&p).and_then(|db| Ok((db.status()?, db.age()?))) {
                Ok((s, age)) => format!(
                    "DB built {} ({} ago, `{}`)",
                    s.built_at_rfc3339,
                    super::db::human_age(age),
                    p.display()
                ),
                Err(e) => format!("DB `{}` unreadable: {e}", p.display()),
            }
        }
        Some(p) => format!("no DB at `{}`", p.display()),
        None => "no DB".to_string(),
    };
    format!(
        "drydock {} (commit {COMMIT})\n{db}",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Compare two versions of an ecosystem: prints `<`, `=` or `>`.
    #[command(long_about = CMP_HELP)]
    Cmp {
        /// Ecosystem (purl type): deb, rpm, apk, npm, pypi, cargo, golang, maven, gem, nuget,
        /// composer.
        ecosystem: String,
        /// The first version.
        #[arg(allow_hyphen_values = true)]
        a: String,
        /// The second version.
        #[arg(allow_hyphen_values = true)]
        b: String,
    },
    /// Is a version inside an OSV-style or native range? Prints `true` or `false`.
    #[command(long_about = IN_HELP)]
    In {
        /// Ecosystem (purl type).
        ecosystem: String,
        /// The version to test.
        #[arg(id = "VERSION", value_name = "VERSION", allow_hyphen_values = true)]
        version: String,
        /// `introduced=…,fixed=…` events, or the ecosystem's own range syntax.
        #[arg(allow_hyphen_values = true)]
        range: String,
    },
}

pub fn run(a: VersionArgs) -> anyhow::Result<ExitCode> {
    let Some(c) = a.command else {
        println!("{}", long_version(a.db.as_deref()));
        return Ok(ExitCode::SUCCESS);
    };
    match c {
        VersionCommand::Cmp { ecosystem, a, b } => {
            let scheme: Scheme = ecosystem.parse()?;
            let o = drydock_version::compare(scheme, &a, &b)?;
            println!(
                "{}",
                match o {
                    std::cmp::Ordering::Less => "<",
                    std::cmp::Ordering::Equal => "=",
                    std::cmp::Ordering::Greater => ">",
                }
            );
        }
        VersionCommand::In {
            ecosystem,
            version,
            range,
        } => {
            let scheme: Scheme = ecosystem.parse()?;
            let inside = match osv_events(&range)? {
                Some(events) => drydock_version::in_osv_range(scheme, &version, &events)?,
                None => drydock_version::in_native_range(scheme, &version, &range)?,
            };
            println!("{inside}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

const EVENT_KEYS: [&str; 4] = ["introduced", "fixed", "last_affected", "limit"];

/// `introduced=1.0,fixed=1.2` → events; `None` when the range is not OSV-style.
fn osv_events(range: &str) -> anyhow::Result<Option<Vec<RangeEvent>>> {
    let t = range.trim_start();
    if !EVENT_KEYS.iter().any(|k| {
        t.strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with('='))
    }) {
        return Ok(None);
    }
    let mut events = Vec::new();
    for part in t.split(',') {
        let (k, v) = part.split_once('=').with_context(|| {
            format!("OSV-style range `{range}`: expected `event=version`, got `{part}`")
        })?;
        let v = v.trim().to_string();
        if v.is_empty() {
            bail!("OSV-style range `{range}`: `{}` has no version", k.trim());
        }
        events.push(match k.trim() {
            "introduced" => RangeEvent::Introduced(v),
            "fixed" => RangeEvent::Fixed(v),
            "last_affected" => RangeEvent::LastAffected(v),
            "limit" => RangeEvent::Limit(v),
            other => bail!(
                "OSV-style range `{range}`: unknown event `{other}` (expected introduced, fixed, last_affected or limit)"
            ),
        });
    }
    Ok(Some(events))
}

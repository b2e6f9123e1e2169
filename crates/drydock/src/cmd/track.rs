//! `drydock track sync`: one tracker issue per image of a run; and the `--on-fail-issue` flags
//! of `drydock image`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use drydock_forge::sync::{self, Reopen, SyncOptions};
use drydock_forge::{Filed, ForgeConfig, ForgeKind, NoTriage, Pacing, StoreTriage, TriageSource};

use super::fleet::StoreArg;

#[derive(Debug, Subcommand)]
pub enum TrackCommand {
    /// Create, update and close one issue per image of a run (from the history store).
    Sync(TrackSyncArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ForgeArg {
    /// GitHub, or GitHub Enterprise Server with `--url https://HOST/api/v3`.
    Github,
    /// GitLab (gitlab.com, or `--url https://HOST/api/v4`).
    Gitlab,
    /// Gitea or Forgejo (`--url https://HOST/api/v1`, required).
    Gitea,
}

impl From<ForgeArg> for ForgeKind {
    fn from(f: ForgeArg) -> ForgeKind {
        match f {
            ForgeArg::Github => ForgeKind::Github,
            ForgeArg::Gitlab => ForgeKind::Gitlab,
            ForgeArg::Gitea => ForgeKind::Gitea,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReopenArg {
    /// Reopen an issue drydock closed; leave one a human closed.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The token comes from DRYDOCK_FORGE_TOKEN, else GITHUB_TOKEN / GITLAB_TOKEN / GITEA_TOKEN;
it needs write access to issues (GitHub: `issues: write`). It is never printed.

drydock finds its issues by a hidden marker (a hash of the image repository) among the issues
its token's user opened with the `cve-report` label: never by title. It writes only the part of
the body between its markers; notes outside them are kept. Nothing is written when nothing
changed. A failed scan never closes or edits an issue; an image that left the fleet is closed.

Exit codes: 0 synced, 1 some issues could not be written (the rest were), 2 usage, token or
repository errors.

Examples:
  drydock track sync --forge github --repo org/cve-reports
  drydock track sync --forge github --repo org/cve-reports --dry-run
  drydock track sync --forge github --repo org/cve-reports --url https://ghe.example/api/v3 r-2026-12-04
  drydock track sync --forge gitlab --repo group/project --url https://gitlab.example.com/api/v4
  drydock track sync --forge gitea --repo org/repo --url https://git.example.com/api/v1"
)]
pub struct TrackSyncArgs {
    /// The forge.
    #[arg(long, value_enum)]
    pub forge: ForgeArg,
    /// The repository the issues live in: OWNER/NAME (GitLab: GROUP/…/PROJECT).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,
    /// The API base: https://HOST/api/v3 (GitHub Enterprise), https://HOST/api/v4 (GitLab),
    /// https://HOST/api/v1 (Gitea) [default: api.github.com, gitlab.com].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The run: its id, `#SEQ`, `latest` (newest complete run), `previous`, `latest~N`.
    #[arg(value_name = "RUN", default_value = "latest")]
    pub run: String,
    /// Print the plan (create / update / close / unchanged per image) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// When to reopen a closed issue whose image has findings again.
    #[arg(long, value_enum, default_value_t = ReopenArg::Auto)]
    pub reopen: ReopenArg,
    /// Where the full report is, for the line a truncated table ends with.
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,
    /// The least time between two writes, in milliseconds [default: 1000 on GitHub, 200 elsewhere].
    #[arg(long, value_name = "MS", hide = true)]
    pub write_spacing_ms: Option<u64>,
    #[command(flatten)]
    pub store: StoreArg,
}

pub fn run(c: TrackCommand) -> anyhow::Result<ExitCode> {
    match c {
        TrackCommand::Sync(a) => sync_cmd(a),
    }
}

fn pacing(kind: ForgeKind, spacing_ms: Option<u64>) -> Pacing {
    let mut p = kind.pacing();
    if let Some(ms) = spacing_ms {
        p.write_spacing = Duration::from_millis(ms);
        if ms == 0 {
            p.backoff = Duration::from_millis(100);
        }
    }
    p
}

fn token(kind: ForgeKind) -> anyhow::Result<drydock_forge::Token> {
    ForgeConfig::token_from_env(kind).with_context(|| {
        format!(
            "no token for {kind}: set {} (it needs write access to issues)",
            kind.token_vars().join(" or ")
        )
    })
}

/// Triage from the store when it has any records, else none.
pub fn triage_of(store: &mut drydock_store::Store) -> anyhow::Result<Box<dyn TriageSource>> {
    Ok(
        match StoreTriage::load(store, drydock_policy::Date::today()) {
            Ok(t) => Box::new(t),
            Err(e) => {
                tracing::warn!("triage records not read ({e}): every finding is listed");
                Box::new(NoTriage)
            }
        },
    )
}

fn sync_cmd(a: TrackSyncArgs) -> anyhow::Result<ExitCode> {
    let kind = ForgeKind::from(a.forge);
    let mut store = a.store.open()?;
    let token = token(kind)?;
    let mut forge = drydock_forge::connect(&ForgeConfig {
        kind,
        repository: a.repo.clone(),
        url: a.url.clone(),
        token: Some(token.clone()),
        pacing: Some(pacing(kind, a.write_spacing_ms)),
    })?;
    let triage = triage_of(&mut store)?;
    let opts = SyncOptions {
        reopen: match a.reopen {
            ReopenArg::Auto => Reopen::Auto,
            ReopenArg::Always => Reopen::Always,
            ReopenArg::Never => Reopen::Never,
        },
        full_report: a.report_url.clone(),
    };
    let plan = sync::plan_run(&mut store, &a.run, forge.as_mut(), triage.as_ref(), &opts)
        .map_err(|e| anyhow::anyhow!(token.redact(&e.to_string())))?;
    let target = format!("{kind}:{}", a.repo);
    if a.dry_run {
        for s in &plan.steps {
            println!("{}", token.redact(&s.to_string()));
        }
        println!(
            "dry run of run `{}` to {target}: {} (nothing written)",
            plan.run_id,
            plan.summary()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let applied = sync::apply(&plan, forge.as_mut())
        .map_err(|e| anyhow::anyhow!(token.redact(&e.to_string())))?;
    for s in &plan.steps {
        if !matches!(s.action, sync::Action::Unchanged { .. }) {
            println!("{}", token.redact(&s.to_string()));
        }
    }
    for w in &applied.warnings {
        tracing::warn!("{}", token.redact(w));
    }
    println!(
        "synced run `{}` to {target}: {}; {} write(s), {} request(s)",
        plan.run_id,
        plan.summary(),
        applied.stats.writes,
        applied.stats.requests
    );
    if applied.failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for (image, e) in &applied.failed {
            eprintln!("drydock: error: {image}: {}", token.redact(e));
        }
        Ok(ExitCode::from(1))
    }
}

/// `--on-fail-issue FORGE:OWNER/NAME` and its companions on `drydock image`.
#[derive(Debug, Args, Clone, Default)]
pub struct FailIssueArgs {
    /// When the gate fails, file (or comment on) one issue per image and failure kind, e.g.
    /// `github:org/repo` (token as for `drydock track sync`); when it passes, close them.
    #[arg(long, value_name = "FORGE:OWNER/NAME")]
    pub on_fail_issue: Option<String>,
    /// The label the failure issue carries and is found by.
    #[arg(long, value_name = "LABEL", default_value = "security")]
    pub on_fail_issue_label: String,
    /// The forge's API base (GitHub Enterprise, GitLab, Gitea), as `--url` of `drydock track sync`.
    #[arg(long, value_name = "URL")]
    pub on_fail_issue_url: Option<String>,
}

/// Files (or comments on) the failure issue when the report's gate failed; closes it when the
/// gate passed; nothing when no gate was asked for.
pub fn file_failure(a: &FailIssueArgs, report: &drydock_report::Report) -> anyhow::Result<()> {
    let Some(spec) = &a.on_fail_issue else {
        return Ok(());
    };
    let (forge, repo) = spec.split_once(':').with_context(|| {
        format!("--on-fail-issue `{spec}`: expected FORGE:OWNER/NAME, e.g. github:org/repo")
    })?;
    let kind: ForgeKind = forge
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--on-fail-issue: {e}"))?;
    let opts = drydock_forge::FailureOptions {
        label: a.on_fail_issue_label.clone(),
        run_url: drydock_forge::ci_run_url(|k| std::env::var(k).ok()),
        ..Default::default()
    };
    let Some(gate) = &report.gate else {
        return Ok(());
    };
    let token = token(kind)?;
    let mut f = drydock_forge::connect(&ForgeConfig {
        kind,
        repository: repo.to_string(),
        url: a.on_fail_issue_url.clone(),
        token: Some(token.clone()),
        pacing: None,
    })?;
    let redact = |e: drydock_forge::ForgeError| anyhow::anyhow!(token.redact(&e.to_string()));
    if !gate.failed {
        let closed = drydock_forge::resolve_failure_issues(f.as_mut(), report, repo, &opts)
            .map_err(redact)?;
        for n in closed {
            eprintln!("drydock: the gate passed: closed {kind}:{repo}#{n}");
        }
        return Ok(());
    }
    let Some(issue) = drydock_forge::failure_issue(report, repo, &opts) else {
        return Ok(());
    };
    match drydock_forge::file_failure_issue(f.as_mut(), &issue).map_err(redact)? {
        Filed::Created(n) => eprintln!("drydock: filed {kind}:{repo}#{n}: {}", issue.title),
        Filed::Commented(n) => {
            eprintln!("drydock: the scan failed again: commented on {kind}:{repo}#{n}")
        }
    }
    Ok(())
}

//! `drydock alert`: one digest per run of what is new, to Slack, Teams or signed JSON.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use drydock_forge::alert::{self, AlertOptions, Retry, WebhookKind};
use drydock_match::Severity;

use super::fleet::StoreArg;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Slack incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// Microsoft Teams Workflows webhook: an Adaptive Card.
    Teams,
    /// The digest as JSON, signed `X-Hub-Signature-256: sha256=…` with DRYDOCK_WEBHOOK_SECRET.
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "What is new, per image, since its previous successful scan (on an image's first scan every
finding is new): findings at or above --min-severity, fixes that became available, acceptances
that expired or expire within 7 days, images that failed to scan. Nothing new: nothing is sent
(--always sends an \"all clear\"). With DRYDOCK_WEBHOOK_SECRET set, the body is signed like
GitHub's webhooks (X-Hub-Signature-256). Delivery is retried with back-off; a final failure exits 1.
The webhook URL is a secret: only its host is ever printed.

Examples:
  drydock alert --webhook \"$SLACK_WEBHOOK_URL\" --kind slack
  drydock alert --webhook \"$TEAMS_WORKFLOW_URL\" --kind teams --min-severity CRITICAL r-2026-12-04
  DRYDOCK_WEBHOOK_SECRET=… drydock alert --webhook https://hooks.example/drydock --kind json --always
  drydock alert --webhook x --dry-run          # print the payload, send nothing"
)]
pub struct AlertArgs {
    /// Where to POST the digest.
    #[arg(long, value_name = "URL")]
    pub webhook: String,
    #[arg(long, value_enum, default_value_t = KindArg::Json)]
    pub kind: KindArg,
    /// The run: its id, `#SEQ`, `latest`, `previous`, `latest~N`.
    #[arg(value_name = "RUN", default_value = "latest")]
    pub run: String,
    /// The lowest severity of a new finding worth an alert.
    #[arg(long, value_name = "SEVERITY", default_value = "HIGH")]
    pub min_severity: Severity,
    /// Send even when nothing is new (an "all clear").
    #[arg(long)]
    pub always: bool,
    /// Print the payload instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Delivery attempts before giving up.
    #[arg(long, value_name = "N", default_value_t = 4, hide = true)]
    pub attempts: u32,
    /// The first back-off between attempts, in milliseconds (doubled each time).
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    pub backoff_ms: u64,
    #[command(flatten)]
    pub store: StoreArg,
}

pub fn run(a: AlertArgs) -> anyhow::Result<ExitCode> {
    let mut store = a.store.open()?;
    let triage = super::track::triage_of(&mut store)?;
    let today = drydock_policy::Date::today().to_string();
    let d = alert::digest(
        &mut store,
        &a.run,
        triage.as_ref(),
        &AlertOptions {
            min_severity: a.min_severity,
            today,
            expiring_days: 7,
        },
    )?;
    let kind = match a.kind {
        KindArg::Slack => WebhookKind::Slack,
        KindArg::Teams => WebhookKind::Teams,
        KindArg::Json => WebhookKind::Json,
    };
    let shown = drydock_forge::http::display_origin(&a.webhook);
    if d.is_empty() && !a.always {
        println!("{}: nothing sent", d.headline());
        return Ok(ExitCode::SUCCESS);
    }
    let body = alert::payload(&d, kind).to_string();
    if a.dry_run {
        println!("{body}");
        return Ok(ExitCode::SUCCESS);
    }
    let secret = std::env::var("DRYDOCK_WEBHOOK_SECRET")
        .ok()
        .filter(|s| !s.is_empty());
    if secret.is_none() && matches!(kind, WebhookKind::Json) {
        tracing::warn!("DRYDOCK_WEBHOOK_SECRET is not set: the JSON digest goes unsigned");
    }
    let retry = Retry {
        attempts: a.attempts.max(1),
        backoff: std::time::Duration::from_millis(a.backoff_ms),
    };
    match alert::deliver(
        &a.webhook,
        &body,
        secret.as_deref().map(str::as_bytes),
        retry,
    ) {
        Ok(attempts) => {
            println!("{}: sent to {shown} (attempt {attempts})", d.headline());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("drydock: error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

//! drydock's tracker issues and alerts: the two things teams script by hand around scans.
//!
//! - **One issue per image** ([`sync`]): from a run in the history store, each image
//!   repository with findings gets exactly one issue, `[CVE Report]: <image:tag>`, with a
//!   `| Vulnerability ID | Title | Package Name | Fixed Version | Severity | URL |` table between
//!   markers ([`body`]), labels `cve-report`, `critical-cves`, `cve/<release>`, `cve/<source>`;
//!   edited only when the table, labels or title changed, closed when clean or gone from the
//!   fleet, never touched because a scan failed.
//! - **Failure issues** ([`failure`]): a CI scan whose gate failed files one issue per (image,
//!   failure kind), named after its most severe finding; repeats comment.
//! - **Alerts** ([`alert`]): one digest per run of what is new, to Slack, Teams or signed JSON.
//!
//! Every forge speaks through one [`Forge`] trait with a module per dialect ([`forge::github`]
//! incl. Enterprise, [`forge::gitlab`], [`forge::gitea`]) over a thin blocking client
//! ([`http`]) that honours rate limits, spaces writes and never prints a token.
//!
//! ```no_run
//! use drydock_forge::{ForgeConfig, ForgeKind, NoTriage, SyncOptions, connect, sync};
//! let mut store = drydock_store::Store::open("history.db")?;
//! let mut forge = connect(&ForgeConfig {
//!     kind: ForgeKind::Github,
//!     repository: "org/cve-reports".into(),
//!     url: None,
//!     token: ForgeConfig::token_from_env(ForgeKind::Github),
//!     pacing: None,
//! })?;
//! let plan = sync::plan_run(&mut store, "latest", forge.as_mut(), &NoTriage, &SyncOptions::default())?;
//! for step in &plan.steps {
//!     println!("{step}");
//! }
//! let applied = sync::apply(&plan, forge.as_mut())?;
//! println!("{} created, {} writes", applied.created.len(), applied.stats.writes);
//! # Ok::<(), drydock_forge::ForgeError>(())
//! ```

pub mod alert;
pub mod body;
pub mod failure;
pub mod forge;
pub mod http;
pub mod image;
pub mod sync;
pub mod triage;

pub use failure::{
    FailureIssue, FailureOptions, Filed, ci_run_url, failure_issue, file_failure_issue,
    resolve_failure_issues,
};
pub use forge::{Forge, ForgeConfig, ForgeKind, Issue, IssueState, connect};
pub use http::{Pacing, Stats, Token};
pub use sync::{Plan, Reopen, SyncOptions};
pub use triage::{Expiring, NoTriage, StoreTriage, Suppression, TriageSource};

/// Why a forge or webhook operation failed. Messages name the repository or the receiver's
/// origin, never a token or a webhook's secret path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeError {
    /// 401/403/404: one line with the repository and the permission needed.
    #[error("`{repository}`: {message}")]
    Permission { repository: String, message: String },
    #[error("`{repository}`: HTTP {status}: {message}")]
    Status {
        repository: String,
        status: u16,
        message: String,
    },
    #[error(
        "rate limited by {url}: the limit resets in {wait_secs} s, longer than allowed to wait; run again later"
    )]
    RateLimited { url: String, wait_secs: u64 },
    #[error("cannot reach {url}: {message}")]
    Transport { url: String, message: String },
    #[error("unexpected answer from {url}: {message}")]
    Protocol { url: String, message: String },
    #[error("webhook {url}: {message}")]
    Webhook { url: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] drydock_store::StoreError),
}

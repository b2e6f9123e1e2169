//! The one interface every forge dialect implements, and the issue as drydock sees it.

use std::fmt;
use std::str::FromStr;

use crate::ForgeError;
use crate::http::{Pacing, Stats, Token};
use remote::Remote;

mod api;
pub mod gitea;
pub mod github;
pub mod gitlab;
mod remote;

/// Which forge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ForgeKind {
    Github,
    Gitlab,
    Gitea,
}

impl ForgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ForgeKind::Github => "github",
            ForgeKind::Gitlab => "gitlab",
            ForgeKind::Gitea => "gitea",
        }
    }

    /// The API base when `--url` is not given (only GitHub has a public default).
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            ForgeKind::Github => Some("https://api.github.com"),
            ForgeKind::Gitlab => Some("https://gitlab.com/api/v4"),
            ForgeKind::Gitea => None,
        }
    }

    /// The longest issue body the forge accepts, in characters.
    pub fn body_limit(self) -> usize {
        match self {
            ForgeKind::Github => 65_536,
            ForgeKind::Gitlab => 1_048_576,
            // Gitea stores bodies as LONGTEXT; keep to GitHub's figure so a mirror of the
            // issues elsewhere still fits.
            ForgeKind::Gitea => 65_536,
        }
    }

    pub fn pacing(self) -> Pacing {
        match self {
            ForgeKind::Github => Pacing::GITHUB,
            _ => Pacing::OTHER,
        }
    }

    /// The token variables read, in order.
    pub fn token_vars(self) -> &'static [&'static str] {
        match self {
            ForgeKind::Github => &["DRYDOCK_FORGE_TOKEN", "GITHUB_TOKEN"],
            ForgeKind::Gitlab => &["DRYDOCK_FORGE_TOKEN", "GITLAB_TOKEN"],
            ForgeKind::Gitea => &["DRYDOCK_FORGE_TOKEN", "GITEA_TOKEN"],
        }
    }

    /// The permission to name when the forge refuses (401/403/404).
    pub fn write_permission(self) -> &'static str {
        match self {
            ForgeKind::Github => "`issues: write` (fine-grained token) or `repo` scope",
            ForgeKind::Gitlab => "the `api` scope and at least the Reporter role",
            ForgeKind::Gitea => "the `write:issue` scope",
        }
    }
}

impl fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ForgeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "github" | "ghe" => Ok(ForgeKind::Github),
            "gitlab" => Ok(ForgeKind::Gitlab),
            "gitea" | "forgejo" => Ok(ForgeKind::Gitea),
            _ => Err(format!("unknown forge `{s}` (github, gitlab, gitea)")),
        }
    }
}

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    Open,
    Closed,
}

/// An issue (never a pull request) as the forge returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// GitHub/Gitea number, GitLab iid: what the web UI shows after `#`.
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: IssueState,
    pub labels: Vec<String>,
    pub author: String,
    /// RFC 3339, for "the oldest is kept".
    pub created_at: String,
    pub url: Option<String>,
}

/// A new issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
}

/// Why an issue is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Completed,
    NotPlanned,
    Duplicate,
}

/// What to change on an issue; `None` fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueUpdate {
    pub title: Option<String>,
    pub body: Option<String>,
    pub labels: Option<Vec<String>>,
    /// `Some(None)` reopens; `Some(Some(reason))` closes.
    pub state: Option<Option<CloseReason>>,
}

impl IssueUpdate {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.body.is_none() && self.labels.is_none() && self.state.is_none()
    }
}

/// A label drydock may have to create.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelSpec {
    pub name: String,
    /// Six hex digits, no `#`.
    pub color: String,
    pub description: String,
}

/// One forge dialect. Every method is one or a few HTTP calls; the sync logic above it is
/// shared.
pub trait Forge {
    fn kind(&self) -> ForgeKind;
    /// `owner/repo` (GitLab: the project path).
    fn repository(&self) -> &str;
    /// The token's own user (login / username): drydock's issues are the ones it authored.
    fn me(&mut self) -> Result<String, ForgeError>;
    /// Every issue (open and closed, no pull requests) carrying `label` and authored by
    /// `author`; `label` `None` lists the author's issues whatever their labels.
    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError>;
    /// One issue, fresh from the server (for the re-read before a write).
    fn get_issue(&mut self, number: u64) -> Result<Issue, ForgeError>;
    fn create_issue(&mut self, issue: &NewIssue) -> Result<Issue, ForgeError>;
    fn update_issue(&mut self, number: u64, update: &IssueUpdate) -> Result<(), ForgeError>;
    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError>;
    /// Creates the labels the repository does not have yet (an existing one is left as is).
    fn ensure_labels(&mut self, labels: &[LabelSpec]) -> Result<(), ForgeError>;
    fn stats(&self) -> Stats;
    fn body_limit(&self) -> usize {
        self.kind().body_limit()
    }
}

/// Where and how to reach a forge.
#[derive(Debug, Clone)]
pub struct ForgeConfig {
    pub kind: ForgeKind,
    /// `owner/repo` or `group/sub/project`.
    pub repository: String,
    /// The API base (`https://api.github.com`, `https://HOST/api/v3`, `https://HOST/api/v4`,
    /// `https://HOST/api/v1`); `None` for the forge's public default.
    pub url: Option<String>,
    pub token: Option<Token>,
    pub pacing: Option<Pacing>,
}

impl ForgeConfig {
    /// The token from the first non-empty variable of [`ForgeKind::token_vars`].
    pub fn token_from_env(kind: ForgeKind) -> Option<Token> {
        kind.token_vars().iter().find_map(|v| {
            std::env::var(v)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .map(|t| Token::new(t.trim()))
        })
    }
}

/// The forge client for a configuration.
pub fn connect(config: &ForgeConfig) -> Result<Box<dyn Forge>, ForgeError> {
    let url = match (&config.url, config.kind.default_url()) {
        (Some(u), _) => u.clone(),
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            return Err(ForgeError::Usage(format!(
                "{} has no public default: give --url https://HOST/api/v1",
                config.kind
            )));
        }
    };
    let repo = config.repository.trim().trim_matches('/');
    if repo.split('/').filter(|p| !p.is_empty()).count() < 2 {
        return Err(ForgeError::Usage(format!(
            "`{}` is not a repository: give OWNER/NAME",
            config.repository
        )));
    }
    let pacing = config.pacing.unwrap_or_else(|| config.kind.pacing());
    let token = config.token.clone();
    Ok(match config.kind {
        ForgeKind::Github => Box::new(Remote::<github::GitHub>::new(&url, repo, token, pacing)?),
        ForgeKind::Gitlab => Box::new(Remote::<gitlab::GitLab>::new(&url, repo, token, pacing)?),
        ForgeKind::Gitea => Box::new(Remote::<gitea::Gitea>::new(&url, repo, token, pacing)?),
    })
}

/// The error for a non-2xx answer: 401/403/404 name the repository and the permission, never
/// the token; 422 quotes the forge's validation message.
pub(crate) fn status_error(
    kind: ForgeKind,
    repository: &str,
    what: &str,
    resp: &crate::http::Response,
) -> ForgeError {
    let message = serde_json::from_str::<serde_json::Value>(&resp.body)
        .ok()
        .and_then(|v| {
            let m = v.get("message").or_else(|| v.get("error"))?;
            Some(match m {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        })
        .unwrap_or_else(|| resp.body.chars().take(200).collect());
    match resp.status {
        401 => ForgeError::Permission {
            repository: repository.to_string(),
            message: format!(
                "{kind} rejected the token (401) while trying to {what}: it is missing, expired or revoked"
            ),
        },
        403 | 404 => ForgeError::Permission {
            repository: repository.to_string(),
            message: format!(
                "{kind} answered {} while trying to {what}: the repository does not exist or the token lacks {}",
                resp.status,
                kind.write_permission()
            ),
        },
        s => ForgeError::Status {
            repository: repository.to_string(),
            status: s,
            message: format!("{what}: {message}"),
        },
    }
}

pub(crate) fn str_field(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

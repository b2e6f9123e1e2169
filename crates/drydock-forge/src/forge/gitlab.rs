//! GitLab REST v4 (`--url https://HOST/api/v4`).
//!
//! Projects are addressed by their URL-encoded path, issues by their project-scoped `iid`
//! (never the global `id`). Lists follow `x-next-page` (empty on the last page; past 10,000
//! rows GitLab drops the totals but keeps it). `labels` is a comma string and filters by all of
//! them; `state_event` closes and reopens (GitLab has no close reason).

use serde_json::{Value, json};

use super::api::{Api, IssueShape, Paging};
use super::{Forge, ForgeKind, Issue, IssueUpdate, LabelSpec, NewIssue};
use crate::ForgeError;
use crate::http::{AuthStyle, Method, Pacing, Stats, Token, encode};

const SHAPE: IssueShape = IssueShape {
    number: "iid",
    body: "description",
    author: ("author", "username"),
    url: "web_url",
};

#[derive(Debug)]
pub struct GitLab {
    api: Api,
}

impl GitLab {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<GitLab, ForgeError> {
        Ok(GitLab {
            api: Api::new(
                ForgeKind::Gitlab,
                url,
                repository,
                token,
                AuthStyle::PrivateToken,
                pacing,
            )?,
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("/projects/{}{rest}", encode(self.api.repository()))
    }
}

impl Forge for GitLab {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitlab
    }

    fn repository(&self) -> &str {
        self.api.repository()
    }

    fn me(&mut self) -> Result<String, ForgeError> {
        self.api.me("username")
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = self.path(&format!(
            "/issues?author_username={}&per_page=100",
            encode(author)
        ));
        if let Some(l) = label {
            url.push_str(&format!("&labels={}", encode(l)));
        }
        let items = self.api.pages(url, "list issues", Paging::NextPageHeader)?;
        Ok(items.iter().filter_map(|i| SHAPE.parse(i)).collect())
    }

    fn get_issue(&mut self, number: u64) -> Result<Issue, ForgeError> {
        let path = self.path(&format!("/issues/{number}"));
        self.api.issue(
            Method::Get,
            &path,
            None,
            &format!("read issue #{number}"),
            &SHAPE,
        )
    }

    fn create_issue(&mut self, issue: &NewIssue) -> Result<Issue, ForgeError> {
        let body = json!({
            "title": issue.title,
            "description": issue.body,
            "labels": issue.labels.join(","),
        });
        let path = self.path("/issues");
        self.api
            .issue(Method::Post, &path, Some(&body), "create an issue", &SHAPE)
    }

    fn update_issue(&mut self, number: u64, u: &IssueUpdate) -> Result<(), ForgeError> {
        if u.is_empty() {
            return Ok(());
        }
        let mut body = serde_json::Map::new();
        if let Some(t) = &u.title {
            body.insert("title".into(), json!(t));
        }
        if let Some(b) = &u.body {
            body.insert("description".into(), json!(b));
        }
        if let Some(l) = &u.labels {
            body.insert("labels".into(), json!(l.join(",")));
        }
        match u.state {
            Some(None) => {
                body.insert("state_event".into(), json!("reopen"));
            }
            Some(Some(_)) => {
                body.insert("state_event".into(), json!("close"));
            }
            None => {}
        }
        let path = self.path(&format!("/issues/{number}"));
        self.api.call(
            Method::Put,
            &path,
            Some(&Value::Object(body)),
            &format!("update issue #{number}"),
        )?;
        Ok(())
    }

    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError> {
        let path = self.path(&format!("/issues/{number}/notes"));
        self.api.call(
            Method::Post,
            &path,
            Some(&json!({ "body": body })),
            &format!("comment on issue #{number}"),
        )?;
        Ok(())
    }

    fn ensure_labels(&mut self, labels: &[LabelSpec]) -> Result<(), ForgeError> {
        let path = self.path("/labels");
        let have = self
            .api
            .label_names(format!("{path}?per_page=100"), Paging::NextPageHeader)?;
        self.api.create_missing_labels(
            &have,
            labels,
            &path,
            |l| {
                json!({
                    "name": l.name,
                    "color": format!("#{}", l.color),
                    "description": l.description,
                })
            },
            // 409: created meanwhile.
            |r| r.status == 409,
        )?;
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.api.stats()
    }
}

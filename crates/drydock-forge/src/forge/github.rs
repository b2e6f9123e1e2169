//! GitHub and GitHub Enterprise Server (`--url https://HOST/api/v3`): REST v3.
//!
//! Issues are listed with `state=all`, `labels` (all of them must match) and `creator`, 100 a
//! page, following `Link: rel="next"` (which points at `/repositories/{id}/issues`, another
//! path on the same origin); items with a `pull_request` key are pull requests and skipped. One
//! `PATCH` carries body, title, labels and state (`state_reason`), so an update is one write.

use serde_json::{Value, json};

use super::api::{Api, IssueShape, Paging};
use super::{CloseReason, Forge, ForgeKind, Issue, IssueUpdate, LabelSpec, NewIssue};
use crate::ForgeError;
use crate::http::{AuthStyle, Method, Pacing, Stats, Token, encode};

const SHAPE: IssueShape = IssueShape {
    number: "number",
    body: "body",
    author: ("user", "login"),
    url: "html_url",
};

#[derive(Debug)]
pub struct GitHub {
    api: Api,
}

impl GitHub {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<GitHub, ForgeError> {
        Ok(GitHub {
            api: Api::new(
                ForgeKind::Github,
                url,
                repository,
                token,
                AuthStyle::Bearer,
                pacing,
            )?
            .with_header("X-GitHub-Api-Version", "2022-11-28"),
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.api.owner_name_path())
    }
}

/// Parses one page of `GET /repos/{o}/{r}/issues` (public for the recorded-fixture tests).
pub fn parse_issue_page(body: &str) -> Result<Vec<Issue>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let arr = v.as_array().ok_or("an issue list is not a JSON array")?;
    Ok(arr.iter().filter_map(|i| SHAPE.parse(i)).collect())
}

impl Forge for GitHub {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Github
    }

    fn repository(&self) -> &str {
        self.api.repository()
    }

    fn me(&mut self) -> Result<String, ForgeError> {
        self.api.me("login")
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = self.path(&format!(
            "/issues?state=all&creator={}&per_page=100",
            encode(author)
        ));
        if let Some(l) = label {
            url.push_str(&format!("&labels={}", encode(l)));
        }
        let items = self.api.pages(url, "list issues", Paging::Link)?;
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
        let body = json!({"title": issue.title, "body": issue.body, "labels": issue.labels});
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
            body.insert("body".into(), json!(b));
        }
        if let Some(l) = &u.labels {
            body.insert("labels".into(), json!(l));
        }
        match u.state {
            Some(None) => {
                body.insert("state".into(), json!("open"));
                body.insert("state_reason".into(), json!("reopened"));
            }
            Some(Some(reason)) => {
                body.insert("state".into(), json!("closed"));
                body.insert(
                    "state_reason".into(),
                    json!(match reason {
                        CloseReason::Completed => "completed",
                        CloseReason::NotPlanned => "not_planned",
                        CloseReason::Duplicate => "duplicate",
                    }),
                );
            }
            None => {}
        }
        let path = self.path(&format!("/issues/{number}"));
        self.api.call(
            Method::Patch,
            &path,
            Some(&Value::Object(body)),
            &format!("update issue #{number}"),
        )?;
        Ok(())
    }

    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError> {
        let path = self.path(&format!("/issues/{number}/comments"));
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
            .label_names(format!("{path}?per_page=100"), Paging::Link)?;
        self.api.create_missing_labels(
            &have,
            labels,
            &path,
            |l| json!({"name": l.name, "color": l.color, "description": l.description}),
            // 422 `already_exists`: created meanwhile (another sync): what we wanted.
            |r| r.status == 422 && r.body.contains("already_exists"),
        )?;
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.api.stats()
    }
}

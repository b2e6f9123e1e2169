//! GitHub and GitHub Enterprise Server (`--url https://HOST/api/v3`): REST v3.
//!
//! Issues are listed with `state=all`, `labels` (all of them must match) and `creator`, 100 a
//! page, following `Link: rel="next"` (which points at `/repositories/{id}/issues`, another
//! path on the same origin); items with a `pull_request` key are pull requests and skipped. One
//! `PATCH` carries body, title, labels and state (`state_reason`), so an update is one write.

use serde_json::{Value, json};

use super::{
    CloseReason, Forge, ForgeKind, Issue, IssueState, IssueUpdate, LabelSpec, NewIssue,
    status_error, str_field,
};
use crate::ForgeError;
use crate::http::{AuthStyle, Client, Method, Pacing, Stats, Token, encode, next_link};

#[derive(Debug)]
pub struct GitHub {
    client: Client,
    repository: String,
    me: Option<String>,
}

impl GitHub {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<GitHub, ForgeError> {
        Ok(GitHub {
            client: Client::new(url, token, AuthStyle::Bearer, pacing)?
                .with_header("X-GitHub-Api-Version", "2022-11-28"),
            repository: repository.to_string(),
            me: None,
        })
    }

    fn repo_path(&self) -> String {
        let (owner, name) = self
            .repository
            .split_once('/')
            .unwrap_or((self.repository.as_str(), ""));
        format!("/repos/{}/{}", encode(owner), encode(name))
    }

    fn check(&self, what: &str, resp: &crate::http::Response) -> Result<(), ForgeError> {
        if resp.ok() {
            Ok(())
        } else {
            Err(status_error(
                ForgeKind::Github,
                &self.repository,
                what,
                resp,
            ))
        }
    }
}

fn issue_of(v: &Value) -> Option<Issue> {
    if v.get("pull_request").is_some_and(|p| !p.is_null()) {
        return None;
    }
    Some(Issue {
        number: v.get("number")?.as_u64()?,
        title: str_field(v, "title"),
        body: str_field(v, "body"),
        state: if str_field(v, "state") == "closed" {
            IssueState::Closed
        } else {
            IssueState::Open
        },
        labels: v
            .get("labels")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| {
                        l.get("name")
                            .and_then(Value::as_str)
                            .or_else(|| l.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        author: v
            .get("user")
            .map(|u| str_field(u, "login"))
            .unwrap_or_default(),
        created_at: str_field(v, "created_at"),
        url: v
            .get("html_url")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Parses one page of `GET /repos/{o}/{r}/issues` (public for the recorded-fixture tests).
pub fn parse_issue_page(body: &str) -> Result<Vec<Issue>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let arr = v.as_array().ok_or("an issue list is not a JSON array")?;
    Ok(arr.iter().filter_map(issue_of).collect())
}

impl Forge for GitHub {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Github
    }

    fn repository(&self) -> &str {
        &self.repository
    }

    fn me(&mut self) -> Result<String, ForgeError> {
        if let Some(m) = &self.me {
            return Ok(m.clone());
        }
        let r = self.client.send(Method::Get, "/user", None)?;
        self.check("read the token's user (GET /user)", &r)?;
        let login = str_field(&r.json()?, "login");
        if login.is_empty() {
            return Err(ForgeError::Protocol {
                url: r.url,
                message: "no `login` in the user".into(),
            });
        }
        self.me = Some(login.clone());
        Ok(login)
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = format!(
            "{}/issues?state=all&creator={}&per_page=100",
            self.repo_path(),
            encode(author)
        );
        if let Some(l) = label {
            url.push_str(&format!("&labels={}", encode(l)));
        }
        let mut out = Vec::new();
        let mut next = Some(url);
        while let Some(u) = next {
            let r = self.client.send(Method::Get, &u, None)?;
            self.check("list issues", &r)?;
            out.extend(parse_issue_page(&r.body).map_err(|m| ForgeError::Protocol {
                url: r.url.clone(),
                message: m,
            })?);
            next = next_link(r.header("link"));
        }
        Ok(out)
    }

    fn get_issue(&mut self, number: u64) -> Result<Issue, ForgeError> {
        let r = self.client.send(
            Method::Get,
            &format!("{}/issues/{number}", self.repo_path()),
            None,
        )?;
        self.check(&format!("read issue #{number}"), &r)?;
        issue_of(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: format!("#{number} is a pull request or not an issue"),
        })
    }

    fn create_issue(&mut self, issue: &NewIssue) -> Result<Issue, ForgeError> {
        let body = json!({"title": issue.title, "body": issue.body, "labels": issue.labels});
        let r = self.client.send(
            Method::Post,
            &format!("{}/issues", self.repo_path()),
            Some(&body),
        )?;
        self.check("create an issue", &r)?;
        issue_of(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: "the created issue has no number".into(),
        })
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
        let r = self.client.send(
            Method::Patch,
            &format!("{}/issues/{number}", self.repo_path()),
            Some(&Value::Object(body)),
        )?;
        self.check(&format!("update issue #{number}"), &r)
    }

    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError> {
        let r = self.client.send(
            Method::Post,
            &format!("{}/issues/{number}/comments", self.repo_path()),
            Some(&json!({ "body": body })),
        )?;
        self.check(&format!("comment on issue #{number}"), &r)
    }

    fn ensure_labels(&mut self, labels: &[LabelSpec]) -> Result<(), ForgeError> {
        let mut have = Vec::new();
        let mut next = Some(format!("{}/labels?per_page=100", self.repo_path()));
        while let Some(u) = next {
            let r = self.client.send(Method::Get, &u, None)?;
            self.check("list labels", &r)?;
            if let Some(a) = r.json()?.as_array() {
                have.extend(a.iter().map(|l| str_field(l, "name").to_lowercase()));
            }
            next = next_link(r.header("link"));
        }
        for l in labels {
            if have.contains(&l.name.to_lowercase()) {
                continue;
            }
            let r = self.client.send(
                Method::Post,
                &format!("{}/labels", self.repo_path()),
                Some(&json!({"name": l.name, "color": l.color, "description": l.description})),
            )?;
            // 422 `already_exists`: created meanwhile (another sync) — what we wanted.
            if r.status == 422 && r.body.contains("already_exists") {
                continue;
            }
            self.check(&format!("create label `{}`", l.name), &r)?;
        }
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.client.stats()
    }
}

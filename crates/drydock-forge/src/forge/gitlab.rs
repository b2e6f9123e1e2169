//! GitLab REST v4 (`--url https://HOST/api/v4`).
//!
//! Projects are addressed by their URL-encoded path, issues by their project-scoped `iid`
//! (never the global `id`). Lists follow `x-next-page` (empty on the last page; past 10,000
//! rows GitLab drops the totals but keeps it). `labels` is a comma string and filters by all of
//! them; `state_event` closes and reopens (GitLab has no close reason).

use serde_json::{Value, json};

use super::{
    Forge, ForgeKind, Issue, IssueState, IssueUpdate, LabelSpec, NewIssue, status_error, str_field,
};
use crate::ForgeError;
use crate::http::{AuthStyle, Client, Method, Pacing, Stats, Token, encode, next_link};

#[derive(Debug)]
pub struct GitLab {
    client: Client,
    repository: String,
    me: Option<String>,
}

impl GitLab {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<GitLab, ForgeError> {
        Ok(GitLab {
            client: Client::new(url, token, AuthStyle::PrivateToken, pacing)?,
            repository: repository.to_string(),
            me: None,
        })
    }

    fn project(&self) -> String {
        format!("/projects/{}", encode(&self.repository))
    }

    fn check(&self, what: &str, resp: &crate::http::Response) -> Result<(), ForgeError> {
        if resp.ok() {
            Ok(())
        } else {
            Err(status_error(
                ForgeKind::Gitlab,
                &self.repository,
                what,
                resp,
            ))
        }
    }

    /// Every page of a list: `x-next-page` first, `Link: rel="next"` when a proxy dropped it.
    fn pages(&mut self, first: String, what: &str) -> Result<Vec<Value>, ForgeError> {
        let mut out = Vec::new();
        let mut url = first;
        loop {
            let r = self.client.send(Method::Get, &url, None)?;
            self.check(what, &r)?;
            if let Some(a) = r.json()?.as_array() {
                out.extend(a.iter().cloned());
            }
            let next_page = r
                .header("x-next-page")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string);
            url = match (next_page, next_link(r.header("link"))) {
                (Some(p), _) => with_page(&url, &p),
                (None, Some(link)) => link,
                (None, None) => return Ok(out),
            };
        }
    }
}

fn with_page(url: &str, page: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
        .map(str::to_string)
        .collect();
    parts.push(format!("page={}", encode(page)));
    format!("{path}?{}", parts.join("&"))
}

fn issue_of(v: &Value) -> Option<Issue> {
    Some(Issue {
        number: v.get("iid")?.as_u64()?,
        title: str_field(v, "title"),
        body: str_field(v, "description"),
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
                        l.as_str()
                            .or_else(|| l.get("name").and_then(Value::as_str))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        author: v
            .get("author")
            .map(|u| str_field(u, "username"))
            .unwrap_or_default(),
        created_at: str_field(v, "created_at"),
        url: v.get("web_url").and_then(Value::as_str).map(str::to_string),
    })
}

impl Forge for GitLab {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitlab
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
        let name = str_field(&r.json()?, "username");
        if name.is_empty() {
            return Err(ForgeError::Protocol {
                url: r.url,
                message: "no `username` in the user".into(),
            });
        }
        self.me = Some(name.clone());
        Ok(name)
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = format!(
            "{}/issues?author_username={}&per_page=100",
            self.project(),
            encode(author)
        );
        if let Some(l) = label {
            url.push_str(&format!("&labels={}", encode(l)));
        }
        Ok(self
            .pages(url, "list issues")?
            .iter()
            .filter_map(issue_of)
            .collect())
    }

    fn get_issue(&mut self, number: u64) -> Result<Issue, ForgeError> {
        let r = self.client.send(
            Method::Get,
            &format!("{}/issues/{number}", self.project()),
            None,
        )?;
        self.check(&format!("read issue #{number}"), &r)?;
        issue_of(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: format!("#{number} has no iid"),
        })
    }

    fn create_issue(&mut self, issue: &NewIssue) -> Result<Issue, ForgeError> {
        let body = json!({
            "title": issue.title,
            "description": issue.body,
            "labels": issue.labels.join(","),
        });
        let r = self.client.send(
            Method::Post,
            &format!("{}/issues", self.project()),
            Some(&body),
        )?;
        self.check("create an issue", &r)?;
        issue_of(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: "the created issue has no iid".into(),
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
        let r = self.client.send(
            Method::Put,
            &format!("{}/issues/{number}", self.project()),
            Some(&Value::Object(body)),
        )?;
        self.check(&format!("update issue #{number}"), &r)
    }

    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError> {
        let r = self.client.send(
            Method::Post,
            &format!("{}/issues/{number}/notes", self.project()),
            Some(&json!({ "body": body })),
        )?;
        self.check(&format!("comment on issue #{number}"), &r)
    }

    fn ensure_labels(&mut self, labels: &[LabelSpec]) -> Result<(), ForgeError> {
        let have: Vec<String> = self
            .pages(
                format!("{}/labels?per_page=100", self.project()),
                "list labels",
            )?
            .iter()
            .map(|l| str_field(l, "name").to_lowercase())
            .collect();
        for l in labels {
            if have.contains(&l.name.to_lowercase()) {
                continue;
            }
            let r = self.client.send(
                Method::Post,
                &format!("{}/labels", self.project()),
                Some(&json!({
                    "name": l.name,
                    "color": format!("#{}", l.color),
                    "description": l.description,
                })),
            )?;
            // 409: created meanwhile.
            if r.status == 409 {
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

#[cfg(test)]
mod tests {
    #[test]
    fn next_page_replaces_the_page_parameter() {
        assert_eq!(
            super::with_page("/projects/a%2Fb/issues?per_page=100&page=2", "3"),
            "/projects/a%2Fb/issues?per_page=100&page=3"
        );
    }
}

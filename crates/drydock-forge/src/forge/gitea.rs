//! Gitea and Forgejo (`--url https://HOST/api/v1`).
//!
//! Differences from GitHub that matter here: `labels` in a list filters by *any* of them (so
//! drydock filters by one label and checks the rest itself); a new issue takes label **ids**,
//! looked up by name; `PATCH` has no labels field, so labels are replaced by a separate
//! `PUT …/issues/{n}/labels` (with ids, which every version accepts); `type=issues` keeps pull
//! requests out of lists; pages follow `Link: rel="next"`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Forge, ForgeKind, Issue, IssueState, IssueUpdate, LabelSpec, NewIssue, status_error, str_field,
};
use crate::ForgeError;
use crate::http::{AuthStyle, Client, Method, Pacing, Stats, Token, encode, next_link};

#[derive(Debug)]
pub struct Gitea {
    client: Client,
    repository: String,
    me: Option<String>,
    /// Lower-cased label name → id, once read.
    label_ids: Option<BTreeMap<String, u64>>,
}

impl Gitea {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<Gitea, ForgeError> {
        Ok(Gitea {
            client: Client::new(url, token, AuthStyle::TokenPrefix, pacing)?,
            repository: repository.to_string(),
            me: None,
            label_ids: None,
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
            Err(status_error(ForgeKind::Gitea, &self.repository, what, resp))
        }
    }

    fn pages(&mut self, first: String, what: &str) -> Result<Vec<Value>, ForgeError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(u) = next {
            let r = self.client.send(Method::Get, &u, None)?;
            self.check(what, &r)?;
            if let Some(a) = r.json()?.as_array() {
                out.extend(a.iter().cloned());
            }
            next = next_link(r.header("link"));
        }
        Ok(out)
    }

    fn labels(&mut self) -> Result<&BTreeMap<String, u64>, ForgeError> {
        if self.label_ids.is_none() {
            let all = self.pages(
                format!("{}/labels?limit=50", self.repo_path()),
                "list labels",
            )?;
            let map = all
                .iter()
                .filter_map(|l| Some((str_field(l, "name").to_lowercase(), l.get("id")?.as_u64()?)))
                .collect();
            self.label_ids = Some(map);
        }
        Ok(self.label_ids.get_or_insert_default())
    }

    fn ids(&mut self, names: &[String]) -> Result<Vec<u64>, ForgeError> {
        let map = self.labels()?.clone();
        let mut ids = Vec::new();
        for n in names {
            match map.get(&n.to_lowercase()) {
                Some(id) => ids.push(*id),
                None => {
                    return Err(ForgeError::Status {
                        repository: self.repository.clone(),
                        status: 422,
                        message: format!("label `{n}` does not exist in the repository"),
                    });
                }
            }
        }
        Ok(ids)
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
                    .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
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

impl Forge for Gitea {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitea
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
            "{}/issues?state=all&type=issues&created_by={}&limit=50",
            self.repo_path(),
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
        let ids = self.ids(&issue.labels)?;
        let r = self.client.send(
            Method::Post,
            &format!("{}/issues", self.repo_path()),
            Some(&json!({"title": issue.title, "body": issue.body, "labels": ids})),
        )?;
        self.check("create an issue", &r)?;
        issue_of(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: "the created issue has no number".into(),
        })
    }

    fn update_issue(&mut self, number: u64, u: &IssueUpdate) -> Result<(), ForgeError> {
        let mut body = serde_json::Map::new();
        if let Some(t) = &u.title {
            body.insert("title".into(), json!(t));
        }
        if let Some(b) = &u.body {
            body.insert("body".into(), json!(b));
        }
        match u.state {
            Some(None) => {
                body.insert("state".into(), json!("open"));
            }
            Some(Some(_)) => {
                body.insert("state".into(), json!("closed"));
            }
            None => {}
        }
        if !body.is_empty() {
            let r = self.client.send(
                Method::Patch,
                &format!("{}/issues/{number}", self.repo_path()),
                Some(&Value::Object(body)),
            )?;
            self.check(&format!("update issue #{number}"), &r)?;
        }
        if let Some(labels) = &u.labels {
            let ids = self.ids(labels)?;
            let r = self.client.send(
                Method::Put,
                &format!("{}/issues/{number}/labels", self.repo_path()),
                Some(&json!({ "labels": ids })),
            )?;
            self.check(&format!("replace the labels of issue #{number}"), &r)?;
        }
        Ok(())
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
        self.label_ids = None;
        let have = self.labels()?.clone();
        let mut created = false;
        for l in labels {
            if have.contains_key(&l.name.to_lowercase()) {
                continue;
            }
            let r = self.client.send(
                Method::Post,
                &format!("{}/labels", self.repo_path()),
                Some(&json!({
                    "name": l.name,
                    "color": format!("#{}", l.color),
                    "description": l.description,
                })),
            )?;
            if r.status == 409 || r.status == 422 {
                created = true;
                continue;
            }
            self.check(&format!("create label `{}`", l.name), &r)?;
            if let Ok(v) = r.json()
                && let Some(id) = v.get("id").and_then(Value::as_u64)
            {
                self.label_ids
                    .get_or_insert_default()
                    .insert(l.name.to_lowercase(), id);
            } else {
                created = true;
            }
        }
        if created {
            self.label_ids = None;
        }
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.client.stats()
    }
}

//! Gitea and Forgejo (`--url https://HOST/api/v1`).
//!
//! Differences from GitHub that matter here: `labels` in a list filters by *any* of them (so
//! drydock filters by one label and checks the rest itself); a new issue takes label **ids**,
//! looked up by name; `PATCH` has no labels field, so labels are replaced by a separate
//! `PUT …/issues/{n}/labels` (with ids, which every version accepts); `type=issues` keeps pull
//! requests out of lists; pages follow `Link: rel="next"`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::api::{Api, IssueShape, Paging};
use super::{Forge, ForgeKind, Issue, IssueUpdate, LabelSpec, NewIssue, str_field};
use crate::ForgeError;
use crate::http::{AuthStyle, Method, Pacing, Stats, Token, encode};

const SHAPE: IssueShape = IssueShape {
    number: "number",
    body: "body",
    author: ("user", "login"),
    url: "html_url",
};

#[derive(Debug)]
pub struct Gitea {
    api: Api,
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
            api: Api::new(
                ForgeKind::Gitea,
                url,
                repository,
                token,
                AuthStyle::TokenPrefix,
                pacing,
            )?,
            label_ids: None,
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.api.owner_name_path())
    }

    fn labels(&mut self) -> Result<&BTreeMap<String, u64>, ForgeError> {
        if self.label_ids.is_none() {
            let all = self
                .api
                .pages(self.path("/labels?limit=50"), "list labels", Paging::Link)?;
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
                        repository: self.api.repository().to_string(),
                        status: 422,
                        message: format!("label `{n}` does not exist in the repository"),
                    });
                }
            }
        }
        Ok(ids)
    }
}

impl Forge for Gitea {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitea
    }

    fn repository(&self) -> &str {
        self.api.repository()
    }

    fn me(&mut self) -> Result<String, ForgeError> {
        self.api.me("login")
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = self.path(&format!(
            "/issues?state=all&type=issues&created_by={}&limit=50",
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
        let ids = self.ids(&issue.labels)?;
        let path = self.path("/issues");
        self.api.issue(
            Method::Post,
            &path,
            Some(&json!({"title": issue.title, "body": issue.body, "labels": ids})),
            "create an issue",
            &SHAPE,
        )
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
            let path = self.path(&format!("/issues/{number}"));
            self.api.call(
                Method::Patch,
                &path,
                Some(&Value::Object(body)),
                &format!("update issue #{number}"),
            )?;
        }
        if let Some(labels) = &u.labels {
            let ids = self.ids(labels)?;
            let path = self.path(&format!("/issues/{number}/labels"));
            self.api.call(
                Method::Put,
                &path,
                Some(&json!({ "labels": ids })),
                &format!("replace the labels of issue #{number}"),
            )?;
        }
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
        self.label_ids = None;
        let have: Vec<String> = self.labels()?.keys().cloned().collect();
        let path = self.path("/labels");
        let created = self.api.create_missing_labels(
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
            // Created meanwhile: 409 (Forgejo) or 422 (Gitea).
            |r| r.status == 409 || r.status == 422,
        )?;
        let mut unknown = false;
        for (name, answer) in created {
            match answer
                .as_ref()
                .and_then(|v| v.get("id"))
                .and_then(Value::as_u64)
            {
                Some(id) => {
                    self.label_ids
                        .get_or_insert_default()
                        .insert(name.to_lowercase(), id);
                }
                None => unknown = true,
            }
        }
        if unknown {
            // An id is unknown (created meanwhile): read the labels again when next needed.
            self.label_ids = None;
        }
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.api.stats()
    }
}

//! The plumbing the three dialects share: one request checked against the forge's refusals,
//! every page of a list, the token's own user, an issue parsed from its JSON, labels created
//! when missing. What differs per forge (paths, field names, how the next page is announced)
//! is passed in by the dialect.

use serde_json::Value;

use super::{ForgeKind, Issue, IssueState, LabelSpec, status_error, str_field};
use crate::ForgeError;
use crate::http::{AuthStyle, Client, Method, Pacing, Response, Stats, Token, encode, next_link};

/// How a list announces its next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `Link: <…>; rel="next"` (GitHub, Gitea).
    Link,
    /// `x-next-page: N` (empty on the last page), `Link` when a proxy dropped it (GitLab).
    NextPageHeader,
}

/// Where a dialect keeps an issue's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IssueShape {
    /// `number` (GitHub, Gitea) or `iid` (GitLab).
    pub number: &'static str,
    /// `body` or `description`.
    pub body: &'static str,
    /// The author object and its name field: `user.login` or `author.username`.
    pub author: (&'static str, &'static str),
    /// `html_url` or `web_url`.
    pub url: &'static str,
}

impl IssueShape {
    /// The issue in `v`; `None` for a pull request (an item with a non-null `pull_request`)
    /// or an item without a number.
    pub fn parse(&self, v: &Value) -> Option<Issue> {
        if v.get("pull_request").is_some_and(|p| !p.is_null()) {
            return None;
        }
        Some(Issue {
            number: v.get(self.number)?.as_u64()?,
            title: str_field(v, "title"),
            body: str_field(v, self.body),
            // GitHub and Gitea say `closed`/`open`, GitLab `closed`/`opened`.
            state: if str_field(v, "state") == "closed" {
                IssueState::Closed
            } else {
                IssueState::Open
            },
            // Label objects with a `name` (GitHub, Gitea) or plain names (GitLab).
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
                .get(self.author.0)
                .map(|u| str_field(u, self.author.1))
                .unwrap_or_default(),
            created_at: str_field(v, "created_at"),
            url: v.get(self.url).and_then(Value::as_str).map(str::to_string),
        })
    }
}

/// One repository on one forge: the client, and what every error names.
#[derive(Debug)]
pub(crate) struct Api {
    client: Client,
    kind: ForgeKind,
    repository: String,
    me: Option<String>,
}

impl Api {
    pub fn new(
        kind: ForgeKind,
        url: &str,
        repository: &str,
        token: Option<Token>,
        auth: AuthStyle,
        pacing: Pacing,
    ) -> Result<Api, ForgeError> {
        Ok(Api {
            client: Client::new(url, token, auth, pacing)?,
            kind,
            repository: repository.to_string(),
            me: None,
        })
    }

    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Api {
        self.client = self.client.with_header(name, value);
        self
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn stats(&self) -> Stats {
        self.client.stats()
    }

    /// `/repos/{owner}/{name}`, as GitHub and Gitea address a repository.
    pub fn owner_name_path(&self) -> String {
        let (owner, name) = self
            .repository
            .split_once('/')
            .unwrap_or((self.repository.as_str(), ""));
        format!("/repos/{}/{}", encode(owner), encode(name))
    }

    /// `resp` when it is a 2xx, else the error naming the repository and what was tried.
    pub fn check(&self, what: &str, resp: Response) -> Result<Response, ForgeError> {
        if resp.ok() {
            Ok(resp)
        } else {
            Err(status_error(self.kind, &self.repository, what, &resp))
        }
    }

    /// Sends without judging the status (for answers the caller tolerates, e.g. "exists").
    pub fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, ForgeError> {
        self.client.send(method, path, body)
    }

    /// One request that must succeed.
    pub fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Response, ForgeError> {
        let r = self.client.send(method, path, body)?;
        self.check(what, r)
    }

    /// One request that must succeed and answer with an issue.
    pub fn issue(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        shape: &IssueShape,
    ) -> Result<Issue, ForgeError> {
        let r = self.call(method, path, body, what)?;
        shape.parse(&r.json()?).ok_or_else(|| ForgeError::Protocol {
            url: r.url,
            message: format!(
                "{what}: the answer is a pull request or has no `{}`",
                shape.number
            ),
        })
    }

    /// The items of every page of a list, following the dialect's next-page announcement
    /// (links only on the API's origin: see [`Client::url`]).
    pub fn pages(
        &mut self,
        first: String,
        what: &str,
        paging: Paging,
    ) -> Result<Vec<Value>, ForgeError> {
        let mut out = Vec::new();
        let mut url = first;
        loop {
            let r = self.call(Method::Get, &url, None, what)?;
            match r.json()? {
                Value::Array(items) => out.extend(items),
                _ => {
                    return Err(ForgeError::Protocol {
                        url: r.url,
                        message: format!("{what}: the answer is not a JSON array"),
                    });
                }
            }
            let next_page = match paging {
                Paging::NextPageHeader => r
                    .header("x-next-page")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| with_page(&url, p)),
                Paging::Link => None,
            };
            match next_page.or_else(|| next_link(r.header("link"))) {
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
    }

    /// The names of the repository's labels, every page of `first`.
    pub fn label_names(
        &mut self,
        first: String,
        paging: Paging,
    ) -> Result<Vec<String>, ForgeError> {
        Ok(self
            .pages(first, "list labels", paging)?
            .iter()
            .map(|l| str_field(l, "name"))
            .collect())
    }

    /// The token's own user (`GET /user`, its `field`), read once.
    pub fn me(&mut self, field: &str) -> Result<String, ForgeError> {
        if let Some(m) = &self.me {
            return Ok(m.clone());
        }
        let r = self.call(
            Method::Get,
            "/user",
            None,
            "read the token's user (GET /user)",
        )?;
        let name = str_field(&r.json()?, field);
        if name.is_empty() {
            return Err(ForgeError::Protocol {
                url: r.url,
                message: format!("no `{field}` in the user"),
            });
        }
        self.me = Some(name.clone());
        Ok(name)
    }

    /// Creates each of `labels` whose name (case-insensitive) is not in `have`, by `POST path`
    /// with the dialect's `body`; an answer `exists` accepts (created meanwhile by another
    /// sync) counts as done. Returns the created labels' JSON (Gitea reads their ids), `None`
    /// for those that existed meanwhile.
    pub fn create_missing_labels(
        &mut self,
        have: &[String],
        labels: &[LabelSpec],
        path: &str,
        body: impl Fn(&LabelSpec) -> Value,
        exists: impl Fn(&Response) -> bool,
    ) -> Result<Vec<(String, Option<Value>)>, ForgeError> {
        let mut created = Vec::new();
        for l in labels {
            if have.iter().any(|h| h.eq_ignore_ascii_case(&l.name)) {
                continue;
            }
            let r = self.send(Method::Post, path, Some(&body(l)))?;
            if exists(&r) {
                created.push((l.name.clone(), None));
                continue;
            }
            let r = self.check(&format!("create label `{}`", l.name), r)?;
            created.push((l.name.clone(), r.json().ok()));
        }
        Ok(created)
    }
}

/// `url` with its `page` parameter set to `page`.
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

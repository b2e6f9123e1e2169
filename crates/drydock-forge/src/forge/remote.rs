//! The one [`Forge`] implementation, generic over a [`Dialect`]: the three forges make the
//! same calls in the same order (the token's user, a paged issue list, one issue read, created
//! or updated, a comment, labels created when missing); a dialect says only what differs —
//! paths, parameter and field names, how a label and a state change are spelled, how pages are
//! announced — and Gitea, which takes label ids, keeps its name → id cache in its dialect.

use std::fmt;

use serde_json::{Map, Value, json};

use super::api::{Api, IssueShape, Paging};
use super::{CloseReason, Forge, ForgeKind, Issue, IssueUpdate, LabelSpec, NewIssue};
use crate::ForgeError;
use crate::http::{AuthStyle, Method, Pacing, Response, Stats, Token, encode};

/// What one forge spells its own way (the defaults are GitHub's and Gitea's).
pub(crate) trait Dialect: fmt::Debug + Default {
    const KIND: ForgeKind;
    const AUTH: AuthStyle;
    /// Headers sent with every request (GitHub pins its API version).
    const HEADERS: &'static [(&'static str, &'static str)] = &[];
    const SHAPE: IssueShape;
    /// How a list announces its next page.
    const PAGING: Paging = Paging::Link;
    /// The page-size parameter of every list: `per_page=100` or `limit=50`.
    const PAGE_SIZE: &'static str = "per_page=100";
    /// The issue-list query up to the author's name, e.g. `state=all&creator=`.
    const LIST_BY_AUTHOR: &'static str;
    /// The user's name field in `GET /user`.
    const USER_FIELD: &'static str = "login";
    /// The collection an issue's comments are posted to: `comments` or `notes`.
    const COMMENTS: &'static str = "comments";
    /// The method of an issue update: `PATCH` or `PUT`.
    const UPDATE: Method = Method::Patch;
    /// Whether the update request carries the labels (else they are replaced by a separate
    /// `PUT …/issues/{n}/labels`).
    const LABELS_IN_UPDATE: bool = true;
    /// Before a label's six hex digits: `` or `#`.
    const COLOR_PREFIX: &'static str = "#";

    /// The repository's path, before `/issues`, `/labels`.
    fn project(api: &Api) -> String {
        api.owner_name_path()
    }

    /// An issue's labels as the create and update requests take them.
    fn labels_value(
        &mut self,
        api: &mut Api,
        project: &str,
        names: &[String],
    ) -> Result<Value, ForgeError>;

    /// The fields that close (with `reason`) or reopen (`None`) an issue.
    fn state_fields(reason: Option<CloseReason>, body: &mut Map<String, Value>);

    /// Whether a refused label creation means it exists (created meanwhile by another sync).
    fn label_exists(r: &Response) -> bool;

    /// The names of the repository's labels.
    fn label_names(&mut self, api: &mut Api, project: &str) -> Result<Vec<String>, ForgeError> {
        api.label_names(
            format!("{project}/labels?{}", Self::PAGE_SIZE),
            Self::PAGING,
        )
    }

    /// What `POST …/labels` answered for each label created (`None`: it existed meanwhile).
    fn labels_created(&mut self, _created: Vec<(String, Option<Value>)>) {}
}

/// A repository on the forge of dialect `D`.
#[derive(Debug)]
pub(crate) struct Remote<D> {
    api: Api,
    /// [`Dialect::project`], computed once.
    project: String,
    dialect: D,
}

impl<D: Dialect> Remote<D> {
    pub fn new(
        url: &str,
        repository: &str,
        token: Option<Token>,
        pacing: Pacing,
    ) -> Result<Remote<D>, ForgeError> {
        let mut api = Api::new(D::KIND, url, repository, token, D::AUTH, pacing)?;
        for &(name, value) in D::HEADERS {
            api = api.with_header(name, value);
        }
        Ok(Remote {
            project: D::project(&api),
            api,
            dialect: D::default(),
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.project)
    }
}

impl<D: Dialect> Forge for Remote<D> {
    fn kind(&self) -> ForgeKind {
        D::KIND
    }

    fn repository(&self) -> &str {
        self.api.repository()
    }

    fn me(&mut self) -> Result<String, ForgeError> {
        self.api.me(D::USER_FIELD)
    }

    fn list_issues(&mut self, label: Option<&str>, author: &str) -> Result<Vec<Issue>, ForgeError> {
        let mut url = self.path(&format!(
            "/issues?{}{}&{}",
            D::LIST_BY_AUTHOR,
            encode(author),
            D::PAGE_SIZE
        ));
        if let Some(l) = label {
            url.push_str(&format!("&labels={}", encode(l)));
        }
        let items = self.api.pages(url, "list issues", D::PAGING)?;
        Ok(items.iter().filter_map(|i| D::SHAPE.parse(i)).collect())
    }

    fn get_issue(&mut self, number: u64) -> Result<Issue, ForgeError> {
        let path = self.path(&format!("/issues/{number}"));
        let what = format!("read issue #{number}");
        self.api.issue(Method::Get, &path, None, &what, &D::SHAPE)
    }

    fn create_issue(&mut self, issue: &NewIssue) -> Result<Issue, ForgeError> {
        let labels = self
            .dialect
            .labels_value(&mut self.api, &self.project, &issue.labels)?;
        let mut body = Map::new();
        body.insert("title".into(), json!(issue.title));
        body.insert(D::SHAPE.body.into(), json!(issue.body));
        body.insert("labels".into(), labels);
        let path = self.path("/issues");
        let body = Value::Object(body);
        self.api.issue(
            Method::Post,
            &path,
            Some(&body),
            "create an issue",
            &D::SHAPE,
        )
    }

    fn update_issue(&mut self, number: u64, u: &IssueUpdate) -> Result<(), ForgeError> {
        let mut body = Map::new();
        if let Some(t) = &u.title {
            body.insert("title".into(), json!(t));
        }
        if let Some(b) = &u.body {
            body.insert(D::SHAPE.body.into(), json!(b));
        }
        if let (true, Some(l)) = (D::LABELS_IN_UPDATE, &u.labels) {
            let v = self.dialect.labels_value(&mut self.api, &self.project, l)?;
            body.insert("labels".into(), v);
        }
        if let Some(reason) = u.state {
            D::state_fields(reason, &mut body);
        }
        if !body.is_empty() {
            let path = self.path(&format!("/issues/{number}"));
            let what = format!("update issue #{number}");
            self.api
                .call(D::UPDATE, &path, Some(&Value::Object(body)), &what)?;
        }
        if let (false, Some(l)) = (D::LABELS_IN_UPDATE, &u.labels) {
            let ids = self.dialect.labels_value(&mut self.api, &self.project, l)?;
            let path = self.path(&format!("/issues/{number}/labels"));
            let what = format!("replace the labels of issue #{number}");
            self.api
                .call(Method::Put, &path, Some(&json!({ "labels": ids })), &what)?;
        }
        Ok(())
    }

    fn comment(&mut self, number: u64, body: &str) -> Result<(), ForgeError> {
        let path = self.path(&format!("/issues/{number}/{}", D::COMMENTS));
        let what = format!("comment on issue #{number}");
        self.api
            .call(Method::Post, &path, Some(&json!({ "body": body })), &what)?;
        Ok(())
    }

    fn ensure_labels(&mut self, labels: &[LabelSpec]) -> Result<(), ForgeError> {
        let have = self.dialect.label_names(&mut self.api, &self.project)?;
        let path = self.path("/labels");
        let created = self.api.create_missing_labels(
            &have,
            labels,
            &path,
            |l| {
                json!({
                    "name": l.name,
                    "color": format!("{}{}", D::COLOR_PREFIX, l.color),
                    "description": l.description,
                })
            },
            D::label_exists,
        )?;
        self.dialect.labels_created(created);
        Ok(())
    }

    fn stats(&self) -> Stats {
        self.api.stats()
    }
}

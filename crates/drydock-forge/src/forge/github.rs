//! GitHub and GitHub Enterprise Server (`--url https://HOST/api/v3`): REST v3.
//!
//! Issues are listed with `state=all`, `labels` (all of them must match) and `creator`, 100 a
//! page, following `Link: rel="next"` (which points at `/repositories/{id}/issues`, another
//! path on the same origin); items with a `pull_request` key are pull requests and skipped. One
//! `PATCH` carries body, title, labels and state (`state_reason`), so an update is one write.

use serde_json::{Map, Value, json};

use super::api::{Api, IssueShape};
use super::remote::Dialect;
use super::{CloseReason, ForgeKind, Issue};
use crate::ForgeError;
use crate::http::{AuthStyle, Response};

const SHAPE: IssueShape = IssueShape {
    number: "number",
    body: "body",
    author: ("user", "login"),
    url: "html_url",
};

/// The GitHub dialect of [`super::remote::Remote`].
#[derive(Debug, Default)]
pub(crate) struct GitHub;

/// Parses one page of `GET /repos/{o}/{r}/issues` (public for the recorded-fixture tests).
pub fn parse_issue_page(body: &str) -> Result<Vec<Issue>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let arr = v.as_array().ok_or("an issue list is not a JSON array")?;
    Ok(arr.iter().filter_map(|i| SHAPE.parse(i)).collect())
}

impl Dialect for GitHub {
    const KIND: ForgeKind = ForgeKind::Github;
    const AUTH: AuthStyle = AuthStyle::Bearer;
    const HEADERS: &'static [(&'static str, &'static str)] =
        &[("X-GitHub-Api-Version", "2022-11-28")];
    const SHAPE: IssueShape = SHAPE;
    const LIST_BY_AUTHOR: &'static str = "state=all&creator=";
    const COLOR_PREFIX: &'static str = "";

    fn labels_value(
        &mut self,
        _: &mut Api,
        _: &str,
        names: &[String],
    ) -> Result<Value, ForgeError> {
        Ok(json!(names))
    }

    fn state_fields(reason: Option<CloseReason>, body: &mut Map<String, Value>) {
        let (state, reason) = match reason {
            None => ("open", "reopened"),
            Some(CloseReason::Completed) => ("closed", "completed"),
            Some(CloseReason::NotPlanned) => ("closed", "not_planned"),
            Some(CloseReason::Duplicate) => ("closed", "duplicate"),
        };
        body.insert("state".into(), json!(state));
        body.insert("state_reason".into(), json!(reason));
    }

    /// 422 `already_exists`: created meanwhile (another sync): what we wanted.
    fn label_exists(r: &Response) -> bool {
        r.status == 422 && r.body.contains("already_exists")
    }
}

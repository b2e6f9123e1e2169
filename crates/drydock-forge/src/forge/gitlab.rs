//! GitLab REST v4 (`--url https://HOST/api/v4`).
//!
//! Projects are addressed by their URL-encoded path, issues by their project-scoped `iid`
//! (never the global `id`). Lists follow `x-next-page` (empty on the last page; past 10,000
//! rows GitLab drops the totals but keeps it). `labels` is a comma string and filters by all of
//! them; `state_event` closes and reopens (GitLab has no close reason).

use serde_json::{Map, Value, json};

use super::api::{Api, IssueShape, Paging};
use super::remote::Dialect;
use super::{CloseReason, ForgeKind};
use crate::ForgeError;
use crate::http::{AuthStyle, Method, Response, encode};

/// The GitLab dialect of [`super::remote::Remote`].
#[derive(Debug, Default)]
pub(crate) struct GitLab;

impl Dialect for GitLab {
    const KIND: ForgeKind = ForgeKind::Gitlab;
    const AUTH: AuthStyle = AuthStyle::PrivateToken;
    const SHAPE: IssueShape = IssueShape {
        number: "iid",
        body: "description",
        author: ("author", "username"),
        url: "web_url",
    };
    const PAGING: Paging = Paging::NextPageHeader;
    const LIST_BY_AUTHOR: &'static str = "author_username=";
    const USER_FIELD: &'static str = "username";
    const COMMENTS: &'static str = "notes";
    const UPDATE: Method = Method::Put;

    fn project(api: &Api) -> String {
        format!("/projects/{}", encode(api.repository()))
    }

    /// One comma string.
    fn labels_value(
        &mut self,
        _: &mut Api,
        _: &str,
        names: &[String],
    ) -> Result<Value, ForgeError> {
        Ok(json!(names.join(",")))
    }

    /// GitLab has no close reason.
    fn state_fields(reason: Option<CloseReason>, body: &mut Map<String, Value>) {
        let event = if reason.is_some() { "close" } else { "reopen" };
        body.insert("state_event".into(), json!(event));
    }

    /// 409: created meanwhile.
    fn label_exists(r: &Response) -> bool {
        r.status == 409
    }
}

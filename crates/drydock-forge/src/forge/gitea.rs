//! Gitea and Forgejo (`--url https://HOST/api/v1`).
//!
//! Differences from GitHub that matter here: `labels` in a list filters by *any* of them (so
//! drydock filters by one label and checks the rest itself); a new issue takes label **ids**,
//! looked up by name; `PATCH` has no labels field, so labels are replaced by a separate
//! `PUT …/issues/{n}/labels` (with ids, which every version accepts); `type=issues` keeps pull
//! requests out of lists; pages follow `Link: rel="next"`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::api::{Api, IssueShape};
use super::github::GitHub;
use super::remote::Dialect;
use super::{CloseReason, ForgeKind, str_field};
use crate::ForgeError;
use crate::http::{AuthStyle, Response};

/// The Gitea dialect of [`super::remote::Remote`].
#[derive(Debug, Default)]
pub(crate) struct Gitea {
    /// Lower-cased label name → id, once read.
    label_ids: Option<BTreeMap<String, u64>>,
}

impl Gitea {
    fn labels(
        &mut self,
        api: &mut Api,
        project: &str,
    ) -> Result<&BTreeMap<String, u64>, ForgeError> {
        if self.label_ids.is_none() {
            let all = api.pages(
                format!("{project}/labels?{}", Self::PAGE_SIZE),
                "list labels",
                Self::PAGING,
            )?;
            let map = all
                .iter()
                .filter_map(|l| Some((str_field(l, "name").to_lowercase(), l.get("id")?.as_u64()?)))
                .collect();
            self.label_ids = Some(map);
        }
        Ok(self.label_ids.get_or_insert_default())
    }
}

impl Dialect for Gitea {
    const KIND: ForgeKind = ForgeKind::Gitea;
    const AUTH: AuthStyle = AuthStyle::TokenPrefix;
    /// Gitea's issue JSON names its fields as GitHub's does.
    const SHAPE: IssueShape = <GitHub as Dialect>::SHAPE;
    const PAGE_SIZE: &'static str = "limit=50";
    const LIST_BY_AUTHOR: &'static str = "state=all&type=issues&created_by=";
    const LABELS_IN_UPDATE: bool = false;

    /// The labels' ids, looked up by name.
    fn labels_value(
        &mut self,
        api: &mut Api,
        project: &str,
        names: &[String],
    ) -> Result<Value, ForgeError> {
        let map = self.labels(api, project)?;
        let mut ids = Vec::new();
        for n in names {
            match map.get(&n.to_lowercase()) {
                Some(id) => ids.push(*id),
                None => {
                    return Err(ForgeError::Status {
                        repository: api.repository().to_string(),
                        status: 422,
                        message: format!("label `{n}` does not exist in the repository"),
                    });
                }
            }
        }
        Ok(json!(ids))
    }

    /// Gitea has no close reason.
    fn state_fields(reason: Option<CloseReason>, body: &mut Map<String, Value>) {
        let state = if reason.is_some() { "closed" } else { "open" };
        body.insert("state".into(), json!(state));
    }

    /// Created meanwhile: 409 (Forgejo) or 422 (Gitea).
    fn label_exists(r: &Response) -> bool {
        r.status == 409 || r.status == 422
    }

    /// Read afresh, and kept for the ids.
    fn label_names(&mut self, api: &mut Api, project: &str) -> Result<Vec<String>, ForgeError> {
        self.label_ids = None;
        Ok(self.labels(api, project)?.keys().cloned().collect())
    }

    fn labels_created(&mut self, created: Vec<(String, Option<Value>)>) {
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
    }
}

//! One digest per run of what is new since each image's previous scan, sent to Slack, Microsoft
//! Teams (a Workflows webhook with an Adaptive Card) or any receiver of signed JSON.
//!
//! New means: a finding at or above `--min-severity` that the image's previous successful scan
//! did not have (on an image's first scan, every finding); a finding whose fix became available;
//! an acceptance that expired or expires within 7 days; an image that failed to scan. Nothing
//! new, nothing sent (unless `--always`). The JSON body is signed like GitHub's webhooks:
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with `DRYDOCK_WEBHOOK_SECRET`.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::time::Duration;

use drydock_match::Severity;
use drydock_store::{Observation, ScanStatus, Store};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use serde_json::{Value, json};

use crate::ForgeError;
use crate::http::{agent, display_origin};
use crate::image::{default_url, severity};
use crate::triage::{Expiring, TriageSource};

/// Where the digest goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    Slack,
    Teams,
    Json,
}

impl std::str::FromStr for WebhookKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "slack" => Ok(WebhookKind::Slack),
            "teams" => Ok(WebhookKind::Teams),
            "json" => Ok(WebhookKind::Json),
            _ => Err(format!("unknown webhook kind `{s}` (slack, teams, json)")),
        }
    }
}

/// What goes into the digest.
#[derive(Debug, Clone)]
pub struct AlertOptions {
    pub min_severity: Severity,
    /// Today (YYYY-MM-DD), for acceptance expiry.
    pub today: String,
    /// Acceptances expiring within this many days are listed.
    pub expiring_days: i64,
}

/// A finding in the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertFinding {
    pub id: String,
    pub package: String,
    pub installed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub url: String,
}

/// One image's news.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageNews {
    pub reference: String,
    pub repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// No successful scan of the image (or its repository) before this run.
    pub first_scan: bool,
    pub new: Vec<AlertFinding>,
    pub fix_available: Vec<AlertFinding>,
}

/// An image that failed to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedImage {
    pub reference: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub new: usize,
    pub new_critical: usize,
    pub fix_available: usize,
    pub failed: usize,
    pub acceptances_expiring: usize,
}

/// One run's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub event: &'static str,
    pub run_id: String,
    pub run_seq: i64,
    pub min_severity: Severity,
    pub counts: Counts,
    pub images: Vec<ImageNews>,
    pub failed: Vec<FailedImage>,
    pub acceptances: Vec<Expiring>,
}

impl Digest {
    /// Nothing to say.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.failed.is_empty() && self.acceptances.is_empty()
    }

    /// The one-line summary (Slack's `text`, the card's title).
    pub fn headline(&self) -> String {
        if self.is_empty() {
            return format!("drydock run `{}`: all clear, nothing new", self.run_id);
        }
        let c = &self.counts;
        let mut parts = Vec::new();
        if c.new > 0 {
            parts.push(format!(
                "{} new finding(s) at or above {} ({} CRITICAL)",
                c.new, self.min_severity, c.new_critical
            ));
        }
        if c.fix_available > 0 {
            parts.push(format!("{} fix(es) now available", c.fix_available));
        }
        if c.failed > 0 {
            parts.push(format!("{} image(s) failed to scan", c.failed));
        }
        if c.acceptances_expiring > 0 {
            parts.push(format!(
                "{} acceptance(s) expired or expiring",
                c.acceptances_expiring
            ));
        }
        format!("drydock run `{}`: {}", self.run_id, parts.join(", "))
    }
}

fn finding(o: &Observation, vulns: &BTreeMap<String, drydock_store::VulnInfo>) -> AlertFinding {
    let v = vulns.get(&o.vuln_id);
    AlertFinding {
        id: o.vuln_id.clone(),
        package: o.package.clone(),
        installed: o.installed.clone(),
        fixed: o.fixed.clone(),
        severity: severity(&o.severity),
        title: v.and_then(|v| v.title.clone()),
        url: v
            .and_then(|v| v.url.clone())
            .unwrap_or_else(|| default_url(&o.vuln_id)),
    }
}

/// The digest of run `selector` from the store.
pub fn digest(
    store: &mut Store,
    selector: &str,
    triage: &dyn TriageSource,
    opts: &AlertOptions,
) -> Result<Digest, ForgeError> {
    let run = store.run(selector)?;
    let scans = store.images(run.seq)?;
    let mut images = Vec::new();
    let mut failed = Vec::new();
    for s in &scans {
        if s.status == ScanStatus::Failed {
            failed.push(FailedImage {
                reference: s.reference.clone(),
                error: s.error.clone().unwrap_or_else(|| "scan failed".into()),
            });
            continue;
        }
        let now = store.observations(run.seq, &s.reference)?;
        let prev = store.previous_ok_scan(&s.reference, &s.repository, run.seq)?;
        let before: BTreeMap<String, Observation> = match &prev {
            Some(p) => store
                .observations(p.run_seq, &p.reference)?
                .into_iter()
                .map(|o| (o.fingerprint.clone(), o))
                .collect(),
            None => BTreeMap::new(),
        };
        let releases: Vec<String> = s.releases.iter().map(|(r, _)| r.clone()).collect();
        let mut new = Vec::new();
        let mut fix = Vec::new();
        let mut ids = Vec::new();
        for o in &now {
            if severity(&o.severity) < opts.min_severity
                || triage.suppression(&s.repository, &releases, o).is_some()
            {
                continue;
            }
            match before.get(&o.fingerprint) {
                None => new.push(o),
                Some(b) if b.fixed.is_none() && o.fixed.is_some() => fix.push(o),
                Some(_) => continue,
            }
            ids.push(o.vuln_id.clone());
        }
        if new.is_empty() && fix.is_empty() {
            continue;
        }
        let vulns = store.vulns(&ids)?;
        let sort = |v: &mut Vec<AlertFinding>| {
            v.sort_by(|a, b| {
                (Reverse(a.severity), &a.id, &a.package).cmp(&(
                    Reverse(b.severity),
                    &b.id,
                    &b.package,
                ))
            })
        };
        let mut new: Vec<AlertFinding> = new.into_iter().map(|o| finding(o, &vulns)).collect();
        let mut fix: Vec<AlertFinding> = fix.into_iter().map(|o| finding(o, &vulns)).collect();
        sort(&mut new);
        sort(&mut fix);
        images.push(ImageNews {
            reference: s.reference.clone(),
            repository: s.repository.clone(),
            digest: s.digest.clone(),
            first_scan: prev.is_none(),
            new,
            fix_available: fix,
        });
    }
    let acceptances = triage.expiring(&opts.today, opts.expiring_days);
    let counts = Counts {
        new: images.iter().map(|i| i.new.len()).sum(),
        new_critical: images
            .iter()
            .flat_map(|i| &i.new)
            .filter(|f| f.severity == Severity::Critical)
            .count(),
        fix_available: images.iter().map(|i| i.fix_available.len()).sum(),
        failed: failed.len(),
        acceptances_expiring: acceptances.len(),
    };
    Ok(Digest {
        event: "drydock.digest",
        run_id: run.run_id,
        run_seq: run.seq,
        min_severity: opts.min_severity,
        counts,
        images,
        failed,
        acceptances,
    })
}

/// Lines of text per image (shared by Slack and Teams), each section bounded.
fn sections(d: &Digest, max_images: usize, max_findings: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in d.images.iter().take(max_images) {
        let mut s = format!(
            "*{}*{}",
            i.reference,
            if i.first_scan { " (first scan)" } else { "" }
        );
        for (label, list) in [("new", &i.new), ("fix available", &i.fix_available)] {
            for f in list.iter().take(max_findings) {
                s.push_str(&format!(
                    "\n• {label}: {} {} in {} {}{}",
                    f.severity,
                    f.id,
                    f.package,
                    f.installed,
                    f.fixed
                        .as_ref()
                        .map(|x| format!(" → {x}"))
                        .unwrap_or_default()
                ));
            }
            if list.len() > max_findings {
                s.push_str(&format!(
                    "\n• …and {} more {label}",
                    list.len() - max_findings
                ));
            }
        }
        out.push(s.chars().take(2900).collect());
    }
    if d.images.len() > max_images {
        out.push(format!(
            "…and {} more image(s)",
            d.images.len() - max_images
        ));
    }
    if !d.failed.is_empty() {
        let mut s = String::from("*Failed to scan*");
        for f in d.failed.iter().take(20) {
            s.push_str(&format!("\n• {}: {}", f.reference, f.error));
        }
        if d.failed.len() > 20 {
            s.push_str(&format!("\n• …and {} more", d.failed.len() - 20));
        }
        out.push(s.chars().take(2900).collect());
    }
    if !d.acceptances.is_empty() {
        let mut s = String::from("*Acceptances expired or expiring*");
        for a in d.acceptances.iter().take(20) {
            s.push_str(&format!(
                "\n• {} in {} ({}): {} {}",
                a.vuln_id,
                a.package,
                a.scope,
                if a.expired { "expired" } else { "expires" },
                a.expires
            ));
        }
        out.push(s.chars().take(2900).collect());
    }
    out
}

/// Teams accepts webhook cards up to 28 KB; the text of the TextBlocks gets this much of it, the
/// JSON around them the rest (JSON escaping of `"` and `\\` and the wrapper).
const TEAMS_TEXT_BUDGET: usize = 22 * 1024;
/// The JSON of one TextBlock around its text.
const TEAMS_OVERHEAD: usize = 64;

/// The request body for a receiver.
pub fn payload(d: &Digest, kind: WebhookKind) -> Value {
    match kind {
        WebhookKind::Slack => {
            let mut blocks = vec![json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": d.headline()}
            })];
            // Slack allows 50 blocks.
            for s in sections(d, 40, 10) {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": s}}));
            }
            json!({"text": d.headline(), "blocks": blocks})
        }
        WebhookKind::Teams => {
            let mut body = vec![json!({
                "type": "TextBlock", "text": d.headline(), "weight": "Bolder",
                "size": "Medium", "wrap": true
            })];
            // Teams refuses webhook cards over 28 KB: whole sections are kept while they fit,
            // the rest is counted.
            let all = sections(d, 40, 10);
            let mut used = d.headline().len();
            let mut kept = 0;
            for s in &all {
                let text = s.replace('*', "**");
                if used + text.len() + TEAMS_OVERHEAD > TEAMS_TEXT_BUDGET {
                    break;
                }
                used += text.len() + TEAMS_OVERHEAD;
                body.push(json!({"type": "TextBlock", "text": text, "wrap": true}));
                kept += 1;
            }
            if kept < all.len() {
                body.push(json!({
                    "type": "TextBlock",
                    "text": format!(
                        "…and {} more section(s) that do not fit a Teams card: see `drydock history` or the JSON digest",
                        all.len() - kept
                    ),
                    "wrap": true,
                    "isSubtle": true
                }));
            }
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": body
                    }
                }]
            })
        }
        WebhookKind::Json => serde_json::to_value(d).unwrap_or(Value::Null),
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// `sha256=<hex HMAC-SHA256 of body>`, the `X-Hub-Signature-256` value.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` (`sha256=…`) signs `body` with `secret`; compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hexsig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hexsig) else {
        return false;
    };
    let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Retries of a delivery.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            backoff: Duration::from_secs(2),
        }
    }
}

/// Posts `body` to the webhook, signing it when a secret is given; retries 429, 5xx and
/// transport errors with exponential back-off (honouring `Retry-After`). The URL is never
/// printed beyond its origin (Slack and Teams URLs are secrets).
pub fn deliver(
    url: &str,
    body: &str,
    secret: Option<&[u8]>,
    retry: Retry,
) -> Result<u32, ForgeError> {
    let agent = agent();
    let shown = display_origin(url);
    let mut last = String::new();
    for attempt in 1..=retry.attempts.max(1) {
        let mut req = agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Drydock-Event", "digest");
        if let Some(s) = secret {
            req = req.header("X-Hub-Signature-256", sign(s, body.as_bytes()));
        }
        let mut wait = retry.backoff * 2u32.pow(attempt - 1);
        match req.send(body) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(attempt);
                }
                let text = resp
                    .body_mut()
                    .read_to_string()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect::<String>();
                last = format!("HTTP {status}: {text}");
                if status != 429 && status < 500 {
                    return Err(ForgeError::Webhook {
                        url: shown,
                        message: last,
                    });
                }
                if let Some(secs) = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    wait = Duration::from_secs(secs);
                }
            }
            Err(e) => last = e.to_string().replace(url, &shown),
        }
        if attempt < retry.attempts {
            tracing::info!("webhook {shown}: {last}; retrying in {} s", wait.as_secs());
            std::thread::sleep(wait);
        }
    }
    Err(ForgeError::Webhook {
        url: shown,
        message: format!("gave up after {} attempt(s): {last}", retry.attempts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_published_test_vector() {
        // docs.github.com, "Validating webhook deliveries": the documented secret, payload and
        // signature.
        let sig = sign(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            &sig
        ));
        assert!(!verify(
            b"It's a Secret to Everybody",
            b"Hello, World?",
            &sig
        ));
        assert!(!verify(b"another secret", b"Hello, World!", &sig));
        assert!(!verify(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            "sha1=00"
        ));
    }
}

//! Secret detection: well-known token formats, secret-looking variable names, masking.
//!
//! The token formats are written from the vendors' own documentation of their prefixes
//! (AWS `AKIA…`, GitHub `ghp_…`/`github_pat_…`, GitLab `glpat-…`, Slack `xox?-…`, Stripe
//! `sk_live_…`, npm `npm_…`, PyPI `pypi-AgEIcHlwaS5vcmc…`); the rule ids follow the names
//! the Trivy (Apache-2.0) and gitleaks (MIT) rule sets use, so results can be compared.
//! A keyword pre-filter (Aho-Corasick) keeps the regexes off text that cannot match.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::Severity;

/// One token format.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Cheap literals one of which must occur (case-insensitively) before the regex runs.
    keywords: &'static [&'static str],
    /// Another literal the text must contain (e.g. `service_account` for a GCP key id).
    also: Option<&'static str>,
    pattern: &'static str,
}

static RULES: &[Rule] = &[
    Rule {
        id: "aws-access-key-id",
        title: "AWS access key ID",
        severity: Severity::Critical,
        keywords: &["akia", "asia", "abia", "acca"],
        also: None,
        pattern: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
    },
    Rule {
        id: "aws-secret-access-key",
        title: "AWS secret access key",
        severity: Severity::Critical,
        keywords: &["secret"],
        also: None,
        pattern: r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
    },
    Rule {
        id: "github-pat",
        title: "GitHub token",
        severity: Severity::Critical,
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        also: None,
        pattern: r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b",
    },
    Rule {
        id: "github-fine-grained-pat",
        title: "GitHub fine-grained token",
        severity: Severity::Critical,
        keywords: &["github_pat_"],
        also: None,
        pattern: r"\b(github_pat_[A-Za-z0-9_]{82})\b",
    },
    Rule {
        id: "gitlab-pat",
        title: "GitLab personal access token",
        severity: Severity::Critical,
        keywords: &["glpat-"],
        also: None,
        pattern: r"\b(glpat-[A-Za-z0-9_\-]{20,})",
    },
    Rule {
        id: "private-key",
        title: "private key",
        severity: Severity::High,
        keywords: &["private key"],
        also: None,
        pattern: r"(-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]{64,}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
    },
    Rule {
        id: "slack-token",
        title: "Slack token",
        severity: Severity::High,
        keywords: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        also: None,
        pattern: r"\b(xox[abprs]-[0-9A-Za-z-]{10,})",
    },
    Rule {
        id: "slack-webhook-url",
        title: "Slack webhook URL",
        severity: Severity::Medium,
        keywords: &["hooks.slack.com"],
        also: None,
        pattern: r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{16,})",
    },
    Rule {
        id: "stripe-secret-key",
        title: "Stripe secret key",
        severity: Severity::Critical,
        keywords: &["sk_live_", "rk_live_"],
        also: None,
        pattern: r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})",
    },
    Rule {
        id: "npm-access-token",
        title: "npm access token",
        severity: Severity::High,
        keywords: &["npm_"],
        also: None,
        pattern: r"\b(npm_[A-Za-z0-9]{36})\b",
    },
    Rule {
        id: "pypi-upload-token",
        title: "PyPI upload token",
        severity: Severity::High,
        keywords: &["pypi-ageichlwas5vcmc"],
        also: None,
        pattern: r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    },
    Rule {
        id: "gcp-service-account",
        title: "GCP service account key",
        severity: Severity::High,
        keywords: &["private_key_id"],
        also: Some("service_account"),
        pattern: r#""private_key_id"\s*:\s*"([0-9a-f]{40})""#,
    },
    Rule {
        id: "dockerconfig-secret",
        title: "docker registry credentials",
        severity: Severity::High,
        keywords: &["\"auth\""],
        also: Some("auths"),
        pattern: r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#,
    },
    Rule {
        id: "jwt-token",
        title: "JSON Web Token",
        severity: Severity::Medium,
        keywords: &["eyj"],
        also: None,
        pattern: r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
    },
];

struct Compiled {
    prefilter: AhoCorasick,
    /// Keyword pattern index → rule index.
    keyword_rule: Vec<usize>,
    regexes: Vec<Regex>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let mut keywords = Vec::new();
        let mut keyword_rule = Vec::new();
        for (i, r) in RULES.iter().enumerate() {
            for k in r.keywords {
                keywords.push(*k);
                keyword_rule.push(i);
            }
        }
        Compiled {
            prefilter: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&keywords)
                .expect("the built-in keywords are valid"),
            keyword_rule,
            regexes: RULES
                .iter()
                .map(|r| Regex::new(r.pattern).expect("the built-in patterns are valid"))
                .collect(),
        }
    })
}

/// The built-in rules (for docs and SARIF).
pub fn rules() -> &'static [Rule] {
    RULES
}

/// A token found in some text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    pub rule: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// 1-based line of the match in the text.
    pub line: usize,
    /// The matched secret, masked (see [`crate::mask`]).
    pub masked: String,
}

/// Runs every rule over `text`. Each distinct secret is reported once.
pub fn scan(text: &str) -> Vec<Hit> {
    let c = compiled();
    let mut wanted = vec![false; RULES.len()];
    for m in c.prefilter.find_overlapping_iter(text) {
        wanted[c.keyword_rule[m.pattern().as_usize()]] = true;
    }
    let mut hits: Vec<Hit> = Vec::new();
    for (i, rule) in RULES.iter().enumerate() {
        if !wanted[i] || rule.also.is_some_and(|a| !text.contains(a)) {
            continue;
        }
        for caps in c.regexes[i].captures_iter(text) {
            let (Some(all), Some(secret)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let masked = if rule.id == "private-key" {
                // The BEGIN line names the key type and gives nothing away.
                format!("{} ({} bytes)", secret.as_str(), all.len())
            } else {
                crate::mask(secret.as_str())
            };
            if hits.iter().any(|h| h.rule == rule.id && h.masked == masked) {
                continue;
            }
            let line = 1 + text[..all.start()].bytes().filter(|&b| b == b'\n').count();
            hits.push(Hit {
                rule: rule.id,
                title: rule.title,
                severity: rule.severity,
                line,
                masked,
            });
        }
    }
    hits
}

/// Words that make a variable name secret-looking (checked per `_`-separated part and on the
/// whole upper-cased name).
const SECRET_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "PRIVATEKEY",
];
const SECRET_PHRASES: &[&str] = &[
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "SECRET_KEY",
    "AUTH_KEY",
    "CLIENT_SECRET",
    "AUTH_TOKEN",
];
/// Names that hold public values or references, not secrets.
const PUBLIC_PARTS: &[&str] = &[
    "GPG",
    "PGP",
    "PUBLIC",
    "PUB",
    "KEYRING",
    "KEYSERVER",
    "FILE",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "LENGTH",
    "SIZE",
    "TYPE",
    "NAME",
    "HEADER",
    "ENABLED",
    "VERSION",
    "ID",
    "USER",
    "USERNAME",
    "EXPIRY",
    "TTL",
    "ALGORITHM",
    "REALM",
    "POLICY",
];

/// Whether an ENV/ARG name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| PUBLIC_PARTS.contains(p)) {
        return false;
    }
    parts.iter().any(|p| SECRET_PARTS.contains(p))
        || SECRET_PHRASES.iter().any(|ph| upper.contains(ph))
}

/// Whether a value assigned to a secret-named variable is a real value: not empty, not a
/// `$VAR` reference, not a boolean or placeholder.
pub fn is_literal_value(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.starts_with('$') {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let placeholder = matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "0" | "1" | "none" | "null" | "changeme" | "-" | "\"\""
    );
    let template = lower.starts_with('<') && lower.ends_with('>');
    !(placeholder || template || lower.starts_with("/run/secrets/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_documented_example_keys() {
        let hits = scan("ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].rule, "aws-access-key-id");
        assert!(!hits[0].masked.contains("IOSFODNN7EXAMPLE"));
        let hits =
            scan("\n[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
        assert_eq!(hits[0].rule, "aws-secret-access-key");
        assert_eq!(hits[0].line, 3);
    }

    #[test]
    fn no_hit_without_the_format() {
        assert!(scan("AKIA short, ghp_tooShort, glpat-x, -----BEGIN PUBLIC KEY-----").is_empty());
        assert!(scan("").is_empty());
    }

    #[test]
    fn tokens() {
        let gh = format!("token: ghp_{}", "a1B2".repeat(9));
        assert_eq!(scan(&gh)[0].rule, "github-pat");
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            "b3BlbnNzaC1rZXktdjEAAAAA".repeat(4)
        );
        let h = scan(&pem);
        assert_eq!(h[0].rule, "private-key");
        assert!(!h[0].masked.contains("b3Bl"));
        let docker = r#"{"auths":{"r.example":{"auth":"dXNlcjpwYXNzd29yZA=="}}}"#;
        assert_eq!(scan(docker)[0].rule, "dockerconfig-secret");
    }

    /// Every built-in rule finds a sample written to its vendor's documented format, masked,
    /// and misses a near twin (one character short, a test key, a public block…). The samples
    /// are built here, not real credentials.
    #[test]
    fn every_rule_has_a_sample_and_a_near_miss() {
        let hex40 = "0123456789abcdef0123456789abcdef01234567";
        let b32 = |n: usize| {
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
                .chars()
                .cycle()
                .take(n)
                .collect::<String>()
        };
        let alnum = |n: usize| {
            "a1B2c3D4e5F6g7H8"
                .chars()
                .cycle()
                .take(n)
                .collect::<String>()
        };
        let pem = |kind: &str| {
            format!(
                "-----BEGIN {kind}-----\n{}\n-----END {kind}-----\n",
                alnum(96)
            )
        };
        let samples: Vec<(&str, String, String)> = vec![
            (
                "aws-access-key-id",
                format!("AKIA{}", b32(16)),
                format!("AKIA{}", b32(15)),
            ),
            (
                "aws-secret-access-key",
                format!("aws_secret_access_key = {}", alnum(40)),
                format!("aws_secret_access_key = {}", alnum(39)),
            ),
            (
                "github-pat",
                format!("ghp_{}", alnum(36)),
                format!("ghp_{}", alnum(35)),
            ),
            (
                "github-fine-grained-pat",
                format!("github_pat_{}", alnum(82)),
                format!("github_pat_{}", alnum(60)),
            ),
            (
                "gitlab-pat",
                format!("glpat-{}", alnum(20)),
                format!("glpat-{}", alnum(19)),
            ),
            ("private-key", pem("RSA PRIVATE KEY"), pem("PUBLIC KEY")),
            (
                "slack-token",
                format!("xoxb-{}", alnum(24)),
                "xoxb-12345".to_string(),
            ),
            (
                "slack-webhook-url",
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    b32(8),
                    b32(8),
                    alnum(24)
                ),
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    b32(8),
                    b32(8),
                    alnum(15)
                ),
            ),
            (
                "stripe-secret-key",
                format!("sk_live_{}", alnum(24)),
                format!("sk_test_{}", alnum(24)),
            ),
            (
                "npm-access-token",
                format!("npm_{}", alnum(36)),
                format!("npm_{}", alnum(35)),
            ),
            (
                "pypi-upload-token",
                format!("pypi-AgEIcHlwaS5vcmc{}", alnum(60)),
                format!("pypi-AgEIcHlwaS5vcmc{}", alnum(20)),
            ),
            (
                "gcp-service-account",
                format!(r#"{{"type": "service_account", "private_key_id": "{hex40}"}}"#),
                format!(r#"{{"type": "authorized_user", "private_key_id": "{hex40}"}}"#),
            ),
            (
                "dockerconfig-secret",
                r#"{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#.into(),
                r#"{"auths": {"registry.example.com": {}}, "credsStore": "desktop"}"#.into(),
            ),
            (
                "jwt-token",
                format!("eyJ{}.eyJ{}.{}", alnum(20), alnum(30), alnum(43)),
                format!("eyJ{}.eyJ{}", alnum(20), alnum(30)),
            ),
        ];
        for rule in rules() {
            let (_, hit, miss) = samples
                .iter()
                .find(|(id, ..)| *id == rule.id)
                .unwrap_or_else(|| panic!("rule `{}` has no sample", rule.id));
            let text = format!("first line\nvalue: {hit}\n");
            let hits = scan(&text);
            let h = hits
                .iter()
                .find(|h| h.rule == rule.id)
                .unwrap_or_else(|| panic!("`{}` misses its sample: {hits:?}", rule.id));
            assert_eq!((h.line, h.severity), (2, rule.severity), "{}", rule.id);
            let body = if rule.id == "private-key" {
                &alnum(96)
            } else {
                hit
            };
            assert!(
                !h.masked.contains(&body[body.len() - 12..]),
                "{}: {}",
                rule.id,
                h.masked
            );
            let missed = scan(&format!("value: {miss}\n"));
            assert!(
                missed.iter().all(|h| h.rule != rule.id),
                "`{}` fires on its near miss `{miss}`: {missed:?}",
                rule.id
            );
        }
        assert_eq!(
            samples.len(),
            rules().len(),
            "a sample for a rule that does not exist"
        );
    }

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "API_KEY",
            "GITHUB_TOKEN",
            "aws_secret_access_key",
            "SECRET",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "GPG_KEY",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "PATH",
            "PWD",
            "KEY",
            "PYTHON_VERSION",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
        assert!(is_literal_value("hunter2"));
        assert!(!is_literal_value("${DB_PASSWORD}"));
        assert!(!is_literal_value(""));
    }
}

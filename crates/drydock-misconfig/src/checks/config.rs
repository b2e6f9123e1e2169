//! Checks on an image config (`config.User`, `Env`, `ExposedPorts`, `Volumes`, `WorkingDir`,
//! `Healthcheck`, labels) and its `history` (the commands the image was built with).

use serde_json::Value;

use crate::catalog::{self, Check};
use crate::finding::{Evidence, MisconfigFinding, Severity, cut, mask};
use crate::{secret, shell};

fn config_finding(
    out: &mut Vec<MisconfigFinding>,
    check: &Check,
    title: String,
    severity: Severity,
    field: String,
    value: String,
) {
    out.push(MisconfigFinding::new(
        check,
        title,
        severity,
        Evidence::Config {
            field,
            value: cut(&value, 200),
        },
    ));
}

/// Runs the config and history checks on an image config document.
pub fn check(config: &Value) -> Vec<MisconfigFinding> {
    let mut out = Vec::new();
    let c = config
        .get("config")
        .or_else(|| config.get("container_config"));
    let empty = Value::Null;
    let c = c.unwrap_or(&empty);
    let user = c.get("User").and_then(Value::as_str).unwrap_or("");
    if crate::checks::is_root_user(user) {
        config_finding(
            &mut out,
            &catalog::ROOT_USER,
            if user.is_empty() {
                "the image runs as root (no user set)".into()
            } else {
                format!("the image runs as root (`{user}`)")
            },
            catalog::ROOT_USER.severity,
            "config.User".into(),
            user.into(),
        );
    }
    let hc = c.get("Healthcheck").and_then(|h| h.get("Test"));
    if hc.is_none_or(Value::is_null) {
        config_finding(
            &mut out,
            &catalog::NO_HEALTHCHECK,
            "no healthcheck in the image config".into(),
            catalog::NO_HEALTHCHECK.severity,
            "config.Healthcheck".into(),
            String::new(),
        );
    }
    if let Some(ports) = c.get("ExposedPorts").and_then(Value::as_object) {
        for p in ports.keys() {
            match crate::checks::ports(p) {
                Some(ps) if ps.iter().any(|&n| n > 65535) => config_finding(
                    &mut out,
                    &catalog::PORT_RANGE,
                    format!("port `{p}` is outside 0-65535"),
                    catalog::PORT_RANGE.severity,
                    format!("config.ExposedPorts[{p}]"),
                    p.clone(),
                ),
                Some(ps) if ps.contains(&22) => config_finding(
                    &mut out,
                    &catalog::SSH_PORT,
                    format!("port `{p}` (SSH) is exposed"),
                    catalog::SSH_PORT.severity,
                    format!("config.ExposedPorts[{p}]"),
                    p.clone(),
                ),
                _ => {}
            }
        }
    }
    if let Some(vols) = c.get("Volumes").and_then(Value::as_object) {
        for v in vols.keys().filter(|v| crate::checks::is_system_dir(v)) {
            config_finding(
                &mut out,
                &catalog::SYSTEM_DIR,
                format!("VOLUME on `{v}`"),
                catalog::SYSTEM_DIR.severity,
                format!("config.Volumes[{v}]"),
                v.clone(),
            );
        }
    }
    if let Some(w) = c.get("WorkingDir").and_then(Value::as_str)
        && crate::checks::is_system_dir(w)
    {
        config_finding(
            &mut out,
            &catalog::SYSTEM_DIR,
            format!("WORKDIR `{w}`"),
            catalog::SYSTEM_DIR.severity,
            "config.WorkingDir".into(),
            w.into(),
        );
    }
    if let Some(env) = c.get("Env").and_then(Value::as_array) {
        for (i, e) in env.iter().enumerate() {
            let Some(e) = e.as_str() else { continue };
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            let field = format!("config.Env[{i}]");
            if secret::is_secret_name(k) && secret::is_literal_value(v) {
                config_finding(
                    &mut out,
                    &catalog::SECRET_NAMED_VAR,
                    format!("ENV `{k}` holds a secret value"),
                    catalog::SECRET_NAMED_VAR.severity,
                    field.clone(),
                    format!("{k}={}", mask(v)),
                );
            }
            for hit in secret::scan(e) {
                config_finding(
                    &mut out,
                    &catalog::SECRET_IN_CONFIG,
                    format!("{} in ENV `{k}`", hit.title),
                    hit.severity,
                    field.clone(),
                    format!("{k}={}", hit.masked),
                );
            }
        }
    }
    // Other config text: labels, command, entrypoint.
    for key in ["Labels", "Cmd", "Entrypoint", "OnBuild"] {
        if let Some(v) = c.get(key).filter(|v| !v.is_null()) {
            let text = v.to_string();
            for hit in secret::scan(&text) {
                config_finding(
                    &mut out,
                    &catalog::SECRET_IN_CONFIG,
                    format!("{} in config.{key}", hit.title),
                    hit.severity,
                    format!("config.{key}"),
                    hit.masked,
                );
            }
        }
    }
    history(config, &mut out);
    out
}

/// One history entry, parsed back into an instruction.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub keyword: String,
    pub args: String,
    /// `RUN |2 A=1 B=2 …`: build args recorded with the command.
    pub build_args: Vec<(String, String)>,
}

/// Reads a `created_by` back: classic builder (`/bin/sh -c #(nop)  ENV …`, `|2 A=b /bin/sh -c
/// cmd`) and BuildKit (`RUN |1 A=b /bin/sh -c cmd # buildkit`, `ENV A=b`).
pub(crate) fn parse_created_by(created_by: &str) -> Step {
    let mut s = created_by.trim();
    s = s.strip_suffix("# buildkit").unwrap_or(s).trim_end();
    let mut keyword = String::from("RUN");
    if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        let rest = rest.trim_start();
        let (kw, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return Step {
            keyword: kw.to_ascii_uppercase(),
            args: args.trim().to_string(),
            build_args: Vec::new(),
        };
    }
    if let Some((kw, rest)) = s.split_once(char::is_whitespace)
        && kw.len() > 1
        && kw.chars().all(|c| c.is_ascii_uppercase())
    {
        keyword = kw.to_string();
        s = rest.trim_start();
    }
    let mut build_args = Vec::new();
    if keyword == "RUN"
        && let Some(rest) = s.strip_prefix('|')
    {
        let (n, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let n: usize = n.parse().unwrap_or(0);
        for _ in 0..n {
            let rest_t = rest.trim_start();
            let (word, after) = rest_t.split_once(' ').unwrap_or((rest_t, ""));
            if let Some((k, v)) = word.split_once('=') {
                build_args.push((k.to_string(), v.to_string()));
            }
            rest = after;
        }
        s = rest.trim_start();
    }
    let s = s
        .strip_prefix("/bin/sh -c ")
        .or_else(|| s.strip_prefix("/bin/bash -c "))
        .unwrap_or(s);
    Step {
        keyword,
        args: s.to_string(),
        build_args,
    }
}

/// A history command as a report may show it (the image's layer list): the values of
/// secret-named build args and every token-format match masked, e.g. `RUN |1
/// NPM_TOKEN=npm_********(40 chars) /bin/sh -c npm ci`. Other build args (versions, URLs) stay
/// readable.
pub fn mask_history(created_by: &str) -> String {
    let step = parse_created_by(created_by);
    mask_command(
        created_by,
        step.build_args
            .iter()
            .filter(|(k, _)| secret::is_secret_name(k))
            .map(|(_, v)| v.as_str()),
    )
}

/// `text` with each of `values` (at least 4 characters) and each word holding a token format
/// masked.
fn mask_command<'a>(text: &str, values: impl Iterator<Item = &'a str>) -> String {
    let mut shown = text.to_string();
    for v in values {
        if v.len() >= 4 {
            shown = shown.replace(v, &mask(v));
        }
    }
    for w in text.split(|c: char| c.is_whitespace() || matches!(c, '=' | '"' | '\'')) {
        if w.len() >= 8 && !secret::scan(w).is_empty() {
            shown = shown.replace(w, &mask(w));
        }
    }
    shown
}

fn history(config: &Value, out: &mut Vec<MisconfigFinding>) {
    let Some(hist) = config.get("history").and_then(Value::as_array) else {
        return;
    };
    let steps: Vec<(usize, &str, Step)> = hist
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let cb = h.get("created_by").and_then(Value::as_str)?;
            Some((i, cb, parse_created_by(cb)))
        })
        .collect();
    // The base image's entries end with its CMD/ENTRYPOINT (Trivy's rule too): hygiene checks
    // skip them, since this image's author cannot fix them; secret checks do not.
    let own_from = steps
        .iter()
        .rposition(|(i, _, s)| {
            (s.keyword == "CMD" || s.keyword == "ENTRYPOINT")
                && steps
                    .iter()
                    .any(|(j, _, t)| j > i && t.keyword != "CMD" && t.keyword != "ENTRYPOINT")
        })
        .map_or(0, |p| p + 1);
    for (pos, (i, cb, step)) in steps.iter().enumerate() {
        let evidence = |text: &str| Evidence::History {
            index: *i,
            created_by: cut(text, 200),
        };
        // Masked text for evidence: every build-arg value and token match hidden.
        let shown = mask_command(cb, step.build_args.iter().map(|(_, v)| v.as_str()));
        let hits = secret::scan(cb);
        for (k, v) in &step.build_args {
            if secret::is_secret_name(k) && secret::is_literal_value(v) {
                out.push(MisconfigFinding::new(
                    &catalog::BUILD_ARG_IN_HISTORY,
                    format!("build arg `{k}` ({}) is recorded in history", mask(v)),
                    catalog::BUILD_ARG_IN_HISTORY.severity,
                    evidence(&shown),
                ));
            }
        }
        for hit in hits {
            out.push(MisconfigFinding::new(
                &catalog::SECRET_IN_CONFIG,
                format!("{} in history ({})", hit.title, hit.masked),
                hit.severity,
                evidence(&shown),
            ));
        }
        if pos < own_from {
            continue;
        }
        if step.keyword == "ADD"
            && (step.args.contains("http://") || step.args.contains("https://"))
            && !step.args.contains("--checksum")
        {
            out.push(MisconfigFinding::new(
                &catalog::ADD_URL,
                "ADD downloaded a URL unverified",
                catalog::ADD_URL.severity,
                evidence(&shown),
            ));
        }
        if step.keyword != "RUN" {
            continue;
        }
        let facts = shell::analyse(&step.args);
        let mut add = |check: &Check, title: String| {
            out.push(MisconfigFinding::new(
                check,
                title,
                check.severity,
                evidence(&shown),
            ));
        };
        if facts.pipe_to_shell {
            add(
                &catalog::CURL_PIPE_SH,
                "a downloaded script was piped into a shell".into(),
            );
        }
        if facts.sudo {
            add(&catalog::SUDO, "sudo installed or used".into());
        }
        for m in facts.update_alone {
            add(
                &catalog::UPDATE_ALONE,
                format!("`{m} update` without an install in the same RUN"),
            );
        }
        for m in facts.cache_left {
            add(&catalog::CACHE_LEFT, format!("{m} cache left in the layer"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_forms() {
        let s = parse_created_by("/bin/sh -c #(nop)  ENV A=b");
        assert_eq!((s.keyword.as_str(), s.args.as_str()), ("ENV", "A=b"));
        let s = parse_created_by("|2 TOKEN=abc V=1 /bin/sh -c make install");
        assert_eq!(s.keyword, "RUN");
        assert_eq!(s.args, "make install");
        assert_eq!(s.build_args.len(), 2);
        let s = parse_created_by("RUN |1 NPM_TOKEN=npm_x /bin/sh -c npm ci # buildkit");
        assert_eq!(
            s.build_args,
            [("NPM_TOKEN".to_string(), "npm_x".to_string())]
        );
        assert_eq!(s.args, "npm ci");
        let s = parse_created_by("USER app");
        assert_eq!((s.keyword.as_str(), s.args.as_str()), ("USER", "app"));
        let s = parse_created_by("|9 A");
        assert!(s.build_args.is_empty());
    }

    #[test]
    fn history_commands_are_masked_for_reports() {
        let npm = format!("npm_{}", "a1B2c3".repeat(6));
        let cb = format!(
            "RUN |3 NPM_TOKEN={npm} VERSION=1.2.3 DB_PASSWORD=hunter22 /bin/sh -c npm ci # buildkit"
        );
        let shown = mask_history(&cb);
        assert!(
            !shown.contains(&npm[4..]) && !shown.contains("hunter22"),
            "{shown}"
        );
        assert!(shown.contains("VERSION=1.2.3"), "{shown}");
        assert!(shown.contains(&mask(&npm)), "{shown}");
        // A token in the command itself, with no build arg.
        let gh = format!("ghp_{}", "Z9y8".repeat(9));
        let shown = mask_history(&format!(
            "/bin/sh -c git clone https://x:{gh}@github.com/o/r"
        ));
        assert!(!shown.contains(&gh[4..]), "{shown}");
        assert_eq!(
            mask_history("/bin/sh -c #(nop)  CMD [\"bash\"]"),
            "/bin/sh -c #(nop)  CMD [\"bash\"]"
        );
    }

    #[test]
    fn config_fields() {
        let c: Value = serde_json::json!({
            "config": {"User": "", "Env": ["PATH=/bin", "DB_PASSWORD=hunter22", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"],
                       "ExposedPorts": {"22/tcp": {}}, "Volumes": {"/proc": {}}},
            "history": [{"created_by": "|1 API_TOKEN=s3cr3tvalue /bin/sh -c curl -fsSL https://x/i.sh | sh"}]
        });
        let f = check(&c);
        let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
        for id in [
            "DD-101", "DD-102", "DD-103", "DD-104", "DD-105", "DD-106", "DD-107", "DD-109",
        ] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
        let text = serde_json::to_string(&f).expect("json");
        assert!(
            !text.contains("hunter22") && !text.contains("s3cr3tvalue"),
            "{text}"
        );
        assert!(!text.contains("IOSFODNN7EXAMPLE"), "{text}");
    }
}

//! Checks on a parsed Dockerfile.

use std::collections::BTreeMap;

use crate::catalog::{self, Check};
use crate::dockerfile::{Args, Dockerfile, Instruction, Stage, pairs};
use crate::finding::{Evidence, MisconfigFinding, Severity, cut, mask};
use crate::{secret, shell};

struct Ctx<'a> {
    path: &'a str,
    out: Vec<MisconfigFinding>,
}

impl Ctx<'_> {
    fn add(&mut self, check: &Check, title: String, severity: Severity, ins: &Instruction) {
        self.add_masked(check, title, severity, ins, &[]);
    }

    /// Adds a finding whose snippet has `secrets` replaced by their masks.
    fn add_masked(
        &mut self,
        check: &Check,
        title: String,
        severity: Severity,
        ins: &Instruction,
        secrets: &[&str],
    ) {
        let mut snippet = ins.display();
        for s in secrets {
            if !s.is_empty() {
                snippet = snippet.replace(s, &mask(s));
            }
        }
        let evidence = Evidence::Dockerfile {
            path: self.path.to_string(),
            line: ins.line,
            end_line: ins.end_line,
            snippet: cut(&snippet, 200),
        };
        self.out
            .push(MisconfigFinding::new(check, title, severity, evidence));
    }
}

/// Runs the Dockerfile checks. `path` is how the file is named in the evidence.
pub fn check(df: &Dockerfile, path: &str) -> Vec<MisconfigFinding> {
    let mut cx = Ctx {
        path,
        out: Vec::new(),
    };
    for ins in &df.global_args {
        arg_checks(&mut cx, ins);
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for stage in &df.stages {
        if let Some(n) = &stage.name
            && names.insert(n.as_str(), stage.index).is_some()
        {
            cx.add(
                &catalog::DUPLICATE_STAGE,
                format!("stage name `{n}` is used twice"),
                catalog::DUPLICATE_STAGE.severity,
                &stage.from,
            );
        }
        base_checks(&mut cx, df, stage);
        stage_checks(&mut cx, stage);
    }
    if let Some(last) = df.final_stage() {
        final_stage_checks(&mut cx, df, last);
    }
    cx.out
}

fn base_checks(cx: &mut Ctx, df: &Dockerfile, stage: &Stage) {
    let base = stage.base.trim();
    if base.is_empty() || base.eq_ignore_ascii_case("scratch") {
        return;
    }
    // A FROM naming an earlier stage is not a registry image.
    if df
        .stage_named(base)
        .is_some_and(|s| s.index < stage.index && s.name.is_some())
    {
        return;
    }
    let (name, digest) = match base.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (base, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, t)| t);
    if digest.is_none() {
        match tag {
            None | Some("latest") => cx.add(
                &catalog::LATEST_TAG,
                format!(
                    "base image `{base}` is {}",
                    if tag.is_some() {
                        "`latest`"
                    } else {
                        "untagged (`latest`)"
                    }
                ),
                catalog::LATEST_TAG.severity,
                &stage.from,
            ),
            Some(_) => cx.add(
                &catalog::NOT_PINNED,
                format!("base image `{base}` is not pinned by digest"),
                catalog::NOT_PINNED.severity,
                &stage.from,
            ),
        }
    }
}

fn arg_checks(cx: &mut Ctx, ins: &Instruction) {
    for (k, v) in pairs(&ins.args.text(), false) {
        if !secret::is_secret_name(&k) {
            continue;
        }
        match v {
            Some(v) if secret::is_literal_value(&v) => cx.add_masked(
                &catalog::SECRET_NAMED_VAR,
                format!("ARG `{k}` has a secret default value"),
                catalog::SECRET_NAMED_VAR.severity,
                ins,
                &[&v],
            ),
            _ => cx.add(
                &catalog::SECRET_BUILD_ARG,
                format!("secret `{k}` is passed as a build argument"),
                catalog::SECRET_BUILD_ARG.severity,
                ins,
            ),
        }
    }
}

fn stage_checks(cx: &mut Ctx, stage: &Stage) {
    let mut counts: BTreeMap<&str, Vec<&Instruction>> = BTreeMap::new();
    for ins in &stage.instructions {
        let text = ins.args.text();
        match ins.keyword.as_str() {
            "CMD" | "ENTRYPOINT" | "HEALTHCHECK" => {
                counts.entry(ins.keyword.as_str()).or_default().push(ins);
            }
            "ARG" => arg_checks(cx, ins),
            "ENV" => {
                for (k, v) in pairs(&text, true) {
                    if let Some(v) = v
                        && secret::is_secret_name(&k)
                        && secret::is_literal_value(&v)
                    {
                        cx.add_masked(
                            &catalog::SECRET_NAMED_VAR,
                            format!("ENV `{k}` holds a secret value"),
                            catalog::SECRET_NAMED_VAR.severity,
                            ins,
                            &[&v],
                        );
                    }
                }
            }
            "EXPOSE" => {
                for w in text.split_whitespace() {
                    match crate::checks::ports(w) {
                        Some(ps) if ps.iter().any(|&p| p > 65535) => cx.add(
                            &catalog::PORT_RANGE,
                            format!("port `{w}` is outside 0-65535"),
                            catalog::PORT_RANGE.severity,
                            ins,
                        ),
                        Some(ps)
                            if ps.first().is_some_and(|&a| {
                                a <= 22 && ps.last().is_some_and(|&b| b >= 22)
                            }) =>
                        {
                            cx.add(
                                &catalog::SSH_PORT,
                                format!("port `{w}` (SSH) is exposed"),
                                catalog::SSH_PORT.severity,
                                ins,
                            )
                        }
                        _ => {}
                    }
                }
            }
            "VOLUME" | "WORKDIR" => {
                let paths = match &ins.args {
                    Args::Json(w) => w.clone(),
                    Args::Shell(_) if ins.keyword == "WORKDIR" => vec![text.trim().to_string()],
                    Args::Shell(s) => s.split_whitespace().map(str::to_string).collect(),
                };
                for p in &paths {
                    if crate::checks::is_system_dir(p) {
                        cx.add(
                            &catalog::SYSTEM_DIR,
                            format!("{} on `{p}`", ins.keyword),
                            catalog::SYSTEM_DIR.severity,
                            ins,
                        );
                    }
                    if ins.keyword == "WORKDIR"
                        && !p.starts_with('/')
                        && !p.starts_with('$')
                        && !is_windows_absolute(p)
                    {
                        cx.add(
                            &catalog::RELATIVE_WORKDIR,
                            format!("WORKDIR `{p}` is relative"),
                            catalog::RELATIVE_WORKDIR.severity,
                            ins,
                        );
                    }
                }
            }
            "ADD" => {
                let srcs = sources(ins);
                if ins.flag("checksum").is_none()
                    && let Some(url) = srcs.iter().find(|s| is_remote(s))
                {
                    cx.add(
                        &catalog::ADD_URL,
                        format!("ADD downloads `{}` unverified", cut(url, 80)),
                        catalog::ADD_URL.severity,
                        ins,
                    );
                }
                credential_copy(cx, ins, &srcs);
            }
            "COPY" => {
                if let Some(Some(from)) = ins.flag("from") {
                    let from_l = from.to_ascii_lowercase();
                    if stage.name.as_deref() == Some(from_l.as_str())
                        || from.parse::<usize>().ok() == Some(stage.index)
                    {
                        cx.add(
                            &catalog::COPY_FROM_SELF,
                            format!("COPY --from=`{from}` copies from its own stage"),
                            catalog::COPY_FROM_SELF.severity,
                            ins,
                        );
                    }
                }
                let srcs = sources(ins);
                credential_copy(cx, ins, &srcs);
            }
            "RUN" => run_checks(cx, ins),
            _ => {}
        }
        // Token formats anywhere in the instruction (ENV values, RUN lines, LABELs, heredocs).
        let full = format!("{}\n{}", ins.display(), ins.command_text());
        for hit in secret::scan(&full) {
            cx.add(
                &catalog::SECRET_IN_CONFIG,
                format!("{} in the Dockerfile ({})", hit.title, hit.masked),
                hit.severity,
                &masked_instruction(ins),
            );
        }
    }
    for (kw, list) in counts {
        if list.len() > 1 {
            for ins in &list[..list.len() - 1] {
                cx.add(
                    &catalog::DUPLICATE_RUNTIME,
                    format!("{kw} is overridden by a later {kw} in the same stage"),
                    catalog::DUPLICATE_RUNTIME.severity,
                    ins,
                );
            }
        }
    }
}

/// An instruction with every token-format match in its text masked, for evidence.
fn masked_instruction(ins: &Instruction) -> Instruction {
    let mut m = ins.clone();
    let scrub = |s: &str| -> String {
        let mut out = s.to_string();
        for w in s.split(|c: char| c.is_whitespace() || matches!(c, '=' | '"' | '\'' | ',')) {
            if w.len() >= 8 && !secret::scan(w).is_empty() {
                out = out.replace(w, &mask(w));
            }
        }
        out
    };
    m.args = match &ins.args {
        Args::Json(w) => Args::Json(w.iter().map(|s| scrub(s)).collect()),
        Args::Shell(s) => Args::Shell(scrub(s)),
    };
    m.heredocs.clear();
    m
}

fn run_checks(cx: &mut Ctx, ins: &Instruction) {
    let cmd = ins.command_text();
    let facts = shell::analyse(&cmd);
    if facts.pipe_to_shell {
        cx.add(
            &catalog::CURL_PIPE_SH,
            "a downloaded script is piped into a shell".into(),
            catalog::CURL_PIPE_SH.severity,
            ins,
        );
    }
    if facts.sudo {
        cx.add(
            &catalog::SUDO,
            "sudo is installed or used".into(),
            catalog::SUDO.severity,
            ins,
        );
    }
    for m in facts.update_alone {
        cx.add(
            &catalog::UPDATE_ALONE,
            format!("`{m} update` without an install in the same RUN"),
            catalog::UPDATE_ALONE.severity,
            ins,
        );
    }
    for m in facts.cache_left {
        cx.add(
            &catalog::CACHE_LEFT,
            format!("{m} cache is left in the layer"),
            catalog::CACHE_LEFT.severity,
            ins,
        );
    }
}

fn final_stage_checks(cx: &mut Ctx, df: &Dockerfile, last: &Stage) {
    // The effective USER and HEALTHCHECK of the final image: the last ones along the chain
    // of stages it is built on.
    let chain = df.ancestry(last);
    let find = |kw: &str| {
        chain
            .iter()
            .find_map(|s| s.instructions.iter().rev().find(|i| i.keyword == kw))
    };
    match find("USER") {
        Some(u) if crate::checks::is_root_user(&u.args.text()) => cx.add(
            &catalog::ROOT_USER,
            format!("the final USER `{}` is root", u.args.text().trim()),
            catalog::ROOT_USER.severity,
            u,
        ),
        Some(_) => {}
        None => {
            let root_base = chain.last().map_or(last, |s| *s);
            if !root_base.base.eq_ignore_ascii_case("scratch") || chain.len() > 1 {
                cx.add(
                    &catalog::ROOT_USER,
                    "no USER in the final stage: runs as the base image's user (root unless the base sets one)".into(),
                    catalog::ROOT_USER.severity,
                    &last.from,
                );
            } else {
                cx.add(
                    &catalog::ROOT_USER,
                    "no USER in a FROM scratch image: runs as root".into(),
                    catalog::ROOT_USER.severity,
                    &last.from,
                );
            }
        }
    }
    if find("HEALTHCHECK").is_none() {
        cx.add(
            &catalog::NO_HEALTHCHECK,
            "no HEALTHCHECK in the final stage".into(),
            catalog::NO_HEALTHCHECK.severity,
            &last.from,
        );
    }
}

/// COPY/ADD sources (all words but the last).
fn sources(ins: &Instruction) -> Vec<String> {
    let words = copy_words(ins);
    let n = words.len().saturating_sub(1);
    words.into_iter().take(n).collect()
}

fn copy_words(ins: &Instruction) -> Vec<String> {
    match &ins.args {
        Args::Json(w) => w.clone(),
        Args::Shell(s) => s.split_whitespace().map(str::to_string).collect(),
    }
}

fn is_remote(src: &str) -> bool {
    let l = src.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("git@")
}

fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// COPY/ADD of a file named like a credential (a private key, `.aws/credentials`, `.env`…).
fn credential_copy(cx: &mut Ctx, ins: &Instruction, srcs: &[String]) {
    // The destination names the file in the image: `COPY key /root/.ssh/id_rsa`.
    let words = copy_words(ins);
    let dest = words.last().filter(|_| words.len() > 1);
    let mut names: Vec<String> = srcs.to_vec();
    if let Some(d) = dest {
        for s in srcs {
            names.push(if d.ends_with('/') {
                format!("{d}{}", s.rsplit('/').next().unwrap_or(s))
            } else {
                d.clone()
            });
        }
    }
    let mut reported = false;
    for s in &names {
        if reported {
            break;
        }
        if let Some(kind) = crate::checks::files::credential_kind(s.trim_start_matches("./")) {
            reported = true;
            cx.add(
                &catalog::CREDENTIAL_FILE,
                format!("{kind} `{s}` is copied into the image"),
                catalog::CREDENTIAL_FILE.severity,
                ins,
            );
        }
    }
}

//! A Dockerfile parser: parser directives (`escape`), line continuations, comments inside
//! continued instructions, heredocs (`<<EOF`, `<<-EOF`, quoted delimiters, several per
//! instruction), JSON and shell forms, flags (`--from=…`), `ARG` before the first `FROM`
//! and multi-stage builds.
//!
//! Written from the Dockerfile reference, not from another parser. It never panics on bad
//! input: what it cannot make sense of becomes a [`ParseWarning`] or a [`ParseError`].

mod lex;
mod vars;

use std::fmt;

pub use vars::expand;

/// Largest Dockerfile read (bytes). Real ones are a few KiB.
pub const MAX_SIZE: usize = 32 << 20;

/// Why a Dockerfile could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("line {line}: heredoc `<<{delimiter}` is never terminated")]
    UnterminatedHeredoc { line: usize, delimiter: String },
    #[error("not a text file (a NUL byte at offset {offset})")]
    Binary { offset: usize },
    #[error("{size} bytes is larger than the {max}-byte limit for a Dockerfile")]
    TooLarge { size: usize, max: usize },
    #[error("no instructions")]
    Empty,
}

/// Something odd that did not stop the parse.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseWarning {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The arguments of an instruction, in the form they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// `["executable", "arg"]`
    Json(Vec<String>),
    /// Everything after the keyword and flags, continuations joined with no separator (as the
    /// builder does), heredoc bodies not included.
    Shell(String),
}

impl Args {
    /// The arguments as one string (JSON words joined by spaces).
    pub fn text(&self) -> String {
        match self {
            Args::Json(words) => words.join(" "),
            Args::Shell(s) => s.clone(),
        }
    }
}

/// A heredoc body attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    /// Whether the delimiter was quoted (no variable expansion in the body).
    pub quoted: bool,
    pub body: String,
    /// The line of the first body line.
    pub line: usize,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`, `FROM`, …).
    pub keyword: String,
    /// `--name=value` (or bare `--name`) flags before the arguments.
    pub flags: Vec<(String, Option<String>)>,
    pub args: Args,
    pub heredocs: Vec<Heredoc>,
    /// First and last physical line (1-based), heredocs included.
    pub line: usize,
    pub end_line: usize,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<Option<&str>> {
        self.flags
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The command text a shell would run: the shell form plus heredoc bodies
    /// (`RUN <<EOF … EOF`), or the JSON words joined.
    pub fn command_text(&self) -> String {
        let mut s = self.args.text();
        for h in &self.heredocs {
            s.push('\n');
            s.push_str(&h.body);
        }
        s
    }

    /// The instruction as written on one line, for evidence.
    pub fn display(&self) -> String {
        let mut s = self.keyword.clone();
        for (n, v) in &self.flags {
            s.push_str(" --");
            s.push_str(n);
            if let Some(v) = v {
                s.push('=');
                s.push_str(v);
            }
        }
        match &self.args {
            Args::Json(w) => {
                s.push(' ');
                s.push_str(&serde_json::to_string(w).unwrap_or_default());
            }
            Args::Shell(t) if !t.is_empty() => {
                s.push(' ');
                s.push_str(t);
            }
            Args::Shell(_) => {}
        }
        s
    }
}

/// One `FROM` and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased (stage names are case-insensitive).
    pub name: Option<String>,
    /// The base as written.
    pub base_raw: String,
    /// The base with global `ARG` defaults substituted.
    pub base: String,
    pub from: Instruction,
    pub instructions: Vec<Instruction>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub escape: char,
    /// `ARG`s before the first `FROM`.
    pub global_args: Vec<Instruction>,
    pub stages: Vec<Stage>,
    pub warnings: Vec<ParseWarning>,
}

impl Dockerfile {
    /// Parses Dockerfile bytes.
    pub fn parse(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
        if bytes.len() > MAX_SIZE {
            return Err(ParseError::TooLarge {
                size: bytes.len(),
                max: MAX_SIZE,
            });
        }
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(ParseError::Binary { offset });
        }
        let mut warnings = Vec::new();
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(e) => {
                warnings.push(ParseWarning {
                    line: 1 + bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count(),
                    message: "invalid UTF-8; replaced with U+FFFD".into(),
                });
                String::from_utf8_lossy(bytes)
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let lexed = lex::lex(text, &mut warnings)?;
        build(lexed, warnings)
    }

    /// The last stage (the image that is built without `--target`).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage a `FROM` or `COPY --from` name refers to, if it is a stage of this file.
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        let lower = name.to_ascii_lowercase();
        self.stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| name.parse::<usize>().ok().and_then(|i| self.stages.get(i)))
    }

    /// The chain of stages the final image is built on, the final one first.
    pub fn ancestry<'a>(&'a self, stage: &'a Stage) -> Vec<&'a Stage> {
        let mut out = vec![];
        let mut cur = Some(stage);
        while let Some(s) = cur {
            if out.iter().any(|o: &&Stage| o.index == s.index) || out.len() > self.stages.len() {
                break;
            }
            out.push(s);
            cur = self.stage_named(&s.base).filter(|p| p.index < s.index);
        }
        out
    }
}

fn build(lexed: lex::Lexed, mut warnings: Vec<ParseWarning>) -> Result<Dockerfile, ParseError> {
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut defaults: Vec<(String, String)> = Vec::new();
    for ins in lexed.instructions {
        if ins.keyword == "FROM" {
            let text = ins.args.text();
            let words: Vec<&str> = text.split_whitespace().collect();
            let (base_raw, name) = match words.as_slice() {
                [b] => (b.to_string(), None),
                [b, as_kw, n] if as_kw.eq_ignore_ascii_case("as") => {
                    (b.to_string(), Some(n.to_ascii_lowercase()))
                }
                [] => {
                    warnings.push(ParseWarning {
                        line: ins.line,
                        message: "FROM without an image".into(),
                    });
                    (String::new(), None)
                }
                [b, ..] => {
                    warnings.push(ParseWarning {
                        line: ins.line,
                        message: format!("unexpected words after the image in `FROM {text}`"),
                    });
                    (b.to_string(), None)
                }
            };
            let base = expand(&base_raw, &|k| {
                defaults
                    .iter()
                    .rev()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
            });
            stages.push(Stage {
                index: stages.len(),
                name,
                base_raw,
                base,
                from: ins,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(ins);
        } else if ins.keyword == "ARG" {
            for (k, v) in pairs(&ins.args.text(), false) {
                if let Some(v) = v {
                    defaults.push((k, v));
                }
            }
            global_args.push(ins);
        } else {
            warnings.push(ParseWarning {
                line: ins.line,
                message: format!("`{}` before the first FROM", ins.keyword),
            });
        }
    }
    if stages.is_empty() && global_args.is_empty() {
        return Err(ParseError::Empty);
    }
    if stages.is_empty() {
        warnings.push(ParseWarning {
            line: 1,
            message: "no FROM instruction".into(),
        });
    }
    Ok(Dockerfile {
        escape: lexed.escape,
        global_args,
        stages,
        warnings,
    })
}

/// `ARG` (`legacy_env` false) or `ENV` (true: the legacy `ENV key value with spaces` form
/// too) `name=value` pairs, with quotes removed from values.
pub fn pairs(text: &str, legacy_env: bool) -> Vec<(String, Option<String>)> {
    let words = vars::split_words(text);
    let mut out = Vec::new();
    if legacy_env
        && let Some(first) = words.first()
        && !first.contains('=')
        && words.len() > 1
    {
        let rest = text.trim_start()[first.len()..].trim().to_string();
        return vec![(first.clone(), Some(vars::unquote(&rest)))];
    }
    for w in words {
        match w.split_once('=') {
            Some((k, v)) => out.push((k.to_string(), Some(vars::unquote(v)))),
            None => out.push((w.to_string(), None)),
        }
    }
    out
}

#[cfg(test)]
mod tests;

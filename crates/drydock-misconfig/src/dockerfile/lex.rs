//! Physical lines → instructions: directives, continuations, comments, heredocs, flags, forms.

use super::{Args, Heredoc, Instruction, ParseError, ParseWarning};

pub(super) struct Lexed {
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

/// Instructions whose arguments may open heredocs.
const HEREDOC_KEYWORDS: &[&str] = &["RUN", "COPY", "ADD"];
/// Instructions that take `--flag` words before their arguments.
const FLAG_KEYWORDS: &[&str] = &["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"];
/// Instructions with a JSON (exec) form.
const JSON_KEYWORDS: &[&str] = &["RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "COPY", "ADD"];

pub(super) fn lex(text: &str, warnings: &mut Vec<ParseWarning>) -> Result<Lexed, ParseError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let (escape, mut i) = directives(&lines, warnings);
    let mut instructions = Vec::new();
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let (logical, next) = continued(&lines, i, escape, warnings);
        i = next;
        let (keyword, rest) = split_keyword(&logical);
        let keyword = keyword.to_ascii_uppercase();
        if !keyword.chars().all(|c| c.is_ascii_alphabetic()) {
            warnings.push(ParseWarning {
                line: start + 1,
                message: format!(
                    "`{}` is not an instruction; line skipped",
                    crate::finding::cut(&keyword, 40)
                ),
            });
            continue;
        }
        let (flags, rest) = if FLAG_KEYWORDS.contains(&keyword.as_str()) {
            split_flags(rest)
        } else {
            (Vec::new(), rest)
        };
        let mut heredocs = Vec::new();
        if HEREDOC_KEYWORDS.contains(&keyword.as_str()) {
            for (delimiter, strip_tabs, quoted) in heredoc_markers(rest) {
                let body_line = i + 1;
                let mut body = String::new();
                let mut found = false;
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    let cmp = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if cmp == delimiter {
                        found = true;
                        break;
                    }
                    body.push_str(cmp);
                    body.push('\n');
                }
                if !found {
                    return Err(ParseError::UnterminatedHeredoc {
                        line: start + 1,
                        delimiter,
                    });
                }
                heredocs.push(Heredoc {
                    delimiter,
                    quoted,
                    body,
                    line: body_line,
                });
            }
        }
        let rest = rest.trim();
        let args = if JSON_KEYWORDS.contains(&keyword.as_str()) && rest.starts_with('[') {
            match serde_json::from_str::<Vec<String>>(rest) {
                Ok(words) => Args::Json(words),
                Err(_) => Args::Shell(rest.to_string()),
            }
        } else {
            Args::Shell(rest.to_string())
        };
        instructions.push(Instruction {
            keyword,
            flags,
            args,
            heredocs,
            line: start + 1,
            end_line: i.max(start + 1),
        });
    }
    Ok(Lexed {
        escape,
        instructions,
    })
}

/// Reads parser directives (`# escape=…`) at the top; returns the escape character and the
/// first line after them.
fn directives(lines: &[&str], warnings: &mut Vec<ParseWarning>) -> (char, usize) {
    let mut escape = '\\';
    let mut seen_escape = false;
    let mut i = 0;
    while i < lines.len() {
        let Some(body) = lines[i].trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = body.split_once('=') else {
            break;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("escape") {
            if seen_escape {
                warnings.push(ParseWarning {
                    line: i + 1,
                    message: "repeated `escape` directive ignored".into(),
                });
            } else {
                seen_escape = true;
                match value {
                    "\\" => escape = '\\',
                    "`" => escape = '`',
                    other => warnings.push(ParseWarning {
                        line: i + 1,
                        message: format!(
                            "invalid escape character `{}` (only `\\` or `` ` ``); using `\\`",
                            crate::finding::cut(other, 20)
                        ),
                    }),
                }
            }
        }
        i += 1;
    }
    (escape, i)
}

/// Joins a line and its continuations (comment lines inside are dropped, as the builder
/// does). Returns the logical line and the index after its last physical line.
fn continued(
    lines: &[&str],
    start: usize,
    escape: char,
    warnings: &mut Vec<ParseWarning>,
) -> (String, usize) {
    let mut out = String::new();
    let mut i = start;
    loop {
        let line = lines[i];
        i += 1;
        let body = line.trim_end_matches([' ', '\t']);
        match body.strip_suffix(escape) {
            Some(head) => {
                out.push_str(head);
                // Skip comment lines and (deprecated) empty lines inside the instruction.
                while i < lines.len() {
                    let t = lines[i].trim();
                    if t.starts_with('#') || t.is_empty() {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i >= lines.len() {
                    warnings.push(ParseWarning {
                        line: start + 1,
                        message: "line continuation runs to the end of the file".into(),
                    });
                    return (out, i);
                }
            }
            None => {
                out.push_str(line);
                return (out, i);
            }
        }
    }
}

fn split_keyword(logical: &str) -> (&str, &str) {
    let s = logical.trim_start();
    match s.find(char::is_whitespace) {
        Some(p) => (&s[..p], &s[p..]),
        None => (s, ""),
    }
}

fn split_flags(mut rest: &str) -> (Vec<(String, Option<String>)>, &str) {
    let mut flags = Vec::new();
    loop {
        let s = rest.trim_start();
        let Some(body) = s.strip_prefix("--") else {
            return (flags, s);
        };
        if body.is_empty() || body.starts_with(char::is_whitespace) {
            return (flags, s);
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        match word.split_once('=') {
            Some((n, v)) => flags.push((n.to_string(), Some(v.to_string()))),
            None => flags.push((word.to_string(), None)),
        }
        rest = &body[end..];
    }
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers in order: (delimiter, strip tabs, quoted).
fn heredoc_markers(args: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    let b = args.as_bytes();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'<' && b[i + 1] == b'<' && (i == 0 || b[i - 1] != b'<') {
            let mut j = i + 2;
            if j < b.len() && b[j] == b'<' {
                i += 3; // `<<<` is a here-string, not a heredoc
                continue;
            }
            let strip = j < b.len() && b[j] == b'-';
            if strip {
                j += 1;
            }
            let quote = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let name_start = j;
            while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            let name = &args[name_start..j];
            let closed = match quote {
                Some(q) => b.get(j) == Some(&q),
                None => true,
            };
            if !name.is_empty() && closed && !name.starts_with(|c: char| c.is_ascii_digit()) {
                out.push((name.to_string(), strip, quote.is_some()));
                i = j + usize::from(quote.is_some());
                continue;
            }
        }
        i += 1;
    }
    out
}

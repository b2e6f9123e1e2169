//! Words, quotes and `$VAR` substitution, as the Dockerfile reference describes them for
//! `FROM`, `ARG`, `ENV` and friends.

/// Splits on unquoted whitespace; quotes stay in the words (see [`unquote`]).
pub fn split_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (_, '\\') => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Removes quotes and backslash escapes from a word.
pub fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => out.push(c),
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

/// Substitutes `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}` and
/// `${NAME:+alt}` using `lookup`; unknown names become empty (as in the builder), `\$` stays a
/// literal `$`. Substituted values are not expanded again, so nothing loops.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\\' {
            if let Some(&(_, '$')) = chars.peek() {
                out.push('$');
                chars.next();
            } else {
                out.push('\\');
            }
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().map(|&(_, n)| n) {
            Some('{') => {
                chars.next();
                let mut inner = String::new();
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    inner.push(n);
                }
                if !closed {
                    out.push_str("${");
                    out.push_str(&inner);
                    continue;
                }
                out.push_str(&braced(&inner, lookup));
            }
            Some(n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut name = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n == '_' || n.is_ascii_alphanumeric() {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&lookup(&name).unwrap_or_default());
            }
            _ => out.push('$'),
        }
    }
    out
}

fn braced(inner: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    for (op, colon) in [(":-", true), (":+", true), ("-", false), ("+", false)] {
        if let Some((name, word)) = inner.split_once(op) {
            let v = lookup(name);
            let set = match (&v, colon) {
                (Some(v), true) => !v.is_empty(),
                (Some(_), false) => true,
                (None, _) => false,
            };
            return if op.ends_with('-') {
                if set {
                    v.unwrap_or_default()
                } else {
                    word.to_string()
                }
            } else if set {
                word.to_string()
            } else {
                String::new()
            };
        }
    }
    lookup(inner).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "TAG" => Some("3.19".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_the_forms() {
        assert_eq!(expand("alpine:$TAG", &env), "alpine:3.19");
        assert_eq!(expand("alpine:${TAG}", &env), "alpine:3.19");
        assert_eq!(expand("a:${NOPE:-latest}", &env), "a:latest");
        assert_eq!(expand("a:${EMPTY:-x}", &env), "a:x");
        assert_eq!(expand("a:${EMPTY-x}", &env), "a:");
        assert_eq!(expand("a:${TAG:+set}", &env), "a:set");
        assert_eq!(expand("a:${NOPE:+set}", &env), "a:");
        assert_eq!(expand(r"\$TAG", &env), "$TAG");
        assert_eq!(expand("${unclosed", &env), "${unclosed");
        assert_eq!(expand("$", &env), "$");
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(split_words(r#"A="x y" B=z"#), vec![r#"A="x y""#, "B=z"]);
        assert_eq!(unquote(r#""x y""#), "x y");
        assert_eq!(unquote(r"a\ b"), "a b");
        assert_eq!(unquote("'a\\b'"), "a\\b");
    }
}

//! Escaping for the text formats: advisory titles and descriptions come from feeds, so every
//! writer treats them as untrusted text.

/// HTML text and attribute values (`&`, `<`, `>`, `"`, `'`); control characters other than
/// newline and tab become a space. The one HTML escaper of drydock's reports and of the
/// `drydock publish` site ([`crate::escape_html`]).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0 text and attribute values: the five entities, and characters XML 1.0 cannot carry
/// at all (most C0 controls) replaced with a space; newlines in attributes as `&#10;`.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a Markdown table cell: one line, no pipes, no inline markup or HTML.
pub(crate) fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            // Other controls and bidi overrides shown as `\u{202e}`, the backslash escaped.
            c if drydock_package::text::is_unsafe(c) => {
                for e in c.escape_default() {
                    if e == '\\' {
                        out.push('\\');
                    }
                    out.push(e);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A URL fit for a link target: `http`/`https` only (no `javascript:`), with characters that
/// would end a Markdown link or an HTML attribute percent-encoded.
pub(crate) fn link_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for b in url.trim().bytes() {
        match b {
            b'(' | b')' | b' ' | b'<' | b'>' | b'"' | b'\'' | b'`' | b'\\' | b'|' | b'[' | b']' => {
                out.push_str(&format!("%{b:02X}"))
            }
            b if b < 0x20 || b == 0x7f => {}
            b if b >= 0x80 => out.push_str(&format!("%{b:02X}")),
            b => out.push(b as char),
        }
    }
    Some(out)
}

/// A relative URI reference for a path inside an image (`usr/lib/x y` → `usr/lib/x%20y`).
pub(crate) fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A CSV cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first)
/// gets a leading `'`, as OWASP advises against CSV injection.
pub(crate) fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn xml_drops_illegal_controls() {
        assert_eq!(xml("a\u{1}b<\"c\">\n"), "a b&lt;&quot;c&quot;&gt;&#10;");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(
            markdown_cell("a|b\nc [x](y) <b>"),
            "a\\|b c \\[x\\](y) &lt;b&gt;"
        );
        // Issue 14 case 13: escapes and bidi overrides are shown, not obeyed.
        assert_eq!(
            markdown_cell("a\u{1b}[31mb\r\u{202e}c"),
            "a\\\\u{1b}\\[31mb \\\\u{202e}c"
        );
    }

    #[test]
    fn links_are_http_only() {
        assert_eq!(link_url("javascript:alert(1)"), None);
        assert_eq!(
            link_url("https://example.org/a b)é").as_deref(),
            Some("https://example.org/a%20b%29%C3%A9")
        );
    }

    #[test]
    fn uri_paths_are_encoded() {
        assert_eq!(uri_path("/usr/lib/x y#z"), "usr/lib/x%20y%23z");
        assert_eq!(
            uri_path("usr/share/doc/libstdc++6"),
            "usr/share/doc/libstdc++6"
        );
    }

    #[test]
    fn csv_formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("musl"), "musl");
    }
}

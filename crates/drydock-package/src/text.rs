//! Showing strings that came from an image, a database, a feed, a store or a forge: a tag, a path or a package
//! name is attacker-chosen, and printed raw it can rewrite the terminal (`\e]0;…\a`, `\e[2J`),
//! hide text behind bidirectional overrides, or fill a log with one 22 MB line.
//!
//! [`shown`] escapes every control and bidi-override character (as `\u{1b}`, `\n`) and cuts the
//! value after [`MAX_SHOWN`] characters, saying how much was cut. Apply it to everything from
//! the input before it reaches stderr, a table or a log. This is the one escaper of drydock:
//! `drydock_image::text` re-exports it, and every terminal writer (the table report, errors,
//! fleet progress and diffs, history) calls it.
//!
//! ```
//! use drydock_package::text::shown;
//! assert_eq!(shown("app:1\u{1b}]0;pwned\u{7}"), "app:1\\u{1b}]0;pwned\\u{7}");
//! assert!(shown(&"x".repeat(10_000)).ends_with("…(9744 more bytes)"));
//! ```

use std::borrow::Cow;

/// Characters [`shown`] keeps of one value.
pub const MAX_SHOWN: usize = 256;

/// Whether `c` changes how a terminal shows what follows it: a control character (C0, DEL,
/// C1) or a bidirectional mark, embedding, override or isolate.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` escaped and cut at [`MAX_SHOWN`] characters; borrowed when nothing needed changing.
pub fn shown(s: &str) -> Cow<'_, str> {
    shown_max(s, MAX_SHOWN)
}

/// [`shown`] with another length bound, in characters.
pub fn shown_max(s: &str, max_chars: usize) -> Cow<'_, str> {
    let cut = s.char_indices().nth(max_chars).map(|(i, _)| i);
    if cut.is_none() && !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let head = &s[..cut.unwrap_or(s.len())];
    let mut out = String::with_capacity(head.len() + 16);
    for c in head.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if let Some(i) = cut {
        out.push_str(&format!("…({} more bytes)", s.len() - i));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 case 13: a tag carrying terminal escapes was printed as is.
    #[test]
    fn issue14_escapes_and_cuts() {
        assert!(matches!(shown("usr/lib/os-release"), Cow::Borrowed(_)));
        assert_eq!(shown("a\u{1b}[2Jb\nc\u{9b}d"), "a\\u{1b}[2Jb\\nc\\u{9b}d");
        assert_eq!(shown("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        let long = "é".repeat(300);
        let s = shown(&long);
        assert!(s.starts_with(&"é".repeat(MAX_SHOWN)));
        assert!(s.ends_with("…(88 more bytes)"), "{s}");
        assert!(!shown(&"\u{1b}".repeat(10_000)).contains('\u{1b}'));
    }
}

//! Text from images, feeds and stores made safe for a terminal.

/// `s` with control characters escaped (`\u{1b}` for ESC) and cut to `max` characters.
pub fn escape(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 8));
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_cuts() {
        assert_eq!(
            super::escape("a\u{1b}]0;x\u{7}b", 100),
            "a\\u{1b}]0;x\\u{7}b"
        );
        assert_eq!(super::escape("abcdef", 3), "abc…");
    }
}

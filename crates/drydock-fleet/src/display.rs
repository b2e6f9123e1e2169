//! Text from images, feeds and stores made safe for a terminal: a thin name for
//! [`drydock_package::text::shown_max`], drydock's one escaper (control characters and
//! bidirectional overrides escaped as `\u{1b}`, long values cut, saying how much).

/// `s` escaped and cut to `max` characters.
pub fn escape(s: &str, max: usize) -> String {
    drydock_package::text::shown_max(s, max).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_cuts() {
        assert_eq!(
            super::escape("a\u{1b}]0;x\u{7}b\u{202e}", 100),
            "a\\u{1b}]0;x\\u{7}b\\u{202e}"
        );
        assert_eq!(super::escape("abcdef", 3), "abc…(3 more bytes)");
    }
}

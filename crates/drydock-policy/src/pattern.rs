//! Matching ignore-entry and VEX patterns against findings: globs, path prefixes, purls.

/// `*` matches any run of characters (`/` included), `?` one character. A pattern without
/// either matches the text exactly, or — with `prefix` — any path below it
/// (`usr/lib` matches `usr/lib/x.so`).
pub(crate) fn glob(pattern: &str, text: &str, prefix: bool) -> bool {
    if !pattern.contains(['*', '?']) {
        let pattern = if prefix {
            pattern.trim_end_matches('/')
        } else {
            pattern
        };
        return text == pattern
            || (prefix
                && text
                    .strip_prefix(pattern)
                    .is_some_and(|rest| rest.starts_with('/')));
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative wildcard matching with one backtrack point.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A path pattern against a location path; leading `/` ignored on both.
pub(crate) fn path(pattern: &str, path: &str) -> bool {
    glob(
        pattern.trim_start_matches('/'),
        path.trim_start_matches('/'),
        true,
    )
}

fn strip_qualifiers(purl: &str) -> &str {
    purl.split(['?', '#']).next().unwrap_or(purl)
}

/// A purl pattern against a finding's purl. Qualifiers and subpath are not compared; a pattern
/// without a version matches every version (`pkg:deb/debian/libssl1.1` matches
/// `pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4?arch=amd64&distro=debian-11`).
pub(crate) fn purl(pattern: &str, purl: &str) -> bool {
    let (p, t) = (strip_qualifiers(pattern.trim()), strip_qualifiers(purl));
    if p.contains('@') {
        return p == t;
    }
    t.split('@').next() == Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_prefixes() {
        assert!(glob("musl*", "musl-utils", false));
        assert!(glob("musl", "musl", false));
        assert!(!glob("musl", "musl-utils", false));
        assert!(!glob("lib?ssl*", "libssl3", false));
        assert!(glob("lib*ssl*", "libssl3", false));
        assert!(path("usr/lib", "usr/lib/python3/x.py"));
        assert!(path("/usr/lib/", "usr/lib/python3/x.py"));
        assert!(!path("usr/li", "usr/lib/python3/x.py"));
        assert!(path(
            "**/site-packages/*",
            "usr/lib/python3/site-packages/a/METADATA"
        ));
        assert!(!path("*.jar", "app/lib/a.war"));
    }

    #[test]
    fn purls() {
        let t = "pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4?arch=amd64&distro=debian-11";
        assert!(purl("pkg:deb/debian/libssl1.1", t));
        assert!(purl("pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4", t));
        assert!(!purl("pkg:deb/debian/libssl1.1@1.1.1n-0", t));
        assert!(!purl("pkg:deb/debian/libssl", t));
    }
}

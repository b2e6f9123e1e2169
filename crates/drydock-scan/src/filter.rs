//! What to leave out of an inventory before matching: Trivy's `--skip-dirs`, `--skip-files`
//! and `--pkg-types` (`--vuln-type`).
//!
//! Globs match as Trivy matches them (Go's `filepath.Match` plus `**`): `*` and `?` stay within
//! one path segment, `**` spans any number of segments, `[…]` is a character class. Paths are
//! compared relative to the target's root, so `/usr/lib`, `./usr/lib` and `usr/lib` are the
//! same pattern. A directory pattern leaves out everything under a matching directory; a file
//! pattern the matching files. A package is left out when every place it was found is; a
//! package also found elsewhere keeps its other locations.

use drydock_package::{Inventory, Package};

/// Which package kinds to match (`--pkg-types os,library`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PkgTypes {
    pub os: bool,
    pub library: bool,
}

impl Default for PkgTypes {
    fn default() -> Self {
        PkgTypes {
            os: true,
            library: true,
        }
    }
}

impl PkgTypes {
    /// Parses Trivy's list: `os`, `library` (comma-separated, repeatable).
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<PkgTypes, String> {
        if values.is_empty() {
            return Ok(PkgTypes::default());
        }
        let mut t = PkgTypes {
            os: false,
            library: false,
        };
        for v in values.iter().flat_map(|v| v.as_ref().split(',')) {
            match v.trim().to_ascii_lowercase().as_str() {
                "os" => t.os = true,
                "library" => t.library = true,
                "" => {}
                other => {
                    return Err(format!(
                        "unknown package type `{other}` (expected `os` or `library`)"
                    ));
                }
            }
        }
        Ok(t)
    }

    fn keeps(&self, p: &Package) -> bool {
        if p.ecosystem.is_os() {
            self.os
        } else {
            self.library
        }
    }
}

/// Paths to leave out (`--skip-dirs`, `--skip-files`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipPaths {
    dirs: Vec<String>,
    files: Vec<String>,
}

impl SkipPaths {
    /// From the flags' values (each may be comma-separated, as Trivy allows).
    pub fn new<S: AsRef<str>>(dirs: &[S], files: &[S]) -> SkipPaths {
        let split = |v: &[S]| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.as_ref().split(','))
                .map(normalize)
                .filter(|s| !s.is_empty())
                .collect()
        };
        SkipPaths {
            dirs: split(dirs),
            files: split(files),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty() && self.files.is_empty()
    }

    /// Whether `path` (relative to the target's root) is left out.
    pub fn skips(&self, path: &str) -> bool {
        let path = normalize(path);
        if self.files.iter().any(|g| glob(g, &path)) {
            return true;
        }
        // Every directory above the file: `a/b/c.txt` is under `a` and `a/b`.
        let segments: Vec<&str> = path.split('/').collect();
        (1..segments.len()).any(|n| {
            let dir = segments[..n].join("/");
            self.dirs.iter().any(|g| glob(g, &dir))
        })
    }
}

/// `./a/b/`, `/a/b` → `a/b`.
fn normalize(p: impl AsRef<str>) -> String {
    let p = p.as_ref().trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    p.trim_matches('/').to_string()
}

/// Leaves out of `inv` the package types not wanted and the packages (and warnings) found only
/// under skipped paths; returns how many packages went.
pub fn filter_inventory(inv: &mut Inventory, types: PkgTypes, skip: &SkipPaths) -> usize {
    let before = inv.packages.len();
    inv.packages.retain(|p| types.keeps(p));
    if !skip.is_empty() {
        inv.packages.retain_mut(|p| {
            if p.locations.is_empty() {
                return true;
            }
            p.locations.retain(|l| !skip.skips(&l.path));
            !p.locations.is_empty()
        });
        inv.warnings
            .retain(|w| w.path.is_empty() || !skip.skips(&w.path));
    }
    before - inv.packages.len()
}

/// Go's `filepath.Match` over `/`-separated paths, plus `**` for any number of segments.
pub fn glob(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|i| match_segments(rest, &segs[i..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, srest)) => {
                match_segment(p.as_bytes(), s.as_bytes()) && match_segments(rest, srest)
            }
            None => false,
        },
    }
}

/// One segment: `*` (any run), `?` (one character), `[abc]`, `[a-z]`, `[^…]`, `\x`.
fn match_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| match_segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && match_segment(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(close) = rest.iter().skip(1).position(|c| *c == b']').map(|i| i + 1) else {
                return s.first() == Some(&b'[') && match_segment(rest, &s[1..]);
            };
            let Some((&c, srest)) = s.split_first() else {
                return false;
            };
            let (negate, class) = match rest[..close].split_first() {
                Some((b'^' | b'!', cls)) => (true, cls),
                _ => (false, &rest[..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && match_segment(&rest[close + 1..], srest)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && match_segment(&rest[1..], &s[1..])
        }
        Some((c, rest)) => s.first() == Some(c) && match_segment(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_trivy_matches_them() {
        assert!(glob("usr/lib", "usr/lib"));
        assert!(glob("**/tests/fixtures", "crates/x/tests/fixtures"));
        assert!(glob("**/tests/fixtures", "tests/fixtures"));
        assert!(glob("crates/*/tests", "crates/x/tests"));
        assert!(!glob("crates/*/tests", "crates/x/y/tests"));
        assert!(glob("**/*.jar", "opt/app/lib/a.jar"));
        assert!(glob("app/requirements?.txt", "app/requirements2.txt"));
        assert!(glob("[a-c]pp", "bpp"));
        assert!(!glob("[^a-c]pp", "bpp"));
    }

    #[test]
    fn dirs_leave_out_everything_below() {
        let s = SkipPaths::new(&["/crates/**/tests/fixtures"], &["app/package-lock.json"]);
        assert!(s.skips("crates/drydock-inventory/tests/fixtures/npm/package-lock.json"));
        assert!(!s.skips("crates/drydock-inventory/Cargo.toml"));
        assert!(s.skips("./app/package-lock.json"));
        assert!(!s.skips("app/other/package-lock.json"));
    }
}

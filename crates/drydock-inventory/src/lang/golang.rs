//! Go modules in checkouts: `go.mod`. (Binaries: [`super::binary`].)
//!
//! Since Go 1.17 `go.mod` lists every module the build needs, indirect ones included, so it
//! is the whole list. `go.sum` is not read: it also holds checksums of modules that are not in
//! the build (the `go.mod` files of versions minimal version selection passed over), and
//! reading it would report packages that are not there.

use std::collections::BTreeMap;

use drydock_package::{Ecosystem, Package};

use super::excerpt;
use super::text_lockfile::TextLockfile;
use crate::AnalyzeError;

/// `go.mod`: `require` directives, with `replace` directives applied (a module replaced by a
/// local directory has no version and is left out).
pub(crate) const GO_MOD: TextLockfile = TextLockfile {
    name: "go-mod",
    is_named: |name| name == "go.mod",
    parse: parse_go_mod,
};

struct Replace {
    from_version: Option<String>,
    to: String,
    to_version: Option<String>,
}

fn parse_go_mod(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let mut requires: Vec<(String, String)> = Vec::new();
    let mut replaces: BTreeMap<String, Vec<Replace>> = BTreeMap::new();
    let mut block: Option<&str> = None;
    let mut saw_module = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split("//").next().unwrap_or(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (verb, args) = match block {
            Some(_) if line == ")" => {
                block = None;
                continue;
            }
            Some(verb) => (verb, line),
            None => {
                let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb);
                    continue;
                }
                (verb, rest)
            }
        };
        let words: Vec<&str> = args
            .split_whitespace()
            .map(|w| w.trim_matches('"'))
            .collect();
        let bad = |what: &str| AnalyzeError::AtLine {
            line: n,
            reason: format!("{what}: `{}`", excerpt(raw.trim())),
        };
        match verb {
            "module" => saw_module = true,
            "require" => match words.as_slice() {
                [path, version] => requires.push((path.to_string(), version.to_string())),
                _ => return Err(bad("expected `require PATH VERSION`")),
            },
            "replace" => {
                let arrow = words
                    .iter()
                    .position(|w| *w == "=>")
                    .ok_or_else(|| bad("`replace` without `=>`"))?;
                let (from, to) = words.split_at(arrow);
                let to = &to[1..];
                let (Some(from_path), Some(to_path)) = (from.first(), to.first()) else {
                    return Err(bad("expected `replace PATH [VERSION] => PATH [VERSION]`"));
                };
                replaces
                    .entry(from_path.to_string())
                    .or_default()
                    .push(Replace {
                        from_version: from.get(1).map(|v| v.to_string()),
                        to: to_path.to_string(),
                        to_version: to.get(1).map(|v| v.to_string()),
                    });
            }
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
            _ => return Err(bad("unknown directive")),
        }
    }
    if !saw_module {
        return Err(AnalyzeError::malformed("no `module` directive"));
    }
    let mut out = Vec::new();
    for (path, version) in requires {
        // A replacement for this exact version wins over one for every version.
        let rule = replaces.get(&path).and_then(|rules| {
            rules
                .iter()
                .find(|r| r.from_version.as_deref() == Some(version.as_str()))
                .or_else(|| rules.iter().find(|r| r.from_version.is_none()))
        });
        match rule {
            Some(Replace {
                to,
                to_version: Some(v),
                ..
            }) => out.push(Package::new(Ecosystem::Golang, to, v.clone())),
            Some(_) => {} // a local directory
            None => out.push(Package::new(Ecosystem::Golang, &path, version)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_and_replaces() {
        let m = "module example.com/x\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.7 // indirect\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.1.0\n)\n\nrequire github.com/e/f v2.0.0+incompatible\n\nreplace github.com/a/b => github.com/fork/b v1.0.1\nreplace (\n\tgithub.com/c/d v0.1.0 => ../d\n)\n";
        let p = parse_go_mod(m).expect("parses");
        let got: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                "golang.org/x/text@v0.3.7",
                "github.com/fork/b@v1.0.1",
                "github.com/e/f@v2.0.0+incompatible"
            ]
        );
    }

    #[test]
    fn malformed() {
        assert!(parse_go_mod("module x\nrequire a\n").is_err());
        assert!(parse_go_mod("require a v1\n").is_err());
        assert!(parse_go_mod("module x\nreplace a b\n").is_err());
        assert!(parse_go_mod("module x\n<<<<<<< HEAD\n").is_err());
    }
}

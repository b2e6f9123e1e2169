//! Ruby: installed gems' `specifications/*.gemspec` and, in checkouts, `Gemfile.lock`.

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};

use super::text_lockfile::TextLockfile;
use super::{excerpt, file_name, is_file};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// The gemspec RubyGems writes for an installed gem
/// (`…/specifications/NAME-VERSION.gemspec`): Ruby code with `s.name = "rack".freeze` and
/// `s.version = "2.2.22"` lines. The file name is the fallback.
#[derive(Debug)]
pub(crate) struct GemspecAnalyzer;

impl Analyzer for GemspecAnalyzer {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta) && path.ends_with(".gemspec") && path.contains("specifications/")
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let text = String::from_utf8_lossy(content);
        let (mut name, mut version) = (None, None);
        for line in text.lines() {
            let line = line.trim();
            let Some((lhs, rhs)) = line.split_once('=') else {
                continue;
            };
            let field = lhs.trim().rsplit('.').next().unwrap_or("");
            let target = match field {
                "name" => &mut name,
                "version" => &mut version,
                _ => continue,
            };
            if target.is_none() {
                *target = ruby_string(rhs);
            }
        }
        let stem = file_name(path).trim_end_matches(".gemspec");
        let from_file = stem
            .char_indices()
            .rev()
            .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
            .map(|(i, _)| (&stem[..i], &stem[i + 1..]));
        let name = name.or_else(|| from_file.map(|(n, _)| n.to_string()));
        let version = version.or_else(|| from_file.map(|(_, v)| v.to_string()));
        let (Some(name), Some(version)) = (name, version) else {
            return Err(AnalyzeError::malformed(
                "no `s.name`/`s.version`, and the file name is not `NAME-VERSION.gemspec`",
            ));
        };
        Ok(Analysis {
            packages: vec![Package::new(Ecosystem::Gem, &name, version)],
            ..Analysis::default()
        })
    }
}

/// `"rack".freeze`, `'rack'`, `Gem::Version.new("1.0")` → the string.
fn ruby_string(rhs: &str) -> Option<String> {
    let start = rhs.find(['"', '\''])?;
    let quote = rhs[start..].chars().next()?;
    let rest = &rhs[start + 1..];
    let end = rest.find(quote)?;
    let s = &rest[..end];
    (!s.is_empty()).then(|| s.to_string())
}

/// `Gemfile.lock`: in the `GEM` and `GIT` sections, `specs:` lists each locked gem at four
/// spaces as `name (version[-platform])`; its dependencies follow at six. `PATH` gems are
/// the project's own.
pub(crate) const GEMFILE_LOCK: TextLockfile = TextLockfile {
    name: "gemfile-lock",
    is_named: |name| name == "Gemfile.lock" || name == "gems.locked",
    parse: parse_gemfile_lock,
};

fn parse_gemfile_lock(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let mut out = Vec::new();
    let mut section = "";
    let mut saw_section = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            if !section.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
                return Err(AnalyzeError::AtLine {
                    line: i + 1,
                    reason: format!("not a section header: `{}`", excerpt(section)),
                });
            }
            saw_section = true;
            continue;
        }
        if !matches!(section, "GEM" | "GIT") {
            continue;
        }
        let Some(spec) = line.strip_prefix("    ") else {
            continue;
        };
        if spec.starts_with(' ') {
            continue; // a dependency of the gem above
        }
        let parsed = spec
            .split_once(" (")
            .and_then(|(n, v)| Some((n, v.strip_suffix(')')?)));
        let Some((name, version)) = parsed.filter(|(n, v)| !n.is_empty() && !v.is_empty()) else {
            return Err(AnalyzeError::AtLine {
                line: i + 1,
                reason: format!("expected `name (version)`, found `{}`", excerpt(spec)),
            });
        };
        // RubyGems versions have no `-`: what follows one is the platform.
        let version = version.split('-').next().unwrap_or(version);
        out.push(Package::new(Ecosystem::Gem, name, version));
    }
    if !saw_section {
        return Err(AnalyzeError::malformed(
            "no sections (`GEM`, `PLATFORMS`, …)",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_lines_and_name() {
        let g = b"Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.22\"\n  s.required_ruby_version = Gem::Requirement.new(\">= 2.3.0\".freeze)\n";
        let a = GemspecAnalyzer
            .analyze("specifications/rack-2.2.22.gemspec", g)
            .expect("parses");
        assert_eq!(a.packages[0].version, "2.2.22");
        let a = GemspecAnalyzer
            .analyze("specifications/net-http-0.3.0.gemspec", b"")
            .expect("from name");
        assert_eq!(a.packages[0].name, "net-http");
        assert!(
            GemspecAnalyzer
                .analyze("specifications/broken.gemspec", b"\x00\x01")
                .is_err()
        );
    }

    #[test]
    fn gemfile_lock() {
        let l = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.10-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.2)\n\nPATH\n  remote: .\n  specs:\n    app (0.1.0)\n\nPLATFORMS\n  x86_64-linux\n\nBUNDLED WITH\n   2.3.26\n";
        let p = parse_gemfile_lock(l).expect("parses");
        let got: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(got, ["nokogiri@1.13.10", "racc@1.6.2"]);
        assert!(parse_gemfile_lock("GEM\n  specs:\n    nokogiri 1.13\n").is_err());
        assert!(parse_gemfile_lock("{\"json\": 1}\n").is_err());
    }
}

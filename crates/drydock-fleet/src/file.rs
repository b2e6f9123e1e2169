//! Fleet files (YAML) and plain image lists.
//!
//! ```yaml
//! version: 1
//! defaults:                      # optional
//!   platform: linux/amd64
//!   severity: [HIGH, CRITICAL]
//!   ignore-files: [.drydockignore.yaml]
//!   env-profile: handbook
//!   scanners: [vuln, secret]
//! releases:
//!   - name: v2.9
//!     images:
//!       - ref: registry.example/team/app:2.9     # a reference, an archive, or LAYOUT:TAG
//!         sources: [github.com/example/app]      # optional
//!         labels: {team: payments}               # optional
//!         mirrored: true                         # optional: mirrored from upstream
//!       - registry.example/team/worker:2.9       # a bare string is a ref
//!     include: [v2.9-images.txt]                 # optional: image lists
//! ```
//!
//! An image list has one image per line, `IMAGE [SOURCE,SOURCE…]`, `#` comments and blank lines
//! (the shape of Rancher's `rancher-images-sources.txt`). Relative paths in both are relative to
//! the file naming them. Unknown keys are errors with their line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::FleetError;

/// A fleet, resolved: every release with its images (includes expanded), in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    pub releases: Vec<Release>,
    pub defaults: Defaults,
    /// `sha256:` of the fleet file and every file it includes, in order.
    pub digest: String,
    /// Where it was read from.
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub images: Vec<FleetImage>,
}

/// One image of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetImage {
    /// As the fleet file spells it: the image's name in the history store.
    pub reference: String,
    /// What to open: the reference, with a relative path resolved against the file naming it.
    pub location: String,
    pub sources: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub mirrored: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Defaults {
    pub platform: Option<String>,
    #[serde(default)]
    pub severity: Vec<String>,
    #[serde(default)]
    pub ignore_files: Vec<String>,
    pub env_profile: Option<String>,
    pub ignore_unfixed: Option<bool>,
    /// `vuln`, `misconfig`, `secret`, `all` (as `--scanners`); empty: vulnerabilities only.
    #[serde(default)]
    pub scanners: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    version: u32,
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    releases: Vec<RawRelease>,
    /// Image lists for a fleet with one unnamed release (`--release` names it).
    #[serde(default)]
    include: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    name: String,
    #[serde(default)]
    images: Vec<RawImage>,
    #[serde(default)]
    include: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawImage {
    Plain(String),
    Full(RawImageFull),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImageFull {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    mirrored: bool,
}

/// The most bytes a fleet file or image list may have (a 600-image list is ~40 KiB).
pub const MAX_FILE_SIZE: u64 = 16 << 20;

fn read(path: &Path) -> Result<String, FleetError> {
    let meta = std::fs::metadata(path).map_err(|e| FleetError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(FleetError::Syntax {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("larger than {} MiB", MAX_FILE_SIZE >> 20),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| FleetError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    String::from_utf8(bytes).map_err(|e| FleetError::Syntax {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// Reads a fleet file (YAML) or, when it does not look like one, an image list whose images
/// form the release `default_release` (required for a list).
pub fn load(path: &Path, default_release: Option<&str>) -> Result<Fleet, FleetError> {
    let text = read(path)?;
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    let base = path.parent().unwrap_or(Path::new("."));
    let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml")
        || text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .is_some_and(|l| l.starts_with("version:") || l.starts_with("releases:"));
    let (releases, defaults) =
        if is_yaml {
            let raw: RawFleet = serde_saphyr::from_str(&text).map_err(|e| yaml_error(path, &e))?;
            if raw.version != 1 {
                return Err(FleetError::Syntax {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "unsupported fleet file version {} (expected 1)",
                        raw.version
                    ),
                });
            }
            let mut releases = Vec::new();
            if !raw.include.is_empty() {
                let name = default_release.ok_or_else(|| FleetError::Usage(format!(
                "`{}` includes image lists outside a release: name the release with --release",
                path.display()
            )))?;
                let mut images = Vec::new();
                for inc in &raw.include {
                    images.extend(include(base, inc, &mut hasher)?);
                }
                releases.push(Release {
                    name: name.to_string(),
                    images,
                });
            }
            for r in raw.releases {
                if r.name.trim().is_empty() {
                    return Err(FleetError::Usage(format!(
                        "`{}`: a release has an empty name",
                        path.display()
                    )));
                }
                let mut images = Vec::new();
                for i in r.images {
                    let full = match i {
                        RawImage::Plain(s) => RawImageFull {
                            reference: s,
                            sources: Vec::new(),
                            labels: BTreeMap::new(),
                            mirrored: false,
                        },
                        RawImage::Full(f) => f,
                    };
                    images.push(image(
                        base,
                        full.reference,
                        full.sources,
                        full.labels,
                        full.mirrored,
                    )?);
                }
                for inc in &r.include {
                    images.extend(include(base, inc, &mut hasher)?);
                }
                releases.push(Release {
                    name: r.name,
                    images,
                });
            }
            (releases, raw.defaults)
        } else {
            let name = default_release.ok_or_else(|| {
                FleetError::Usage(format!(
                    "`{}` is an image list: name its release with --release",
                    path.display()
                ))
            })?;
            (
                vec![Release {
                    name: name.to_string(),
                    images: parse_list(path, &text, base)?,
                }],
                Defaults::default(),
            )
        };
    if let Some(release) = default_release
        && is_yaml
        && !releases.iter().any(|r| r.name == release)
    {
        return Err(FleetError::Usage(format!(
            "`{}` has no release `{release}` (it has: {})",
            path.display(),
            releases
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &releases {
        if !seen.insert(r.name.as_str()) {
            return Err(FleetError::Usage(format!(
                "`{}`: release `{}` is listed twice",
                path.display(),
                r.name
            )));
        }
    }
    Ok(Fleet {
        releases,
        defaults,
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
        path: path.to_path_buf(),
    })
}

fn include(base: &Path, name: &str, hasher: &mut Sha256) -> Result<Vec<FleetImage>, FleetError> {
    let path = base.join(name);
    let text = read(&path)?;
    hasher.update(text.as_bytes());
    parse_list(&path, &text, path.parent().unwrap_or(Path::new(".")))
}

/// Parses an image list: `IMAGE [SOURCE,SOURCE…]` per line, `#` comments, blank lines.
pub fn parse_list(path: &Path, text: &str, base: &Path) -> Result<Vec<FleetImage>, FleetError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let mut fields = content.split_whitespace();
        let reference = fields.next().unwrap_or_default().to_string();
        let sources: Vec<String> = fields
            .next()
            .map(|s| {
                s.split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(extra) = fields.next() {
            let column = line.find(extra).map_or(1, |c| c + 1);
            return Err(FleetError::Syntax {
                path: path.to_path_buf(),
                line: n + 1,
                column,
                message: format!(
                    "unexpected `{extra}`: a line is `IMAGE [SOURCE,SOURCE…]` (separate sources with commas)"
                ),
            });
        }
        if reference.chars().any(|c| c.is_control()) {
            return Err(FleetError::Syntax {
                path: path.to_path_buf(),
                line: n + 1,
                column: 1,
                message: "control characters in the image name".into(),
            });
        }
        out.push(image(base, reference, sources, BTreeMap::new(), false)?);
    }
    Ok(out)
}

fn image(
    base: &Path,
    reference: String,
    sources: Vec<String>,
    labels: BTreeMap<String, String>,
    mirrored: bool,
) -> Result<FleetImage, FleetError> {
    if reference.trim().is_empty() {
        return Err(FleetError::Usage("an image with an empty `ref`".into()));
    }
    Ok(FleetImage {
        location: resolve(base, &reference),
        reference,
        sources,
        labels,
        mirrored,
    })
}

/// A relative path (or `LAYOUT:TAG` whose layout is a relative path) resolved against `base`;
/// anything else (a registry reference, an absolute path) unchanged.
fn resolve(base: &Path, reference: &str) -> String {
    if Path::new(reference).is_absolute() {
        return reference.to_string();
    }
    let joined = base.join(reference);
    if joined.exists() {
        return joined.to_string_lossy().into_owned();
    }
    if let Some((p, tag)) = reference.rsplit_once(':') {
        let joined = base.join(p);
        if !p.is_empty() && joined.exists() {
            return format!("{}:{tag}", joined.to_string_lossy());
        }
    }
    reference.to_string()
}

fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> FleetError {
    // serde-saphyr puts the position in its message (`at line L, column C`); keep it as given
    // and also lift it into the error's fields when it is there.
    let full = e.to_string();
    let (line, column) = position(&full).unwrap_or((0, 0));
    // One line: the message without its position prefix and source snippet.
    let first = full.lines().next().unwrap_or_default();
    let message = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .split_once(": ")
        .filter(|(pos, _)| pos.starts_with("line "))
        .map_or(first, |(_, m)| m)
        .to_string();
    FleetError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("line ")?;
    let rest = &msg[i + 5..];
    let line: usize = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    let column = rest
        .find("column ")
        .and_then(|j| {
            rest[j + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn fleet_files_with_includes() {
        let d = tempfile::tempdir().expect("tmp");
        write(
            d.path(),
            "v2.txt",
            "# comment\nreg.example/a:2 github.com/x/a,github.com/x/lib\n\n reg.example/b:2  # trailing\n",
        );
        let p = write(
            d.path(),
            "fleet.yaml",
            "version: 1\ndefaults:\n  platform: linux/arm64\nreleases:\n  - name: v1\n    images:\n      - ref: reg.example/a:1\n        mirrored: true\n        labels: {team: x}\n      - reg.example/b:1\n  - name: v2\n    include: [v2.txt]\n",
        );
        let f = load(&p, None).expect("load");
        assert_eq!(f.defaults.platform.as_deref(), Some("linux/arm64"));
        assert_eq!(f.releases.len(), 2);
        assert_eq!(f.releases[0].images[0].reference, "reg.example/a:1");
        assert!(f.releases[0].images[0].mirrored);
        assert_eq!(f.releases[0].images[1].reference, "reg.example/b:1");
        assert_eq!(
            f.releases[1].images[0].sources,
            vec!["github.com/x/a", "github.com/x/lib"]
        );
        assert_eq!(f.releases[1].images[1].reference, "reg.example/b:2");
        assert!(f.digest.starts_with("sha256:"));
    }

    #[test]
    fn unknown_keys_name_their_line() {
        let d = tempfile::tempdir().expect("tmp");
        let p = write(
            d.path(),
            "fleet.yaml",
            "version: 1\nreleases:\n  - name: v1\n    imagez: []\n",
        );
        let e = load(&p, None).expect_err("unknown key");
        let msg = e.to_string();
        assert!(msg.contains("fleet.yaml"), "{msg}");
        assert!(msg.contains("imagez"), "{msg}");
        match e {
            FleetError::Syntax { line, .. } => assert_eq!(line, 4, "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn image_lists_need_a_release_and_reject_extra_fields() {
        let d = tempfile::tempdir().expect("tmp");
        let p = write(d.path(), "images.txt", "reg/a:1 src\nreg/b:1 src1 src2\n");
        assert!(matches!(load(&p, None), Err(FleetError::Usage(_))));
        let e = load(&p, Some("v1")).expect_err("extra field");
        match e {
            FleetError::Syntax { line, column, .. } => assert_eq!((line, column), (2, 14)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn relative_layouts_resolve_against_the_file() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(d.path().join("oci")).expect("dir");
        let p = write(d.path(), "l.txt", "oci:app-1\nalpine:3\n");
        let f = load(&p, Some("r")).expect("load");
        assert_eq!(
            f.releases[0].images[0].location,
            format!("{}:app-1", d.path().join("oci").display())
        );
        assert_eq!(f.releases[0].images[0].reference, "oci:app-1");
        assert_eq!(f.releases[0].images[1].location, "alpine:3");
    }
}

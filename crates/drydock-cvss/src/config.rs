//! The `[env-profiles]` table of `drydock.toml`, and where that file is looked for.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{CvssError, EnvProfile};

/// The environment variable naming the config file (same as `--config`).
pub const CONFIG_ENV: &str = "DRYDOCK_CONFIG";

/// The config file's name.
pub const CONFIG_FILE: &str = "drydock.toml";

/// The error of reading environment profiles.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or `[env-profiles]` has the wrong shape.
    #[error("invalid config `{}`: {message}", path.display())]
    Toml {
        /// The file (empty when parsed from a string).
        path: PathBuf,
        /// The TOML parser's message, first line.
        message: String,
    },
    /// A profile's metrics are invalid.
    #[error("env profile `{name}`: {source}")]
    Profile {
        /// The profile's name.
        name: String,
        /// What is wrong with it.
        #[source]
        source: CvssError,
    },
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(rename = "env-profiles", default)]
    env_profiles: BTreeMap<String, RawProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    description: Option<String>,
    metrics: String,
    v2: Option<String>,
    v3: Option<String>,
    v4: Option<String>,
}

/// The named environment profiles of a config file:
///
/// ```toml
/// [env-profiles.internal]
/// description = "instances are not on the internet"
/// metrics = "MAV:A/CR:H/IR:M/AR:L"
/// v2 = "CDP:L/TD:H/CR:H/IR:M/AR:L"   # optional: replaces the mapping for v2 vectors
/// ```
///
/// Other tables of the file are ignored here (they belong to other parts of drydock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvProfiles {
    profiles: BTreeMap<String, EnvProfile>,
}

impl EnvProfiles {
    /// Parses the `[env-profiles]` table of a config file's text.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::parse(text, Path::new(""))
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            message: one_line(&e.to_string()),
        })?;
        let mut profiles = BTreeMap::new();
        for (name, raw) in raw.env_profiles {
            let profile = build(&raw).map_err(|source| ConfigError::Profile {
                name: name.clone(),
                source,
            })?;
            profiles.insert(name, profile);
        }
        Ok(Self { profiles })
    }

    /// The profile of that name.
    pub fn get(&self, name: &str) -> Option<&EnvProfile> {
        self.profiles.get(name)
    }

    /// The profiles' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether the file defines no profile.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

fn build(raw: &RawProfile) -> Result<EnvProfile, CvssError> {
    let mut profile = EnvProfile::parse(&raw.metrics)?;
    if let Some(d) = &raw.description {
        profile = profile.with_description(d.clone());
    }
    for (major, text) in [(2, &raw.v2), (3, &raw.v3), (4, &raw.v4)] {
        if let Some(text) = text {
            profile = profile.with_override(major, text)?;
        }
    }
    Ok(profile)
}

/// TOML errors span several lines (a source excerpt); drydock prints one-line errors.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with("-->"))
        .filter(|l| !l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    lines.join("; ")
}

/// Where the config file is looked for, first match wins: `explicit` (`--config`), else
/// `$DRYDOCK_CONFIG`; without either, `./drydock.toml`, then
/// `$XDG_CONFIG_HOME/drydock/drydock.toml` (`~/.config/drydock/drydock.toml` when
/// `XDG_CONFIG_HOME` is unset or empty). An explicit path is the only candidate.
pub fn config_path_candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    candidates_with(explicit, |k| std::env::var_os(k))
}

/// [`config_path_candidates`] with the environment given as a function (for tests).
pub fn candidates_with(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Vec<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(p) = explicit {
        return vec![p.to_owned()];
    }
    if let Some(p) = set(CONFIG_ENV) {
        return vec![PathBuf::from(p)];
    }
    let mut out = vec![PathBuf::from(CONFIG_FILE)];
    let config_home = set("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(dir) = config_home {
        out.push(dir.join("drydock").join(CONFIG_FILE));
    }
    out
}

/// Finds and loads the config file: the first existing candidate of
/// [`config_path_candidates`]. An explicit path (`--config`, `$DRYDOCK_CONFIG`) must exist;
/// otherwise a missing file is `Ok(None)`.
pub fn discover(explicit: Option<&Path>) -> Result<Option<(PathBuf, EnvProfiles)>, ConfigError> {
    discover_in(
        &config_path_candidates(explicit),
        explicit.is_some() || std::env::var_os(CONFIG_ENV).is_some_and(|v| !v.is_empty()),
    )
}

fn discover_in(
    candidates: &[PathBuf],
    must_exist: bool,
) -> Result<Option<(PathBuf, EnvProfiles)>, ConfigError> {
    for path in candidates {
        if must_exist || path.is_file() {
            return EnvProfiles::load(path).map(|p| Some((path.clone(), p)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};

    use super::{ConfigError, EnvProfiles, candidates_with, discover_in};

    const CONFIG: &str = r#"
[scan]
severity = "HIGH"

[env-profiles.internal]
description = "instances are not on the internet"
metrics = "MAV:A/CR:H/IR:M/AR:L"

[env-profiles.lab]
metrics = "CR:L/IR:L/AR:L"
v2 = "CDP:N/TD:L"
"#;

    #[test]
    fn reads_profiles_and_ignores_other_tables() {
        let p = EnvProfiles::from_toml_str(CONFIG).expect("valid config");
        assert_eq!(p.names().collect::<Vec<_>>(), ["internal", "lab"]);
        let internal = p.get("internal").expect("defined");
        assert_eq!(internal.to_string(), "MAV:A/CR:H/IR:M/AR:L");
        assert_eq!(
            internal.description(),
            Some("instances are not on the internet")
        );
        assert!(p.get("lab").is_some() && p.get("dmz").is_none());
        assert!(EnvProfiles::from_toml_str("").expect("empty").is_empty());
    }

    #[test]
    fn errors_name_the_profile_and_metric() {
        let bad = "[env-profiles.dmz]\nmetrics = \"MAV:A/XR:H\"\n";
        let err = EnvProfiles::from_toml_str(bad).expect_err("bad metric");
        assert!(matches!(err, ConfigError::Profile { ref name, .. } if name == "dmz"));
        let msg = format!(
            "{err}: {}",
            std::error::Error::source(&err)
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        assert!(msg.contains("`dmz`") && msg.contains("`XR`"), "{msg}");

        let typo = "[env-profiles.dmz]\nmetric = \"MAV:A\"\n";
        let err = EnvProfiles::from_toml_str(typo).expect_err("unknown key");
        assert!(err.to_string().contains("metric"), "{err}");
        assert!(!err.to_string().contains('\n'), "{err}");
    }

    #[test]
    fn lookup_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            candidates_with(None, env(&[("HOME", "/home/u")])),
            [
                PathBuf::from("drydock.toml"),
                PathBuf::from("/home/u/.config/drydock/drydock.toml")
            ]
        );
        assert_eq!(
            candidates_with(
                None,
                env(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/xdg")])
            ),
            [
                PathBuf::from("drydock.toml"),
                PathBuf::from("/xdg/drydock/drydock.toml")
            ]
        );
        assert_eq!(
            candidates_with(None, env(&[("DRYDOCK_CONFIG", "/etc/d.toml")])),
            [PathBuf::from("/etc/d.toml")]
        );
        assert_eq!(
            candidates_with(
                Some(Path::new("x.toml")),
                env(&[("DRYDOCK_CONFIG", "/etc/d.toml")])
            ),
            [PathBuf::from("x.toml")]
        );
    }

    #[test]
    fn discovery_skips_missing_files_unless_explicit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("none.toml");
        let present = dir.path().join("drydock.toml");
        std::fs::write(&present, CONFIG).expect("write");
        let found = discover_in(&[missing.clone(), present.clone()], false)
            .expect("loads")
            .expect("found");
        assert_eq!(found.0, present);
        assert!(
            discover_in(std::slice::from_ref(&missing), false)
                .expect("ok")
                .is_none()
        );
        let err = discover_in(&[missing], true).expect_err("explicit must exist");
        assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    }
}

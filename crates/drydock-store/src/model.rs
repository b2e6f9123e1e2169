//! What the store records and answers.

use std::collections::BTreeMap;
use std::fmt;

use drydock_match::identity;
use drydock_package::Ecosystem;
use drydock_report::TargetReport;
use serde::{Deserialize, Serialize};

/// Which part of a run a process scans: shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };
}

/// What a process starting (its shard of) a run tells the store.
#[derive(Debug, Clone)]
pub struct RunStart {
    pub run_id: String,
    pub shard: Shard,
    pub images_planned: usize,
    pub drydock_version: String,
    pub db_built_at: Option<String>,
    pub db_sources: Option<String>,
    pub fleet_digest: Option<String>,
    pub fleet_path: Option<String>,
    pub started_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Some shard has not reported yet (still running, or died: rerun it with the same run id).
    Running,
    /// Every shard reported.
    Complete,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
        }
    }
    pub(crate) fn parse(s: &str) -> RunStatus {
        if s == "complete" {
            RunStatus::Complete
        } else {
            RunStatus::Running
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub seq: i64,
    pub run_id: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub status: RunStatus,
    pub shard_count: i64,
    pub shards_finished: i64,
    pub drydock_version: String,
    pub db_built_at: Option<String>,
    pub db_sources: Option<String>,
    pub fleet_digest: Option<String>,
    pub fleet_path: Option<String>,
    pub images_ok: i64,
    pub images_failed: i64,
    pub findings: i64,
    pub layers_analysed: i64,
    pub layers_cached: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    Ok,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Ok => "ok",
            ScanStatus::Failed => "failed",
        }
    }
    pub(crate) fn parse(s: &str) -> ScanStatus {
        if s == "ok" {
            ScanStatus::Ok
        } else {
            ScanStatus::Failed
        }
    }
}

/// One image of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageScan {
    pub run_seq: i64,
    pub reference: String,
    pub repository: String,
    /// The releases listing this image, with its position in each (fleet-file order).
    pub releases: Vec<(String, i64)>,
    pub status: ScanStatus,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub platform: Option<String>,
    pub os: Option<String>,
    pub package_count: i64,
    pub finding_count: i64,
    pub layers_analysed: i64,
    pub layers_cached: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub shard_index: i64,
    pub sources: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub mirrored: bool,
}

/// Which scanners an image scan ran: the kinds of finding it can speak for. A kind it did not
/// look for is left as it was last seen, never taken as resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    pub vuln: bool,
    pub misconfig: bool,
    pub secret: bool,
}

impl Scanned {
    pub const ALL: Scanned = Scanned {
        vuln: true,
        misconfig: true,
        secret: true,
    };

    /// Whether a finding of `ecosystem` (`misconfig`, `secret`, else a vulnerability) was
    /// looked for.
    pub fn covers(&self, ecosystem: &str) -> bool {
        match ecosystem {
            "misconfig" => self.misconfig,
            "secret" => self.secret,
            _ => self.vuln,
        }
    }
}

/// A finding as one image scan saw it: the identity and the attributes of this observation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Observation {
    pub fingerprint: String,
    pub repository: String,
    pub ecosystem: String,
    pub package: String,
    /// The identity's vulnerability id (the CVE when any alias is one).
    pub vuln_id: String,
    /// The id the matched advisory goes by (`GHSA-…`, `RUSTSEC-…`, or the CVE).
    pub advisory_id: String,
    /// Installed version(s): several when the package is installed more than once.
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: String,
    /// `fixed`, `affected`, `will_not_fix`, … (the finding's status).
    pub status: String,
    /// The package type as Trivy names it (`debian`, `alpine`, `python-pkg`, `gobinary`, …).
    pub pkg_type: String,
    pub layer: Option<String>,
    pub path: Option<String>,
}

impl Observation {
    /// The attributes whose change starts a new interval.
    pub(crate) fn same_attributes(&self, o: &Observation) -> bool {
        self.installed == o.installed
            && self.fixed == o.fixed
            && self.severity == o.severity
            && self.status == o.status
    }
}

/// Advisory text, stored once per vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnInfo {
    pub vuln_id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub aliases: Vec<String>,
    pub cvss_score: Option<String>,
    pub cvss_vector: Option<String>,
}

/// The package type as Trivy names it, from the ecosystem, the OS and the path.
pub fn pkg_type(ecosystem: Ecosystem, os_family: Option<&str>, path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let t = match ecosystem {
        Ecosystem::Deb => match os_family {
            Some("ubuntu") => "ubuntu",
            _ => "debian",
        },
        Ecosystem::Apk => match os_family {
            Some("wolfi") => "wolfi",
            Some("chainguard") => "chainguard",
            _ => "alpine",
        },
        Ecosystem::Rpm => match os_family {
            Some(f) => return f.to_string(),
            None => "redhat",
        },
        Ecosystem::Pypi => {
            if file.ends_with(".txt") || file == "poetry.lock" || file == "Pipfile.lock" {
                "pip"
            } else {
                "python-pkg"
            }
        }
        Ecosystem::Npm => match file {
            "package-lock.json" => "npm",
            "yarn.lock" => "yarn",
            "pnpm-lock.yaml" => "pnpm",
            _ => "node-pkg",
        },
        Ecosystem::Golang => {
            if file == "go.mod" || file == "go.sum" {
                "gomod"
            } else {
                "gobinary"
            }
        }
        Ecosystem::Cargo => {
            if file == "Cargo.lock" {
                "cargo"
            } else {
                "rustbinary"
            }
        }
        Ecosystem::Maven => "jar",
        Ecosystem::Gem => {
            if file == "Gemfile.lock" {
                "bundler"
            } else {
                "gemspec"
            }
        }
        Ecosystem::Nuget => "nuget",
        Ecosystem::Composer => "composer",
        #[allow(unreachable_patterns)]
        _ => return ecosystem.as_str().to_string(),
    };
    t.to_string()
}

/// The observations of one scanned target (every finding, whatever its verdict: the store keeps
/// what was found; policy applies when reading) and the advisory text behind them. Findings of
/// one identity seen more than once in the image (a package at two paths, `stdlib` in several Go
/// binaries) are one observation listing every installed version.
pub fn observations_from_report(
    target: &TargetReport,
    repository: &str,
) -> (Vec<Observation>, Vec<VulnInfo>) {
    let os_family = target.os.as_ref().map(|o| o.family.as_str().to_string());
    let mut by_fp: BTreeMap<String, Observation> = BTreeMap::new();
    let mut vulns: BTreeMap<String, VulnInfo> = BTreeMap::new();
    for d in &target.findings {
        let f = &d.finding;
        let vuln_id = identity::vulnerability_id(&f.id, &f.aliases);
        let fp = identity::fingerprint(repository, f.ecosystem, &f.package, &vuln_id);
        let loc = f.locations.first();
        let path = loc.map(|l| l.path.clone());
        let obs = Observation {
            fingerprint: fp.clone(),
            repository: repository.to_string(),
            ecosystem: f.ecosystem.as_str().to_string(),
            package: f.package.clone(),
            vuln_id: vuln_id.clone(),
            advisory_id: f.id.clone(),
            installed: f.installed.clone(),
            fixed: f.fixed.clone(),
            severity: f.severity.to_string(),
            status: serde_json::to_value(f.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "unknown".into()),
            pkg_type: pkg_type(
                f.ecosystem,
                os_family.as_deref(),
                path.as_deref().unwrap_or(""),
            ),
            layer: loc.and_then(|l| l.layer.clone()),
            path,
        };
        match by_fp.get_mut(&fp) {
            Some(prev) => {
                let mut versions: Vec<&str> = prev.installed.split(", ").collect();
                if !versions.contains(&obs.installed.as_str()) {
                    versions.push(&obs.installed);
                    versions.sort_unstable();
                    prev.installed = versions.join(", ");
                }
                if prev.fixed.is_none() {
                    prev.fixed = obs.fixed;
                }
            }
            None => {
                by_fp.insert(fp, obs);
            }
        }
        vulns.entry(vuln_id.clone()).or_insert_with(|| {
            let best = f
                .cvss
                .iter()
                .max_by(|a, b| a.base_score.total_cmp(&b.base_score));
            let mut aliases: Vec<String> = f.aliases.clone();
            if f.id != vuln_id {
                aliases.push(f.id.clone());
            }
            aliases.retain(|a| *a != vuln_id);
            aliases.sort();
            aliases.dedup();
            VulnInfo {
                vuln_id,
                title: f.title.clone(),
                description: f.description.clone(),
                url: f.primary_url.clone(),
                aliases,
                cvss_score: best.map(|c| format!("{:.1}", c.base_score)),
                cvss_vector: best.map(|c| c.vector.clone()),
            }
        });
    }
    // Misconfigurations and secrets (`--scanners misconfig,secret`): ecosystem and package
    // type `misconfig` or `secret`, id = the check id, package = the file path (Dockerfile or
    // layer file) or config field, identity = the finding's rebuild-stable fingerprint.
    for (kind, entries) in [
        ("misconfig", &target.misconfigurations),
        ("secret", &target.secrets),
    ] {
        for e in entries {
            let f = &e.finding;
            let mut h = <sha2::Sha256 as sha2::Digest>::new();
            for part in [repository, kind, f.fingerprint.as_str()] {
                sha2::Digest::update(&mut h, part.as_bytes());
                sha2::Digest::update(&mut h, [0u8]);
            }
            let fp = hex::encode(sha2::Digest::finalize(h))[..32].to_string();
            let (package, path, layer) = match &f.evidence {
                drydock_misconfig::Evidence::Dockerfile { path, .. } => {
                    (path.clone(), Some(path.clone()), None)
                }
                drydock_misconfig::Evidence::Layer { path, digest, .. } => {
                    (path.clone(), Some(path.clone()), digest.clone())
                }
                drydock_misconfig::Evidence::Config { field, .. } => (field.clone(), None, None),
                drydock_misconfig::Evidence::History { .. } => ("history".into(), None, None),
            };
            by_fp.entry(fp.clone()).or_insert(Observation {
                fingerprint: fp,
                repository: repository.to_string(),
                ecosystem: kind.to_string(),
                package,
                vuln_id: f.id.clone(),
                advisory_id: f.id.clone(),
                installed: String::new(),
                fixed: None,
                severity: f.severity.to_string(),
                status: kind.to_string(),
                pkg_type: kind.to_string(),
                layer,
                path,
            });
            vulns.entry(f.id.clone()).or_insert_with(|| VulnInfo {
                vuln_id: f.id.clone(),
                title: Some(f.title.clone()),
                description: None,
                url: None,
                aliases: Vec::new(),
                cvss_score: None,
                cvss_vector: None,
            });
        }
    }
    (by_fp.into_values().collect(), vulns.into_values().collect())
}

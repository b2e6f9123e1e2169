//! Version strings to test with: real ones from the shared data, and generated edge cases.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::shared;

/// A small deterministic generator (xorshift), so every run tests the same pairs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Every `Version:` in the corpus image's dpkg status file.
pub fn debian_status() -> Option<Vec<String>> {
    let path = std::env::var_os("DRYDOCK_DEBIAN_STATUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/cache/corpus/work/l1-debian/var/lib/dpkg/status"));
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.strip_prefix("Version: "))
            .map(str::to_string)
            .collect(),
    )
}

/// `[epoch:]version-release` of every package in the rpm expected-package lists.
pub fn rpm_packages() -> Vec<String> {
    let mut out = Vec::new();
    let dir = shared().join("data/rpmdb");
    for db in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(db.path()).into_iter().flatten().flatten() {
            if !f
                .file_name()
                .to_string_lossy()
                .starts_with("expected-packages")
            {
                continue;
            }
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            for l in text.lines() {
                let c: Vec<&str> = l.split('\t').collect();
                if c.len() >= 4 {
                    let e = if c[1] == "0" || c[1].is_empty() {
                        String::new()
                    } else {
                        format!("{}:", c[1])
                    };
                    out.push(format!("{e}{}-{}", c[2], c[3]));
                }
            }
        }
    }
    out
}

/// Every OSV record in `data/advisories/osv/<ecosystem>/all.zip` (read with `unzip -p`).
pub fn osv_records(ecosystem: &str) -> Option<Vec<serde_json::Value>> {
    let zip = shared()
        .join("data/advisories/osv")
        .join(ecosystem)
        .join("all.zip");
    if !zip.exists() {
        return None;
    }
    let out = Command::new("unzip").arg("-p").arg(&zip).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        serde_json::Deserializer::from_slice(&out.stdout)
            .into_iter::<serde_json::Value>()
            .filter_map(Result::ok)
            .collect(),
    )
}

/// Every version named in OSV records: `affected[].versions` and range events.
pub fn osv_versions(records: &[serde_json::Value]) -> Vec<String> {
    let mut set = BTreeSet::new();
    for r in records {
        for a in r["affected"].as_array().into_iter().flatten() {
            for v in a["versions"].as_array().into_iter().flatten() {
                if let Some(s) = v.as_str() {
                    set.insert(s.to_string());
                }
            }
            for range in a["ranges"].as_array().into_iter().flatten() {
                if range["type"] == "GIT" {
                    continue;
                }
                for e in range["events"].as_array().into_iter().flatten() {
                    for k in ["introduced", "fixed", "last_affected"] {
                        if let Some(s) = e[k].as_str() {
                            set.insert(s.to_string());
                        }
                    }
                }
            }
        }
    }
    set.into_iter().collect()
}

/// Every version in the Alpine secdb files (`secfixes` keys).
pub fn alpine_versions() -> Vec<String> {
    let mut set = BTreeSet::new();
    let root = shared().join("data/advisories/alpine-secdb");
    for rel in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(rel.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(text) = std::fs::read_to_string(f.path()) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            for p in v["packages"].as_array().into_iter().flatten() {
                if let Some(m) = p["pkg"]["secfixes"].as_object() {
                    set.extend(m.keys().cloned());
                }
            }
        }
    }
    set.into_iter().collect()
}

/// Variations of real versions that land near them: the edge cases comparisons get wrong.
pub fn mutate(rng: &mut Rng, v: &str, extras: &[&str]) -> String {
    let mut s = v.to_string();
    match rng.below(6) {
        0 => s.push_str(rng.pick(extras)),
        1 => {
            // Bump or zero-pad one digit.
            let digits: Vec<usize> = s
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if !digits.is_empty() {
                let i = digits[rng.below(digits.len())];
                let rep = rng.pick(&["0", "00", "9", "10", "1"]);
                s.insert_str(i, rep);
            }
        }
        2 => {
            let cut = rng.below(s.len() + 1);
            s.truncate(cut);
            s.push_str(rng.pick(extras));
        }
        3 => {
            let at = rng.below(s.len() + 1);
            if s.is_char_boundary(at) {
                s.insert_str(at, rng.pick(extras));
            }
        }
        _ => {}
    }
    s
}

/// `n` pairs: every pair of the first `all_pairs` versions, then random pairs, then random
/// pairs of a version and a mutation of it.
pub fn pairs(versions: &[String], n: usize, extras: &[&str], seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let k = versions.len().min(150);
    'all: for a in &versions[..k] {
        for b in &versions[..k] {
            if out.len() >= n / 3 {
                break 'all;
            }
            out.push((a.clone(), b.clone()));
        }
    }
    while out.len() < n {
        let a = &versions[rng.below(versions.len())];
        if rng.below(2) == 0 {
            let b = &versions[rng.below(versions.len())];
            out.push((a.clone(), b.clone()));
        } else {
            let m = mutate(&mut rng, a, extras);
            let m2 = mutate(&mut rng, a, extras);
            out.push((m, m2));
        }
    }
    out
}

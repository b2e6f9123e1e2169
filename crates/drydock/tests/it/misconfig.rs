//! `drydock config`: Dockerfiles and images through the CLI, the gate, bad input, and a
//! differential check against Trivy's Dockerfile checks on the fixtures of drydock-misconfig.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{drydock, peer, stdout};

/// The fixtures made by drydock-misconfig's committed script, built once per run.
pub(crate) fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-misconfig-fixtures-{}", std::process::id()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../drydock-misconfig/tests/fixtures/make_fixtures.py");
        let st = Command::new("python3")
            .arg(&script)
            .arg(&out)
            .status()
            .expect("python3 runs the fixture script");
        assert!(st.success(), "make_fixtures.py: {st}");
        out
    })
}

pub(crate) fn expected() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = drydock()
        .arg("config")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run drydock");
    serde_json::from_str(&stdout(&out, "drydock config")).expect("JSON output")
}

/// `drydock config DIR` finds every fixture Dockerfile; per file, exactly the expected ids.
#[test]
fn config_on_a_directory() {
    let dir = fixtures().join("dockerfiles");
    let v = json(&[dir.to_str().expect("utf-8 path")]);
    let mut got: BTreeMap<String, BTreeSet<String>> = expected()
        .keys()
        .map(|k| (k.clone(), BTreeSet::new()))
        .collect();
    for f in v["findings"].as_array().expect("findings") {
        let path = f["evidence"]["path"].as_str().expect("a Dockerfile path");
        let name = Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".Dockerfile"))
            .expect("fixture name");
        got.entry(name.to_string())
            .or_default()
            .insert(f["id"].as_str().expect("id").to_string());
    }
    assert_eq!(got, expected());
}

/// `--image`: the hidden key is reported CRITICAL with its layer; values are masked; the
/// gate exits with `--exit-code` only when findings remain after `--severity`.
#[test]
fn config_on_images_and_the_gate() {
    let bad = fixtures().join("images/bad/docker-archive.tar");
    let clean = fixtures().join("images/clean/oci");
    let v = json(&["--image", bad.to_str().expect("utf-8")]);
    let text = v.to_string();
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    let hidden: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["id"] == "DD-306")
        .collect();
    assert_eq!(hidden.len(), 1, "{text}");
    assert_eq!(hidden[0]["severity"], "CRITICAL");
    assert_eq!(hidden[0]["evidence"]["layer"], 1);
    assert_eq!(hidden[0]["evidence"]["path"], "root/.ssh/id_ed25519");

    let gate = |image: &Path| {
        drydock()
            .args(["config", "--image"])
            .arg(image)
            .args(["--severity", "CRITICAL", "--exit-code", "3"])
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(gate(&bad), Some(3));
    assert_eq!(gate(&clean), Some(0));
    let v = json(&[
        "--image",
        bad.to_str().expect("utf-8"),
        "--scanners",
        "misconfig",
    ]);
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| !["DD-105", "DD-106", "DD-107", "DD-305", "DD-306"]
                .contains(&f["id"].as_str().unwrap_or_default())),
        "{v}"
    );
}

/// Bad input is one clear error line and exit code 2.
#[test]
fn config_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "heredoc",
            b"FROM a\nRUN <<EOF\necho\n",
            "heredoc `<<EOF` is never terminated",
        ),
        ("binary", b"\x7fELF\x02\x01\x00\x00", "not a text file"),
        ("empty", b"# only a comment\n", "no instructions"),
    ];
    for (name, bytes, msg) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let out = drydock().arg("config").arg(&p).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(msg) && err.lines().count() == 1,
            "{name}: {err}"
        );
    }
    let out = drydock().arg("config").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Differential: where a Trivy check means the same thing as ours, it fires on exactly the
/// same fixtures. (Trivy's DS-0031 is wider than DD-105 and is compared in the docs.)
#[test]
fn same_verdicts_as_trivy_where_checks_agree() {
    let Some(trivy) = peer("trivy") else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let out = Command::new(trivy)
        .args([
            "config",
            "--quiet",
            "--skip-check-update",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(cache.path())
        .arg(fixtures().join("dockerfiles"))
        .output()
        .expect("run trivy");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out, "trivy config")).expect("json");
    let mut theirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        let name = r["Target"]
            .as_str()
            .and_then(|t| t.rsplit('/').next())
            .and_then(|t| t.strip_suffix(".Dockerfile"))
            .expect("fixture target")
            .to_string();
        for m in r["Misconfigurations"].as_array().into_iter().flatten() {
            theirs
                .entry(name.clone())
                .or_default()
                .insert(m["ID"].as_str().expect("ID").to_string());
        }
    }
    let pairs = [
        ("DD-101", "DS-0002"),
        ("DD-102", "DS-0026"),
        ("DD-103", "DS-0004"),
        ("DD-201", "DS-0001"),
        ("DD-203", "DS-0009"),
        ("DD-205", "DS-0006"),
        ("DD-207", "DS-0008"),
    ];
    let mut diffs = Vec::new();
    for (name, ours) in expected() {
        let t = theirs.get(&name).cloned().unwrap_or_default();
        for (dd, ds) in pairs {
            if ours.contains(dd) != t.contains(ds) {
                diffs.push(format!(
                    "{name}: {dd}={} {ds}={}",
                    ours.contains(dd),
                    t.contains(ds)
                ));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert!(theirs.len() > 10, "Trivy found too little: {theirs:?}");
}

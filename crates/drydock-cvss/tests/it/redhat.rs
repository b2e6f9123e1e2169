//! Differential test against Red Hat's reference implementation (PyPI `cvss`, the version
//! pinned in `.ci/setup.d/cvss.sh`): thousands of seeded random vectors of every version, with
//! temporal/threat and environmental metrics, scored by both; every score and severity must
//! be equal. One Python process scores all vectors (`tests/reference/redhat_cvss.py`).
//!
//! The interpreter is `$DRYDOCK_CVSS_PYTHON`, else `python3`. Without the reference the test
//! fails when `CI` is set and is skipped with a note otherwise.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use drydock_cvss::{Scores, parse};
use serde_json::Value;

/// The version of PyPI `cvss` the expectations were checked against.
const REFERENCE_VERSION: &str = "3.6";
/// Vectors per version (v2, v3.0, v3.1, v4.0).
const PER_VERSION: usize = 5000;
const SEED: u64 = 0x0d7d_0c4c_5c55_2024;

/// SplitMix64: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, values: &[&'a str]) -> &'a str {
        let n = u64::try_from(values.len()).expect("small");
        values[usize::try_from(self.next() % n).expect("small")]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

type Metrics = &'static [(&'static str, &'static [&'static str])];

const V2_BASE: Metrics = &[
    ("AV", &["L", "A", "N"]),
    ("AC", &["H", "M", "L"]),
    ("Au", &["M", "S", "N"]),
    ("C", &["N", "P", "C"]),
    ("I", &["N", "P", "C"]),
    ("A", &["N", "P", "C"]),
];
const V2_OPTIONAL: Metrics = &[
    ("E", &["U", "POC", "F", "H", "ND"]),
    ("RL", &["OF", "TF", "W", "U", "ND"]),
    ("RC", &["UC", "UR", "C", "ND"]),
    ("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    ("TD", &["N", "L", "M", "H", "ND"]),
    ("CR", &["L", "M", "H", "ND"]),
    ("IR", &["L", "M", "H", "ND"]),
    ("AR", &["L", "M", "H", "ND"]),
];
const V3_BASE: Metrics = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];
const V3_OPTIONAL: Metrics = &[
    ("E", &["X", "U", "P", "F", "H"]),
    ("RL", &["X", "O", "T", "W", "U"]),
    ("RC", &["X", "U", "R", "C"]),
    ("CR", &["X", "L", "M", "H"]),
    ("IR", &["X", "L", "M", "H"]),
    ("AR", &["X", "L", "M", "H"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "N", "L", "H"]),
    ("MI", &["X", "N", "L", "H"]),
    ("MA", &["X", "N", "L", "H"]),
];
const V4_BASE: Metrics = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];
const V4_OPTIONAL: Metrics = &[
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

fn generate(rng: &mut Rng, prefix: &str, base: Metrics, optional: Metrics) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !prefix.is_empty() {
        parts.push(prefix.to_owned());
    }
    for (name, values) in base {
        parts.push(format!("{name}:{}", rng.pick(values)));
    }
    // Half the vectors carry few optional metrics, half many: both "group absent" and
    // "everything modified" are common.
    let percent = if rng.chance(50) { 15 } else { 70 };
    for (name, values) in optional {
        if rng.chance(percent) {
            parts.push(format!("{name}:{}", rng.pick(values)));
        }
    }
    parts.join("/")
}

/// Another spelling of the same vector, as feeds write them: lower case, spaces,
/// parentheses around v2, `CVSS:2.0/` on v2.
fn respell(rng: &mut Rng, vector: &str) -> String {
    match rng.next() % 4 {
        0 => vector.to_ascii_lowercase(),
        1 => vector.replace('/', " / "),
        2 if !vector.starts_with("CVSS:") => format!("({vector})"),
        3 if !vector.starts_with("CVSS:") => format!("CVSS:2.0/{vector}"),
        _ => vector.to_owned(),
    }
}

fn python() -> PathBuf {
    std::env::var_os("DRYDOCK_CVSS_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from)
}

/// Whether the pinned reference is importable; otherwise fail in CI, skip with a note here.
fn reference_available() -> bool {
    let probe = Command::new(python())
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('cvss'))",
        ])
        .output();
    let found = match probe {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => format!(
            "not importable: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("no interpreter `{}`: {e}", python().display()),
    };
    if found == REFERENCE_VERSION {
        return true;
    }
    let note = format!(
        "Red Hat's `cvss` {REFERENCE_VERSION} is needed (found: {found}); run `. .ci/setup.d/cvss.sh` or `pip install cvss=={REFERENCE_VERSION}` and set DRYDOCK_CVSS_PYTHON"
    );
    assert!(std::env::var_os("CI").is_none(), "{note}");
    eprintln!("note: skipping the Red Hat differential test: {note}");
    false
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Compares one vector's scores with the reference's; returns the differences.
fn compare(vector: &str, ours: &Scores, theirs: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut same = |what: &str, a: Option<f64>, sa: Option<String>, b: &str, sb: &str| {
        let (b, sb) = (number(&theirs[b]), text(&theirs[sb]));
        if (a, sa.clone()) != (b, sb.clone()) {
            diffs.push(format!(
                "{vector}: {what}: ours {a:?} {sa:?}, Red Hat {b:?} {sb:?}"
            ));
        }
    };
    let sev = |s: Option<drydock_cvss::Severity>| s.map(|s| s.to_string());
    same(
        "base",
        Some(ours.base_score),
        sev(Some(ours.base_severity)),
        "base",
        "base_sev",
    );
    same(
        "threat",
        ours.threat_score,
        sev(ours.threat_severity),
        "threat",
        "threat_sev",
    );
    if vector.starts_with("CVSS:3.") {
        // The reference always computes v3 temporal and environmental scores; drydock reports
        // them only when the vector has metrics of the group. Compare where both have one.
        if ours.temporal_score.is_some() {
            same(
                "temporal",
                ours.temporal_score,
                sev(ours.temporal_severity),
                "temporal",
                "temporal_sev",
            );
        }
        if ours.environmental_score.is_some() {
            same(
                "environmental",
                ours.environmental_score,
                sev(ours.environmental_severity),
                "env",
                "env_sev",
            );
        }
    } else {
        same(
            "temporal",
            ours.temporal_score,
            sev(ours.temporal_severity),
            "temporal",
            "temporal_sev",
        );
        same(
            "environmental",
            ours.environmental_score,
            sev(ours.environmental_severity),
            "env",
            "env_sev",
        );
    }
    diffs
}

#[test]
fn scores_equal_red_hat_reference() {
    if !reference_available() {
        return;
    }
    let mut rng = Rng(SEED);
    let mut vectors = Vec::new();
    for (prefix, base, optional) in [
        ("", V2_BASE, V2_OPTIONAL),
        ("CVSS:3.0", V3_BASE, V3_OPTIONAL),
        ("CVSS:3.1", V3_BASE, V3_OPTIONAL),
        ("CVSS:4.0", V4_BASE, V4_OPTIONAL),
    ] {
        for _ in 0..PER_VERSION {
            vectors.push(generate(&mut rng, prefix, base, optional));
        }
    }
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    for v in &vectors {
        writeln!(file, "{v}").expect("write vectors");
    }
    file.flush().expect("flush vectors");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/redhat_cvss.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(file.path())
        .output()
        .expect("run the reference script");
    assert!(
        out.status.success(),
        "reference script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("UTF-8 output")
        .lines()
        .collect();
    assert_eq!(lines.len(), vectors.len(), "one result per vector");

    let mut diffs = Vec::new();
    let mut compared = [0usize; 4];
    for (i, (vector, line)) in vectors.iter().zip(&lines).enumerate() {
        let theirs: Value = serde_json::from_str(line).expect("JSON line");
        let spelled = respell(&mut rng, vector);
        let ours = parse(&spelled);
        match (&ours, theirs.get("error")) {
            (Ok(v), None) => {
                diffs.extend(compare(vector, &v.scores(), &theirs));
                compared[i / PER_VERSION] += 1;
            }
            (Err(e), Some(_)) => diffs.push(format!("{vector}: both reject it? ours: {e}")),
            (Ok(_), Some(err)) => diffs.push(format!("{vector}: Red Hat rejects it: {err}")),
            (Err(e), None) => diffs.push(format!("{vector} (as `{spelled}`): we reject it: {e}")),
        }
    }
    eprintln!(
        "compared with Red Hat cvss {REFERENCE_VERSION}: v2 {}, v3.0 {}, v3.1 {}, v4.0 {} vectors; {} differences",
        compared[0],
        compared[1],
        compared[2],
        compared[3],
        diffs.len()
    );
    assert!(
        diffs.is_empty(),
        "{} differences, first 20:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

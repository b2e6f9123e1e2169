//! drydock-version against dpkg, rpm, Python's `packaging`, npm's `semver` and Maven's
//! `ComparableVersion`: ≥100,000 pairs each, 0 disagreements.

use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

use drydock_version::{Scheme, compare, validate};

use crate::corpus::{self, pairs};
use crate::missing;

const PAIRS: usize = 100_000;

/// Runs `cmd` with the pairs as `a<TAB>b` lines on stdin; one answer line per pair.
fn run_reference(mut cmd: Command, input: &[(String, String)]) -> Option<Vec<String>> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let text: String = input.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    if !out.status.success() {
        return None;
    }
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), input.len(), "reference answered every pair");
    Some(lines)
}

fn sign(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "-1",
        Ordering::Equal => "0",
        Ordering::Greater => "1",
    }
}

/// Our answer in the reference protocol: `Ea`/`Eb` for an invalid side, else the sign.
fn ours(scheme: Scheme, a: &str, b: &str) -> String {
    if validate(scheme, a).is_err() {
        return "Ea".into();
    }
    if validate(scheme, b).is_err() {
        return "Eb".into();
    }
    match compare(scheme, a, b) {
        Ok(o) => sign(o).into(),
        Err(e) => panic!("validated versions failed to compare: {e}"),
    }
}

/// Compares answers; with `validity` false, pairs we reject are left out (the reference has no
/// notion of invalid there). Returns (pairs compared, disagreements).
fn check(
    scheme: Scheme,
    input: &[(String, String)],
    reference: &[String],
    validity: bool,
) -> (usize, Vec<String>) {
    let mut compared = 0;
    let mut bad = Vec::new();
    for ((a, b), want) in input.iter().zip(reference) {
        let got = ours(scheme, a, b);
        if !validity && got.starts_with('E') {
            continue;
        }
        compared += 1;
        if &got != want {
            bad.push(format!(
                "{scheme}: `{a}` vs `{b}`: reference {want}, drydock {got}"
            ));
        }
    }
    (compared, bad)
}

fn report(scheme: Scheme, compared: usize, bad: &[String]) {
    eprintln!(
        "{scheme}: {compared} pairs compared with the reference, {} disagreements",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements, first ones:\n{}",
        bad.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

fn has(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------- dpkg

fn dpkg_versions() -> Option<Vec<String>> {
    let mut v = corpus::debian_status()?;
    v.extend(corpus::rpm_packages());
    v.extend(
        [
            "1.0",
            "1.0~rc1",
            "1.0~~",
            "1.0+b1",
            "1:1.0",
            "0:1.0-0",
            "1.0-0.1",
            "2.30-1+deb12u1",
            "1.2.3a",
            "1.2.3+dfsg-1~bpo11+1",
            "10:1.0",
            "1.0-1ubuntu0.22.04.1",
            "7.88.1-10+deb12u5",
        ]
        .map(String::from),
    );
    v.sort();
    v.dedup();
    Some(v)
}

const DPKG_EXTRAS: &[&str] = &[
    "~", "~~", "+", "+b1", "-1", "-0", ".0", "a", "~rc1", ".1", "-1~bpo1", "1:", "00", "z", "+dfsg",
];

#[test]
fn dpkg_matches_apt_pkg_and_dpkg() {
    let py = std::env::var("DRYDOCK_APT_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    if !has(&py, &["-c", "import apt_pkg"]) {
        return missing("python3-apt (`import apt_pkg`)");
    }
    if !has("dpkg", &["--version"]) {
        return missing("dpkg");
    }
    let Some(versions) = dpkg_versions() else {
        return missing("the corpus image's dpkg status file (DRYDOCK_DEBIAN_STATUS)");
    };
    let input = pairs(&versions, PAIRS * 11 / 10, DPKG_EXTRAS, 1);
    let mut cmd = Command::new(&py);
    cmd.args([
        "-c",
        "import sys, apt_pkg\napt_pkg.init_system()\nout = []\nfor l in sys.stdin:\n    a, b = l.rstrip('\\n').split('\\t')\n    r = apt_pkg.version_compare(a, b)\n    out.append('-1' if r < 0 else '1' if r > 0 else '0')\nprint('\\n'.join(out))",
    ]);
    let reference = run_reference(cmd, &input).expect("python3-apt ran");
    let (n, bad) = check(Scheme::Dpkg, &input, &reference, false);
    assert!(n >= PAIRS, "only {n} pairs were valid dpkg versions");
    report(Scheme::Dpkg, n, &bad);

    // And a sample with dpkg itself, one process per question as dpkg has no batch mode.
    let mut checked = 0;
    let mut bad = Vec::new();
    for (a, b) in input.iter().step_by(input.len() / 2500) {
        let Ok(want) = compare(Scheme::Dpkg, a, b) else {
            continue;
        };
        let q = |op: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", a, op, b])
                .stderr(Stdio::null())
                .status()
                .map(|s| s.code() == Some(0))
        };
        let got = if q("lt").expect("dpkg ran") {
            Ordering::Less
        } else if q("eq").expect("dpkg ran") {
            Ordering::Equal
        } else {
            Ordering::Greater
        };
        checked += 1;
        if got != want {
            bad.push(format!("`{a}` vs `{b}`: dpkg {got:?}, drydock {want:?}"));
        }
    }
    assert!(checked >= 2000, "only {checked} pairs checked with dpkg");
    eprintln!("deb: {checked} pairs compared with dpkg --compare-versions");
    report(Scheme::Dpkg, checked, &bad);
}

// ----------------------------------------------------------------------------------------- rpm

const RPM_EXTRAS: &[&str] = &[
    "~", "^", "^git1", "~rc1", ".1", "-1", "a", "_1", "+", "1:", "0", ".el9", ".el9_2", "~~", "^~",
];

#[test]
fn rpm_matches_rpm_vercmp() {
    if !has("rpm", &["--version"]) {
        return missing("rpm");
    }
    let mut versions = corpus::rpm_packages();
    versions.extend(corpus::debian_status().unwrap_or_default());
    versions.extend(
        [
            "1.0^git1",
            "1.0~rc1",
            "1:2.0-1.el9",
            "2.0-1.el9_2",
            "5.5p1",
            "5.5p10",
            "10xyz",
            "xyz10",
            "1.0aa",
            "0:1.0",
        ]
        .map(String::from),
    );
    versions.sort();
    versions.dedup();
    let input = pairs(&versions, PAIRS * 11 / 10, RPM_EXTRAS, 2);
    // Only pairs both sides accept go to rpm (rpm.vercmp errors on some text we refuse).
    let valid: Vec<(String, String)> = input
        .into_iter()
        .filter(|(a, b)| validate(Scheme::Rpm, a).is_ok() && validate(Scheme::Rpm, b).is_ok())
        .collect();
    let dir = std::env::temp_dir().join(format!("drydock-rpm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (inp, out) = (dir.join("pairs"), dir.join("answers"));
    let text: String = valid.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    std::fs::write(&inp, text).expect("write pairs");
    let lua = format!(
        "%{{lua: local o = io.open('{}', 'w') for l in io.lines('{}') do local a, b = l:match('^(.-)\\t(.*)$') o:write(tostring(rpm.vercmp(a, b)), '\\n') end o:close()}}",
        out.display(),
        inp.display()
    );
    let st = Command::new("rpm")
        .args(["--eval", &lua])
        .stdout(Stdio::null())
        .status()
        .expect("rpm ran");
    assert!(st.success());
    let reference: Vec<String> = std::fs::read_to_string(&out)
        .expect("rpm answers")
        .lines()
        .map(str::to_string)
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(reference.len(), valid.len());
    assert!(valid.len() >= PAIRS, "only {} valid rpm pairs", valid.len());
    let (n, bad) = check(Scheme::Rpm, &valid, &reference, false);
    report(Scheme::Rpm, n, &bad);
}

// -------------------------------------------------------------------------------------- pep440

const PEP440_EXTRAS: &[&str] = &[
    "a1", "b2", "rc1", ".post1", ".dev0", "+local.1", "-1", ".post", "pre", "-alpha", "c1", "!1",
    ".0", "_rc", "-dev", "+abc", "post2", "r3", " ", "v", "x", ".*", "a", "..",
];

#[test]
fn pep440_matches_packaging() {
    let py = std::env::var("DRYDOCK_PACKAGING_PYTHON").unwrap_or_else(|_| "python3".into());
    if !has(&py, &["-c", "import packaging.version"]) {
        return missing("Python's `packaging`");
    }
    let Some(records) = corpus::osv_records("PyPI") else {
        return missing("the OSV PyPI feed (and `unzip`)");
    };
    let mut versions = corpus::osv_versions(&records);
    versions.extend(
        [
            "1!2.0",
            "1.0.post1.dev2",
            "1.0+abc.5",
            "v1.0",
            "1.0-1",
            "1.0c1",
        ]
        .map(String::from),
    );
    let input = pairs(&versions, PAIRS, PEP440_EXTRAS, 3);
    let mut cmd = Command::new(&py);
    cmd.args([
        "-c",
        "import sys\nfrom packaging.version import Version, InvalidVersion\nout = []\nfor l in sys.stdin:\n    a, b = l.rstrip('\\n').split('\\t')\n    try:\n        x = Version(a)\n    except InvalidVersion:\n        out.append('Ea'); continue\n    try:\n        y = Version(b)\n    except InvalidVersion:\n        out.append('Eb'); continue\n    out.append('-1' if x < y else '1' if x > y else '0')\nprint('\\n'.join(out))",
    ]);
    let reference = run_reference(cmd, &input).expect("python ran");
    let (n, bad) = check(Scheme::Pep440, &input, &reference, true);
    report(Scheme::Pep440, n, &bad);
}

// ----------------------------------------------------------------------------------------- npm

const SEMVER_EXTRAS: &[&str] = &[
    "-alpha",
    "-alpha.1",
    "-0",
    "-1",
    "+build",
    "+b.1",
    ".0",
    "-rc.1",
    "-x.7.z.92",
    "-01",
    "v",
    "=",
    " ",
    "-beta.11",
    "-beta.2",
    "-a-b",
    ".",
    "x",
    "+",
];

#[test]
fn npm_matches_node_semver() {
    let dir = std::env::var("DRYDOCK_NPM_SEMVER").unwrap_or_else(|_| "/work/cache/npm".into());
    let module = format!("{dir}/node_modules/semver");
    if !has("node", &["-e", &format!("require('{module}')")]) {
        return missing("npm's `semver` (DRYDOCK_NPM_SEMVER)");
    }
    let mut versions = Vec::new();
    for eco in ["crates.io", "Go"] {
        let Some(records) = corpus::osv_records(eco) else {
            return missing("the OSV crates.io/Go feeds (and `unzip`)");
        };
        versions.extend(
            corpus::osv_versions(&records)
                .into_iter()
                .map(|v| v.trim_start_matches('v').to_string()),
        );
    }
    versions.extend(
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+20130313144700",
        ]
        .map(String::from),
    );
    versions.sort();
    versions.dedup();
    let input = pairs(&versions, PAIRS, SEMVER_EXTRAS, 4);
    let mut cmd = Command::new("node");
    cmd.args([
        "-e",
        &format!(
            "const s = require('{module}'); const lines = require('fs').readFileSync(0, 'utf8').split('\\n'); lines.pop(); const out = lines.map(l => {{ const [a, b] = l.split('\\t'); if (s.valid(a) === null) return 'Ea'; if (s.valid(b) === null) return 'Eb'; return String(s.compare(a, b)); }}); process.stdout.write(out.join('\\n') + '\\n');"
        ),
    ]);
    let reference = run_reference(cmd, &input).expect("node ran");
    let (n, bad) = check(Scheme::Npm, &input, &reference, true);
    report(Scheme::Npm, n, &bad);
}

// --------------------------------------------------------------------------------------- maven

const MAVEN_EXTRAS: &[&str] = &[
    "-SNAPSHOT",
    "-alpha-1",
    "-beta2",
    "-rc1",
    "-cr1",
    ".Final",
    "-ga",
    "-sp1",
    "-1",
    ".0",
    "a1",
    "-m3",
    ".RELEASE",
    "-foo",
    "b",
    "--",
    ".",
    "-0",
    "-jre",
    "-android",
    "x",
];

#[test]
fn maven_matches_comparable_version() {
    let jar = std::env::var("DRYDOCK_MAVEN_ARTIFACT")
        .unwrap_or_else(|_| "/usr/share/maven/lib/maven-artifact-3.x.jar".into());
    if !std::path::Path::new(&jar).exists() || !has("java", &["-version"]) {
        return missing("Maven's maven-artifact jar and java");
    }
    let mut versions: Vec<String> = [
        "1",
        "1.0",
        "1.0.0",
        "1-SNAPSHOT",
        "1.0-alpha-1",
        "1.0-beta-2",
        "1.0-rc1",
        "1.0-cr2",
        "1.0.Final",
        "1.0-ga",
        "1.0-sp1",
        "2.0.a",
        "2-1",
        "2.1b",
        "31.1-jre",
        "31.1-android",
        "5.3.20.RELEASE",
        "2.13.4.2",
        "9.4.48.v20220622",
        "1.2.3-20230101.120000-1",
        "3.0.0-M5",
    ]
    .map(String::from)
    .to_vec();
    // Real Maven-style versions: the Debian and rpm ones are shaped alike (dots, dashes, letters).
    versions.extend(corpus::debian_status().unwrap_or_default());
    versions.extend(corpus::rpm_packages());
    versions.retain(|v| validate(Scheme::Maven, v).is_ok());
    versions.sort();
    versions.dedup();
    let input = pairs(&versions, PAIRS, MAVEN_EXTRAS, 5);
    let input: Vec<(String, String)> = input
        .into_iter()
        .filter(|(a, b)| validate(Scheme::Maven, a).is_ok() && validate(Scheme::Maven, b).is_ok())
        .collect();
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/MavenCompare.java"
    );
    let mut cmd = Command::new("java");
    cmd.args(["-cp", &jar, src]);
    let reference = run_reference(cmd, &input).expect("java ran");
    let (n, bad) = check(Scheme::Maven, &input, &reference, false);
    assert!(n >= PAIRS, "only {n} Maven pairs");
    report(Scheme::Maven, n, &bad);
}

//! Issue 18: `drydock attest` and `drydock verify-attestation` — envelopes on disk, an
//! independent verifier (Python `securesystemslib` / `cryptography`), the round trip through
//! the loopback `docker-registry` in cosign's `.att` layout, and every rejection with its exit
//! code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::registry::{Registry, which};
use crate::{assert_success, drydock, require, shared, stdout_json};

const SUBJECT: &str = "sha256:6e0f8a9f3c3b0b8b5c6f1b0f6a8e9d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978";

/// A `drydock` command without ambient registry credentials or CI environment (the statement
/// records GitHub/GitLab run URLs when it finds them).
fn dd() -> Command {
    let mut c = drydock();
    for v in [
        "DRYDOCK_USERNAME",
        "DRYDOCK_PASSWORD",
        "DRYDOCK_ATTEST_KEY",
        "GITHUB_RUN_ID",
        "CI_JOB_ID",
    ] {
        c.env_remove(v);
    }
    c.env(
        "DOCKER_CONFIG",
        std::env::temp_dir().join("drydock-no-docker-config"),
    );
    c
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// `openssl genpkey` P-256 key pair in `dir` named `name`: (private PKCS#8, public SPKI).
fn keypair(dir: &Path, name: &str) -> Option<(PathBuf, PathBuf)> {
    let openssl = require("`openssl` (Debian package openssl)", which("openssl"))?;
    let (key, public) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    );
    let out = Command::new(&openssl)
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .output()
        .expect("run openssl");
    assert_success(&out, "openssl genpkey");
    let out = Command::new(&openssl)
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .output()
        .expect("run openssl");
    assert_success(&out, "openssl pkey -pubout");
    Some((key, public))
}

/// The JSON report of `drydock image TARGET` (extra args after it) with the scan time `epoch`.
fn scan_report(target: &str, extra: &[&str], epoch: i64, out: &Path) {
    let o = dd()
        .arg("image")
        .arg(target)
        .arg("--db")
        .arg(crate::scan::db())
        .args(["--format", "json", "--output"])
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .output()
        .expect("run drydock image");
    assert_success(&o, "drydock image");
}

fn alpine373() -> String {
    shared()
        .join("data/images/alpine-3.7.3-minirootfs.tar.gz")
        .display()
        .to_string()
}

fn attest(report: &Path, subject: &str, key: &Path, extra: &[&str]) -> Output {
    dd().arg("attest")
        .arg(report)
        .args(["--subject", subject, "--key"])
        .arg(key)
        .args(extra)
        .output()
        .expect("run drydock attest")
}

fn verify_file(envelope: &Path, subject: &str, key: &Path, extra: &[&str]) -> Output {
    dd().args(["verify-attestation", "--envelope"])
        .arg(envelope)
        .args(["--subject", subject, "--key"])
        .arg(key)
        .args(extra)
        .output()
        .expect("run drydock verify-attestation")
}

/// `drydock verify-attestation IMAGE --insecure --key KEY …` against the loopback registry.
fn verify(image: &str, key: &Path, extra: &[&str]) -> Output {
    dd().args(["verify-attestation", image, "--insecure", "--key"])
        .arg(key)
        .args(extra)
        .output()
        .expect("run drydock verify-attestation")
}

#[track_caller]
fn code(out: &Output, expected: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(expected), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
}

/// A fresh report of the Alpine 3.7.3 rootfs (CVE-2019-14697, CRITICAL, in musl and
/// musl-utils), its envelope, and keys: everything in `dir`.
struct Signed {
    envelope: PathBuf,
    key: PathBuf,
    public: PathBuf,
    other_public: PathBuf,
    report: PathBuf,
}

fn signed(dir: &Path, epoch: i64) -> Option<Signed> {
    let (key, public) = keypair(dir, "signer")?;
    let (_, other_public) = keypair(dir, "other")?;
    let report = dir.join("report.json");
    scan_report(&alpine373(), &[], epoch, &report);
    let envelope = dir.join("report.att.json");
    let out = attest(
        &report,
        SUBJECT,
        &key,
        &["--output", envelope.to_str().expect("UTF-8")],
    );
    assert_success(&out, "drydock attest");
    Some(Signed {
        envelope,
        key,
        public,
        other_public,
        report,
    })
}

#[test]
fn envelope_on_disk_verifies_and_each_check_rejects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(s) = signed(dir.path(), now() - 3600) else {
        return;
    };
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&s.envelope).expect("read")).expect("JSON");
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");

    code(
        &verify_file(&s.envelope, SUBJECT, &s.public, &[]),
        0,
        "verified",
    );
    code(
        &verify_file(
            &s.envelope,
            SUBJECT,
            &s.public,
            &["--max-age", "2h", "--deny-severity", "LOW"],
        ),
        0,
        "CRITICAL 2",
    );
    // Denied severity: 5.
    code(
        &verify_file(
            &s.envelope,
            SUBJECT,
            &s.public,
            &["--deny-severity", "critical,HIGH"],
        ),
        5,
        "CVE-2019-14697 (musl, CRITICAL)",
    );
    // Stale: 4.
    code(
        &verify_file(&s.envelope, SUBJECT, &s.public, &["--max-age", "30m"]),
        4,
        "older than the allowed 30m",
    );
    // Wrong key: 3.
    code(
        &verify_file(&s.envelope, SUBJECT, &s.other_public, &[]),
        3,
        "no signature verifies",
    );
    // Wrong subject: 3.
    let other = format!("sha256:{}", "ab".repeat(32));
    code(
        &verify_file(&s.envelope, &other, &s.public, &[]),
        3,
        "the statement is about",
    );
    // Tampered payload (a finding removed from the statement): 3.
    let mut tampered = env.clone();
    let payload = decode(env["payload"].as_str().expect("payload"));
    let text = String::from_utf8(payload).expect("UTF-8");
    let forged = text.replace("\"CRITICAL\"", "\"LOW\"");
    assert_ne!(text, forged);
    tampered["payload"] = encode(forged.as_bytes()).into();
    let path = dir.path().join("tampered.json");
    std::fs::write(&path, serde_json::to_vec(&tampered).expect("JSON")).expect("write");
    code(
        &verify_file(&path, SUBJECT, &s.public, &[]),
        3,
        "no signature verifies",
    );
    // Bad input: 2.
    code(
        &verify_file(&s.report, SUBJECT, &s.public, &[]),
        2,
        "malformed DSSE envelope",
    );
    code(
        &verify_file(
            &s.envelope,
            SUBJECT,
            &s.public,
            &["--deny-severity", "SEVERE"],
        ),
        2,
        "unknown severity `SEVERE`",
    );
}

#[test]
fn stale_scan_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Scanned two days ago.
    let Some(s) = signed(dir.path(), now() - 2 * 86400) else {
        return;
    };
    code(
        &verify_file(&s.envelope, SUBJECT, &s.public, &["--max-age", "24h"]),
        4,
        "2d",
    );
    code(
        &verify_file(&s.envelope, SUBJECT, &s.public, &["--max-age", "3d"]),
        0,
        "verified",
    );
}

#[test]
fn signatures_are_deterministic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(s) = signed(dir.path(), 1_700_000_000) else {
        return;
    };
    let again = attest(&s.report, SUBJECT, &s.key, &[]);
    let first = std::fs::read(&s.envelope).expect("read");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim_end(),
        String::from_utf8_lossy(&first)
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((key, public)) = keypair(dir.path(), "k") else {
        return;
    };
    let report = dir.path().join("report.json");
    scan_report(&alpine373(), &[], 1_700_000_000, &report);
    // A public key where the private one is needed.
    code(
        &attest(&report, SUBJECT, &public, &[]),
        2,
        "a public key, where a private key is needed",
    );
    // A tag is not a subject.
    code(
        &attest(&report, "ghcr.io/org/app:1.0", &key, &[]),
        2,
        "name the digest pods pull",
    );
    // --push needs a repository.
    code(
        &attest(&report, SUBJECT, &key, &["--push"]),
        2,
        "--push needs the image's repository",
    );
    // Not a report.
    code(
        &attest(&key, SUBJECT, &key, &[]),
        2,
        "is not a drydock JSON report",
    );
}

fn decode(s: &str) -> Vec<u8> {
    let py = Command::new("python3")
        .args([
            "-c",
            "import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.argv[1]))",
            s,
        ])
        .output()
        .expect("python3");
    assert_success(&py, "base64 decode");
    py.stdout
}

fn encode(b: &[u8]) -> String {
    let mut c = Command::new("python3")
        .args([
            "-c",
            "import base64,sys; print(base64.b64encode(sys.stdin.buffer.read()).decode())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    c.stdin.take().expect("stdin").write_all(b).expect("write");
    let out = c.wait_with_output().expect("python3");
    assert_success(&out, "base64 encode");
    String::from_utf8(out.stdout)
        .expect("ASCII")
        .trim()
        .to_string()
}

/// Python with `securesystemslib` and `cryptography` (`.ci/setup.d/attest.sh`).
fn attest_python() -> Option<PathBuf> {
    let p = std::env::var_os("DRYDOCK_ATTEST_PYTHON").map(PathBuf::from);
    require(
        "DRYDOCK_ATTEST_PYTHON (a Python with securesystemslib, see .ci/setup.d/attest.sh)",
        p.filter(|p| p.is_file()),
    )
}

/// Checks an envelope file with a public key the way other implementations do: `cryptography`
/// on a PAE built from the DSSE spec, then `securesystemslib`'s `Envelope.verify`. Prints `ok`.
const INDEPENDENT: &str = r#"
import base64, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

doc = json.load(open(sys.argv[1]))
pem = open(sys.argv[2], "rb").read()
body = base64.b64decode(doc["payload"])
ptype = doc["payloadType"].encode()
pae = b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(body), body)
public = serialization.load_pem_public_key(pem)
try:
    public.verify(base64.b64decode(doc["signatures"][0]["sig"]), pae, ec.ECDSA(hashes.SHA256()))
    crypto = "ok"
except InvalidSignature:
    crypto = "bad"
key = SSlibKey(doc["signatures"][0].get("keyid", ""), "ecdsa", "ecdsa-sha2-nistp256",
               {"public": pem.decode()})
try:
    Envelope.from_dict(doc).verify([key], 1)
    sslib = "ok"
except VerificationError:
    sslib = "bad"
statement = json.loads(body)
print(crypto, sslib, statement["predicateType"], statement["subject"][0]["digest"]["sha256"])
"#;

fn independent(python: &Path, envelope: &Path, public: &Path) -> String {
    let out = Command::new(python)
        .args(["-c", INDEPENDENT])
        .arg(envelope)
        .arg(public)
        .output()
        .expect("run python");
    assert_success(&out, "the independent verifier");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

#[test]
fn an_independent_implementation_verifies_the_envelope() {
    let Some(python) = attest_python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(s) = signed(dir.path(), 1_700_000_000) else {
        return;
    };
    let hex = &SUBJECT["sha256:".len()..];
    let vuln = "https://cosign.sigstore.dev/attestation/vuln/v1";
    assert_eq!(
        independent(&python, &s.envelope, &s.public),
        format!("ok ok {vuln} {hex}")
    );
    assert_eq!(
        independent(&python, &s.envelope, &s.other_public),
        format!("bad bad {vuln} {hex}")
    );
    // A severity downgraded in the payload breaks both.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&s.envelope).expect("read")).expect("JSON");
    let body = String::from_utf8(decode(doc["payload"].as_str().expect("payload"))).expect("UTF-8");
    let forged = body.replacen("\"CRITICAL\"", "\"LOW\"", 1);
    assert_ne!(body, forged);
    doc["payload"] = encode(forged.as_bytes()).into();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&doc).expect("JSON")).expect("write");
    assert!(independent(&python, &tampered, &s.public).starts_with("bad bad "));
}

fn skopeo_raw(reference: &str) -> serde_json::Value {
    let skopeo = which("skopeo").expect("skopeo (checked by Registry::start)");
    let out = Command::new(skopeo)
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .expect("run skopeo");
    stdout_json(&out, "skopeo inspect --raw")
}

#[test]
fn round_trip_through_the_registry_in_cosigns_layout() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((key, public)) = keypair(dir.path(), "signer") else {
        return;
    };
    let Some((_, other_public)) = keypair(dir.path(), "other") else {
        return;
    };
    let tagged = reg.push_alpine("team/app:1.0", None);
    let digest = reg.manifest_digest(&tagged);
    let repo = tagged.trim_end_matches(":1.0").to_string();
    let by_digest = format!("{repo}@{digest}");

    // Scan the image as pulled by digest, attest it and push, twice (a re-scan a day later
    // appends a second attestation).
    let none = verify(&tagged, &public, &[]);
    code(&none, 3, "no attestation found");
    for (i, epoch) in [now() - 2 * 86400, now() - 600].into_iter().enumerate() {
        let report = dir.path().join(format!("report-{i}.json"));
        scan_report(&by_digest, &["--insecure"], epoch, &report);
        let out = attest(&report, &by_digest, &key, &["--push", "--insecure"]);
        code(&out, 0, &format!("({} attestation", i + 1));
    }
    let hex = digest.trim_start_matches("sha256:");
    let att = skopeo_raw(&format!("{repo}:sha256-{hex}.att"));
    let layers = att["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2, "{att}");
    for l in layers {
        assert_eq!(l["mediaType"], "application/vnd.dsse.envelope.v1+json");
        assert_eq!(l["annotations"]["dev.cosignproject.cosign/signature"], "");
        assert_eq!(
            l["annotations"]["predicateType"],
            "https://cosign.sigstore.dev/attestation/vuln/v1"
        );
    }
    assert_eq!(
        att["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );

    // By tag and by digest; the newer scan decides the age check.
    code(
        &verify(&tagged, &public, &["--max-age", "1h"]),
        0,
        "2 attestations",
    );
    code(&verify(&by_digest, &public, &[]), 0, "verified");
    code(
        &verify(&tagged, &other_public, &[]),
        3,
        "no signature verifies",
    );
    code(
        &verify(&tagged, &public, &["--max-age", "5m"]),
        4,
        "older than",
    );
    code(
        &verify(
            &tagged,
            &public,
            &["--subject", &format!("sha256:{}", "cd".repeat(32))],
        ),
        2,
        "not the --subject",
    );
    // Alpine 3.10 has no findings in the shared feeds: nothing to deny.
    code(
        &verify(&tagged, &public, &["--deny-severity", "CRITICAL,HIGH"]),
        0,
        "verified",
    );

    // The same envelope pushed again is stored once.
    let report = dir.path().join("report-1.json");
    let out = attest(&report, &by_digest, &key, &["--push", "--insecure"]);
    code(&out, 0, "already in");
    assert_eq!(
        skopeo_raw(&format!("{repo}:sha256-{hex}.att"))["layers"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

/// The DSSE envelope file at `path`, its statement decoded.
fn statement_of(path: &Path) -> serde_json::Value {
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read the envelope")).expect("JSON");
    let payload = decode(env["payload"].as_str().expect("payload"));
    serde_json::from_slice(&payload).expect("statement JSON")
}

/// `scanner.db` names the DB the scan used: schema version and build time as `drydock db
/// status --json` reports them, and the sha256 of the file.
#[track_caller]
fn assert_db_recorded(statement: &serde_json::Value) {
    use sha2::Digest as _;
    let db = &statement["predicate"]["scanner"]["db"];
    let status = dd()
        .args(["db", "status", "--json", "--db"])
        .arg(crate::scan::db())
        .output()
        .expect("run drydock db status");
    let status = stdout_json(&status, "drydock db status --json");
    assert_eq!(db["uri"], "pkg:generic/drydock-db", "{db}");
    assert_eq!(db["version"], status["schema_version"].to_string(), "{db}");
    assert_eq!(db["updatedAt"], status["built_at_rfc3339"], "{db}");
    let bytes = std::fs::read(crate::scan::db()).expect("read the DB");
    assert_eq!(
        db["digest"],
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes))),
        "{db}"
    );
}

/// `drydock image … --attest KEY` for images on disk: an OCI layout's subject is the digest in
/// its index.json (the index, for a multi-platform layout — not the platform manifest
/// scanned); the envelope goes beside the report and verifies; a docker-archive has no push
/// digest and needs `--attest-subject`; `--attest-push` needs a registry; `drydock fs` refuses.
#[test]
fn image_attest_on_disk_names_the_index_digest_and_the_db() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((key, public)) = keypair(dir.path(), "signer") else {
        return;
    };
    let Some(skopeo) = require("`skopeo` (Debian package skopeo)", which("skopeo")) else {
        return;
    };
    let (amd, _arm) = crate::registry::multi_platform_layout(&skopeo, dir.path());
    let layout = dir.path().join("multi");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json"))
            .expect("JSON");
    let index_digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let target = format!("{}:multi", layout.display());
    let image = |extra: &[&str]| {
        dd().args(["image", &target, "--db"])
            .arg(crate::scan::db())
            .args(extra)
            .output()
            .expect("run drydock image")
    };
    let report = dir.path().join("out/report.json");
    std::fs::create_dir_all(dir.path().join("out")).expect("mkdir");
    let report_arg = report.to_str().expect("UTF-8");
    let key_arg = key.to_str().expect("UTF-8");
    let out = image(&[
        "--format", "json", "--output", report_arg, "--attest", key_arg,
    ]);
    code(&out, 0, "report.att.json");
    let envelope = dir.path().join("out/report.att.json");
    let st = statement_of(&envelope);
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        index_digest.trim_start_matches("sha256:")
    );
    assert!(st["subject"][0].get("name").is_none(), "{st}");
    // The scanned manifest is amd64's, the subject the index that lists it.
    let scanned: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    assert_eq!(scanned["targets"][0]["digest"], amd.as_str());
    assert_ne!(amd, index_digest);
    assert_db_recorded(&st);
    code(
        &verify_file(&envelope, &index_digest, &public, &[]),
        0,
        "verified",
    );
    code(&verify_file(&envelope, &amd, &public, &[]), 3, "not `");
    // `drydock attest` of the saved report records the DB only when told which.
    let later = dir.path().join("later.att.json");
    let later_arg = later.to_str().expect("UTF-8");
    let out = attest(&report, &index_digest, &key, &["--output", later_arg]);
    assert_success(&out, "drydock attest");
    assert_eq!(
        statement_of(&later)["predicate"]["scanner"]["db"]["uri"],
        ""
    );
    let db_path = crate::scan::db().to_str().expect("UTF-8");
    let out = attest(
        &report,
        &index_digest,
        &key,
        &["--output", later_arg, "--db", db_path],
    );
    assert_success(&out, "drydock attest --db");
    assert_db_recorded(&statement_of(&later));

    // A docker-archive: no digest a registry would serve, unless given.
    let archive = shared().join("data/images/alpine-3.10.docker-archive.tar.gz");
    let archive_arg = archive.to_str().expect("UTF-8");
    let db_arg = crate::scan::db().to_str().expect("UTF-8");
    let mut args = vec!["image", archive_arg, "--db", db_arg, "--attest", key_arg];
    code(
        &dd().args(&args).output().expect("run"),
        2,
        "--attest-subject REF@sha256:",
    );
    let pinned = format!("registry.example/team/app@{SUBJECT}");
    let att = dir.path().join("archive.att.json");
    args.extend([
        "--attest-subject",
        &pinned,
        "--attest-output",
        att.to_str().expect("UTF-8"),
    ]);
    code(
        &dd().args(&args).output().expect("run"),
        0,
        "attestation about",
    );
    let st = statement_of(&att);
    assert_eq!(st["subject"][0]["name"], "registry.example/team/app");
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        SUBJECT.trim_start_matches("sha256:")
    );

    // Pushing needs a repository; `drydock fs` has no image to attest.
    code(
        &image(&["--attest", key_arg, "--attest-push"]),
        2,
        "not in a registry",
    );
    let out = dd()
        .args(["fs", ".", "--db", db_arg, "--attest", key_arg])
        .output()
        .expect("run drydock fs");
    code(&out, 2, "`--attest` signs a scan of an image");
}

/// `drydock image REF:TAG --attest KEY --attest-push` on a multi-platform image in the loopback
/// registry: the subject is the index digest the tag names (what pods pull), pushed in cosign's
/// layout beside it, and `drydock verify-attestation` accepts it by tag.
#[test]
fn image_attest_push_round_trip_by_tag() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((key, public)) = keypair(dir.path(), "signer") else {
        return;
    };
    let (amd, _arm) = crate::registry::multi_platform_layout(&reg.skopeo, dir.path());
    let tagged = reg.push(
        &format!("oci:{}:multi", dir.path().join("multi").display()),
        "team/multi:1",
        None,
        true,
    );
    let index = reg.manifest_digest(&tagged);
    assert_ne!(index, amd);
    let repo = tagged.trim_end_matches(":1").to_string();
    let envelope = dir.path().join("multi.att.json");
    let out = dd()
        .args(["image", &tagged, "--insecure", "--db"])
        .arg(crate::scan::db())
        .args(["--format", "json", "--attest"])
        .arg(&key)
        .arg("--attest-output")
        .arg(&envelope)
        .arg("--attest-push")
        .output()
        .expect("run drydock image --attest-push");
    code(&out, 0, "(1 attestation there");
    let st = statement_of(&envelope);
    assert_eq!(st["subject"][0]["name"], repo.as_str());
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        index.trim_start_matches("sha256:")
    );
    assert_db_recorded(&st);
    let hex = index.trim_start_matches("sha256:");
    let att = skopeo_raw(&format!("{repo}:sha256-{hex}.att"));
    assert_eq!(att["layers"].as_array().map(Vec::len), Some(1), "{att}");
    code(
        &verify(&tagged, &public, &["--max-age", "1h"]),
        0,
        &format!("({index}, 1 attestations)"),
    );
    // By the platform manifest's digest there is nothing: the attestation is the index's.
    code(
        &verify(&format!("{repo}@{amd}"), &public, &[]),
        3,
        "no attestation found",
    );
}

//! The report the writer tests share: the real inventory of the Alpine 3.7.3 minirootfs, with
//! findings built from the real advisory data in `../shared/data/advisories` (the Alpine 3.7
//! secdb fix for CVE-2019-14697 in musl, NVD's record of it), plus one finding of each other
//! verdict, a notice and a policy notice so every writer shows every section.

use std::path::PathBuf;

use drydock_match::{
    CvssScore, Finding, FindingStatus, Notice, Severity, SeveritySource, fingerprint,
};
use drydock_package::{Ecosystem, ScanWarning};
use drydock_policy::{CheckVerdict, Decision, PolicyNotice, PolicyNoticeKind, Verdict};
use drydock_report::{Gate, LayerSummary, MisconfigEntry, Report, ReportKind, TargetReport};
use serde_json::Value;

pub const CREATED_AT: &str = "2026-11-23T10:00:00Z";
pub const IMAGE: &str = "alpine-3.7.3-minirootfs.tar.gz";

pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The inventory-only target for the Alpine 3.7.3 rootfs tarball.
pub fn alpine_target() -> TargetReport {
    let path = shared().join("data/images").join(IMAGE);
    let target = drydock_image::open(
        path.to_str().expect("the shared path is UTF-8"),
        &Default::default(),
    )
    .expect("open the alpine rootfs tarball");
    let result =
        drydock_inventory::inventory(&target, drydock_inventory::Mode::Image, &Default::default())
            .expect("inventory of the alpine rootfs");
    let mut t = TargetReport::new(IMAGE, "directory");
    if let drydock_image::Target::Image(img) = &target {
        t.kind = img.kind.as_str().to_string();
        t.digest = img
            .manifest_digest
            .as_ref()
            .or(img.config_digest.as_ref())
            .map(|d| d.to_string());
        t.platform = img.platform.clone();
    }
    t.layers = result
        .layers
        .iter()
        .map(|l| LayerSummary {
            index: l.index,
            digest: l.digest.as_ref().map(|d| d.to_string()),
            diff_id: l.diff_id.as_ref().map(|d| d.to_string()),
            size: l.size,
            created_by: l.created_by.clone(),
        })
        .collect();
    let mut inv = result.inventory;
    inv.normalize();
    t.set_inventory(inv.os, inv.packages);
    t
}

pub fn sbom_report() -> Report {
    let mut r = Report::new(ReportKind::Sbom, CREATED_AT);
    r.targets.push(alpine_target());
    r
}

/// NVD's record of `id` from the shared feed snapshot.
fn nvd(id: &str) -> Value {
    let path = shared().join("data/advisories/nvd/cves-0001.json");
    let text = std::fs::read_to_string(&path).expect("read the NVD snapshot");
    let doc: Value = serde_json::from_str(&text).expect("NVD JSON");
    doc["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities array")
        .iter()
        .map(|v| &v["cve"])
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is in the NVD snapshot"))
}

/// The fixed version the Alpine 3.7 secdb gives for `id` in `origin`.
fn secdb_fix(origin: &str, id: &str) -> String {
    let path = shared().join("data/advisories/alpine-secdb/v3.7/main.json");
    let text = std::fs::read_to_string(&path).expect("read the secdb");
    let doc: Value = serde_json::from_str(&text).expect("secdb JSON");
    for p in doc["packages"].as_array().expect("packages") {
        if p["pkg"]["name"] == origin {
            for (version, ids) in p["pkg"]["secfixes"].as_object().expect("secfixes") {
                if ids.as_array().is_some_and(|a| a.iter().any(|i| i == id)) {
                    return version.clone();
                }
            }
        }
    }
    panic!("{id} has a fix for {origin} in the v3.7 secdb")
}

fn cvss_from_nvd(cve: &Value) -> Vec<CvssScore> {
    let mut out = Vec::new();
    for (key, version) in [("cvssMetricV31", "3.1"), ("cvssMetricV2", "2.0")] {
        for m in cve["metrics"][key].as_array().into_iter().flatten() {
            let data = &m["cvssData"];
            let severity = data["baseSeverity"]
                .as_str()
                .or(m["baseSeverity"].as_str())
                .and_then(Severity::parse_loose)
                .unwrap_or(Severity::Unknown);
            out.push(CvssScore {
                source: m["source"].as_str().unwrap_or_default().to_string(),
                version: version.to_string(),
                vector: data["vectorString"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                base_score: data["baseScore"].as_f64().unwrap_or_default(),
                base_severity: severity,
                environmental_vector: None,
                environmental_score: None,
                environmental_severity: None,
            });
        }
    }
    out
}

/// A finding for the package `name` of `t` and the NVD record `id`, with the given status and
/// fix.
fn finding(t: &TargetReport, name: &str, id: &str, fixed: Option<String>) -> Finding {
    let entry = t
        .packages
        .iter()
        .find(|p| p.package.name == name)
        .unwrap_or_else(|| panic!("{name} is installed in the rootfs"));
    let cve = nvd(id);
    let cvss = cvss_from_nvd(&cve);
    let severity = cvss
        .iter()
        .find(|c| c.version == "3.1")
        .map_or(Severity::Unknown, |c| c.base_severity);
    let description = cve["descriptions"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["lang"] == "en"))
        .and_then(|x| x["value"].as_str())
        .map(str::to_string);
    let mut references: Vec<String> = cve["references"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["url"].as_str().map(str::to_string))
        .collect();
    references.sort();
    references.dedup();
    let cwes = cve["weaknesses"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|w| w["description"].as_array().into_iter().flatten())
        .filter_map(|d| d["value"].as_str().map(str::to_string))
        .collect();
    let pkg = &entry.package;
    Finding {
        target: t.name.clone(),
        ecosystem: pkg.ecosystem,
        package: pkg.name.clone(),
        installed: pkg.version.clone(),
        source_package: pkg.source.clone(),
        purl: entry.purl.clone(),
        id: id.to_string(),
        aliases: Vec::new(),
        status: if fixed.is_some() {
            FindingStatus::Fixed
        } else {
            FindingStatus::Unfixed
        },
        fixed,
        severity,
        severity_source: SeveritySource::Nvd,
        environmental_severity: None,
        cvss,
        title: description.as_ref().map(|d| {
            // NVD has no titles; the first sentence of the description stands in.
            d.split(". ")
                .next()
                .unwrap_or(d)
                .trim_end_matches('.')
                .to_string()
        }),
        description,
        primary_url: Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
        references,
        published: cve["published"].as_str().map(str::to_string),
        modified: cve["lastModified"].as_str().map(str::to_string),
        cwes,
        locations: pkg.locations.clone(),
        evidence: None,
        fingerprint: fingerprint(&t.name, pkg.ecosystem, &pkg.name, id),
    }
}

fn decision(f: Finding, verdict: Verdict) -> Decision {
    Decision {
        finding: f,
        verdict,
        reason: None,
        suppressed_by: None,
        expires: None,
    }
}

pub fn vulnerability_report() -> Report {
    let mut t = alpine_target();
    let fix = secdb_fix("musl", "CVE-2019-14697");
    let mut findings = vec![
        decision(
            finding(&t, "musl", "CVE-2019-14697", Some(fix.clone())),
            Verdict::Fail,
        ),
        decision(
            finding(&t, "musl-utils", "CVE-2019-14697", Some(fix)),
            Verdict::Fail,
        ),
    ];
    findings.extend(extra_decisions(&t));
    t.findings = findings;
    t.notices.push(Notice {
        target: t.name.clone(),
        ecosystem: Ecosystem::Apk,
        package: "scanelf".into(),
        installed: version_of(&t, "scanelf"),
        id: "DRYDOCK-TEST-NOTICE".into(),
        kind: "unmaintained".into(),
        title: Some("Test notice: a warning that is not a vulnerability".into()),
        url: None,
        locations: Vec::new(),
    });
    let mut r = Report::new(ReportKind::Vulnerability, CREATED_AT);
    r.targets.push(t);
    r.policy_notices.push(PolicyNotice {
        kind: PolicyNoticeKind::Expired,
        source: ".drydockignore.yaml:4".into(),
        id: "CVE-2018-0732".into(),
        message: "expired on 2026-01-31; it no longer suppresses".into(),
    });
    r.errors.push(ScanWarning {
        path: "usr/lib/python3.6/site-packages/broken.dist-info/METADATA".into(),
        layer: None,
        source: "python".into(),
        message: "test warning: no `Name:` header".into(),
    });
    r.gate = Some(Gate {
        failed: true,
        fail_on: Some(Severity::High),
        counted: 2,
    });
    r
}

fn version_of(t: &TargetReport, name: &str) -> String {
    t.packages
        .iter()
        .find(|p| p.package.name == name)
        .map(|p| p.package.version.clone())
        .unwrap_or_else(|| panic!("{name} is installed"))
}

/// A suppressed and a filtered finding on packages the rootfs really has. The advisory data is
/// made up for the test (ids say so), since the shared feeds hold no other advisory for them.
fn extra_decisions(t: &TargetReport) -> Vec<Decision> {
    let mut out = Vec::new();
    for (name, id, severity, verdict, reason) in [
        (
            "busybox",
            "DRYDOCK-TEST-0001",
            Severity::High,
            Verdict::Suppressed,
            "not reachable: the image runs no shell <script>alert(1)</script>",
        ),
        (
            "zlib",
            "DRYDOCK-TEST-0002",
            Severity::Low,
            Verdict::Filtered,
            "severity LOW below --severity HIGH,CRITICAL",
        ),
    ] {
        let entry = t
            .packages
            .iter()
            .find(|p| p.package.name == name)
            .unwrap_or_else(|| panic!("{name} is installed"));
        let pkg = &entry.package;
        let f = Finding {
            target: t.name.clone(),
            ecosystem: pkg.ecosystem,
            package: pkg.name.clone(),
            installed: pkg.version.clone(),
            source_package: pkg.source.clone(),
            purl: entry.purl.clone(),
            id: id.to_string(),
            aliases: vec![],
            fixed: None,
            status: FindingStatus::Unfixed,
            severity,
            severity_source: SeveritySource::Vendor("alpine".into()),
            environmental_severity: None,
            cvss: vec![],
            title: Some(format!(
                "Test advisory for {name} | with <markup> & \"quotes\""
            )),
            description: None,
            primary_url: None,
            references: vec![],
            published: Some("2026-01-02".into()),
            modified: None,
            cwes: vec![],
            locations: pkg.locations.clone(),
            evidence: None,
            fingerprint: fingerprint(&t.name, pkg.ecosystem, &pkg.name, id),
        };
        let mut d = decision(f, verdict);
        d.reason = Some(reason.to_string());
        if verdict == Verdict::Suppressed {
            d.suppressed_by = Some(".drydockignore.yaml:9".into());
            d.expires = Some("2027-06-30".into());
        }
        out.push(d);
    }
    out
}

/// The Dockerfile [`misconfig_report`] checks: root user, a remote script piped into a shell,
/// and AWS's documented example access key in an `ENV` (a secret).
pub const DOCKERFILE: &str = "FROM alpine:3.7\nENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nRUN wget -qO- https://get.example.com/i.sh | sh\nUSER root\nCMD [\"/app\"]\n";

/// [`vulnerability_report`] with what `--scanners misconfig,secret` adds: the real checks'
/// findings on [`DOCKERFILE`], and a private key in the Alpine image's first layer that a
/// later layer deleted (DD-306). One Dockerfile finding is suppressed by an ignore entry and
/// one filtered by `--severity`, so every verdict shows.
pub fn misconfig_report() -> Report {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("Dockerfile");
    std::fs::write(&path, DOCKERFILE).expect("write the Dockerfile");
    let scan = drydock_misconfig::scan_dockerfile(&path).expect("check the Dockerfile");
    let mut findings = scan.findings;
    for f in &mut findings {
        if let drydock_misconfig::Evidence::Dockerfile { path, .. } = &mut f.evidence {
            *path = "Dockerfile".into();
        }
    }
    let mut r = vulnerability_report();
    let t = &mut r.targets[0];
    let digest = t.layers.first().and_then(|l| l.digest.clone());
    let hidden = drydock_misconfig::catalog::check("DD-306").expect("DD-306 is in the catalog");
    findings.push(drydock_misconfig::MisconfigFinding::new(
        hidden,
        "Private key deleted by a later layer but still in layer 0",
        drydock_misconfig::Severity::Critical,
        drydock_misconfig::Evidence::Layer {
            layer: Some(0),
            digest,
            path: "root/.ssh/id_rsa".into(),
            line: Some(1),
            snippet: Some(drydock_misconfig::mask(
                "-----BEGIN OPENSSH PRIVATE KEY-----",
            )),
        },
    ));
    let mut entries: Vec<MisconfigEntry> = findings
        .into_iter()
        .map(|finding| MisconfigEntry {
            finding,
            policy: CheckVerdict {
                verdict: Verdict::Fail,
                reason: None,
                suppressed_by: None,
                expires: None,
            },
        })
        .collect();
    let by_id = |entries: &mut Vec<MisconfigEntry>, id: &str| -> usize {
        entries
            .iter()
            .position(|e| e.finding.id == id)
            .unwrap_or_else(|| panic!("the checks found no {id}"))
    };
    let i = by_id(&mut entries, "DD-101");
    entries[i].policy.verdict = Verdict::Suppressed;
    entries[i].policy.reason = Some("the entrypoint drops privileges (.trivyignore:2)".into());
    let i = by_id(&mut entries, "DD-102");
    entries[i].policy.verdict = Verdict::Filtered;
    entries[i].policy.reason = Some("severity LOW not in --severity CRITICAL,HIGH".into());
    by_id(&mut entries, "DD-109");
    let (secrets, misconfigurations): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| drydock_misconfig::is_secret_check(&e.finding.id));
    assert!(
        !secrets.is_empty(),
        "the checks found the AWS key in the ENV"
    );
    t.misconfigurations = misconfigurations;
    t.secrets = secrets;
    r
}

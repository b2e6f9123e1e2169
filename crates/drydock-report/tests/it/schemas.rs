//! The sarif, cyclonedx and spdx-json outputs (also with misconfigurations and secrets) validated against the official JSON schemas
//! (installed by `.ci/setup.d/report.sh`) with Python's `jsonschema`, in one Python process.

use std::path::PathBuf;
use std::process::Command;

use drydock_report::{Format, WriteOptions};

use crate::fixture::{misconfig_report, sbom_report, vulnerability_report};
use crate::snapshots::render;
use crate::tools_required;

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.exists())
}

#[test]
fn outputs_are_valid_against_the_official_schemas() {
    let tools = (
        env_path("DRYDOCK_SCHEMA_PYTHON"),
        env_path("DRYDOCK_CYCLONEDX_SCHEMA_DIR"),
        env_path("DRYDOCK_SPDX_SCHEMA"),
        env_path("DRYDOCK_SARIF_SCHEMA"),
    );
    let (Some(python), Some(cdx_dir), Some(spdx), Some(sarif)) = tools else {
        let msg = "schema validation needs DRYDOCK_SCHEMA_PYTHON, DRYDOCK_CYCLONEDX_SCHEMA_DIR, \
                   DRYDOCK_SPDX_SCHEMA and DRYDOCK_SARIF_SCHEMA (source .ci/setup.sh)";
        assert!(!tools_required(), "{msg}");
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = WriteOptions::default();
    let docs = [
        (
            "sarif-vulnerability.json",
            Format::Sarif,
            vulnerability_report(),
            &sarif,
        ),
        ("sarif-sbom.json", Format::Sarif, sbom_report(), &sarif),
        (
            "cyclonedx-vulnerability.json",
            Format::CycloneDx,
            vulnerability_report(),
            &cdx_dir.join("bom-1.6.schema.json"),
        ),
        (
            "cyclonedx-sbom.json",
            Format::CycloneDx,
            sbom_report(),
            &cdx_dir.join("bom-1.6.schema.json"),
        ),
        (
            "cyclonedx-misconfig.json",
            Format::CycloneDx,
            misconfig_report(),
            &cdx_dir.join("bom-1.6.schema.json"),
        ),
        (
            "sarif-misconfig.json",
            Format::Sarif,
            misconfig_report(),
            &sarif,
        ),
        ("spdx-sbom.json", Format::SpdxJson, sbom_report(), &spdx),
        (
            "spdx-vulnerability.json",
            Format::SpdxJson,
            vulnerability_report(),
            &spdx,
        ),
    ];
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/validate_schemas.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script);
    for (name, format, report, schema) in &docs {
        let path = dir.path().join(name);
        std::fs::write(&path, render(report, *format, &opts)).expect("write the document");
        cmd.arg(schema).arg(&path);
    }
    cmd.arg("--resources").arg(&cdx_dir);
    let out = cmd.output().expect("run the schema validator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "schema validation failed:\n{stdout}{stderr}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("valid ")).count(),
        docs.len()
    );
}

/// The validator itself rejects what the schemas forbid, so a passing run means something.
#[test]
fn the_validator_rejects_invalid_documents() {
    let (Some(python), Some(cdx_dir)) = (
        env_path("DRYDOCK_SCHEMA_PYTHON"),
        env_path("DRYDOCK_CYCLONEDX_SCHEMA_DIR"),
    ) else {
        assert!(
            !tools_required(),
            "DRYDOCK_SCHEMA_PYTHON and DRYDOCK_CYCLONEDX_SCHEMA_DIR unset"
        );
        eprintln!("SKIPPED: schema tools not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut v: serde_json::Value = serde_json::from_str(&render(
        &vulnerability_report(),
        Format::CycloneDx,
        &WriteOptions::default(),
    ))
    .expect("JSON");
    v["vulnerabilities"][0]["ratings"][0]["method"] = "CVSSv99".into();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, v.to_string()).expect("write");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/validate_schemas.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(cdx_dir.join("bom-1.6.schema.json"))
        .arg(&path)
        .arg("--resources")
        .arg(&cdx_dir)
        .output()
        .expect("run the validator");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"));
}

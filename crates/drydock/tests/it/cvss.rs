//! Tests of `drydock cvss`.

use std::process::Output;

use serde_json::Value;

use crate::{drydock, nvd_cve};

/// The profile of issue 8: instances not on the internet, confidentiality high, integrity
/// medium, availability low.
const INTERNAL: &str = "MAV:A/CR:H/IR:M/AR:L";

/// The NVD (primary, `nvd@nist.gov`) CVSS vector of `cve` and `version` ("V31", "V2") from
/// the real NVD API page in shared data, with the base score NVD published for it.
fn nvd_vector(cve: &str, version: &str) -> (String, f64) {
    let cve_record = nvd_cve(cve);
    let metrics = cve_record["metrics"][format!("cvssMetric{version}")]
        .as_array()
        .expect("metrics of that version");
    let primary = metrics
        .iter()
        .find(|m| m["source"] == "nvd@nist.gov")
        .expect("NVD's own metric");
    let data = &primary["cvssData"];
    (
        data["vectorString"].as_str().expect("vector").to_owned(),
        data["baseScore"].as_f64().expect("score"),
    )
}

fn run(args: &[&str]) -> Output {
    drydock()
        .arg("cvss")
        .args(args)
        .output()
        .expect("run drydock")
}

#[track_caller]
fn stdout(out: &Output) -> String {
    crate::stdout(out, "drydock cvss")
}

/// CVE-2019-14697 (musl, NVD: 9.8 CRITICAL) re-scored for an internal deployment drops to
/// HIGH; table and JSON show both.
#[test]
fn rescores_nvd_vector_under_internal_profile() {
    let (vector, nvd_score) = nvd_vector("CVE-2019-14697", "V31");
    assert_eq!(vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");

    let plain: Value =
        serde_json::from_str(&stdout(&run(&[&vector, "--format", "json"]))).expect("JSON");
    assert_eq!(
        plain["base_score"].as_f64(),
        Some(nvd_score),
        "agrees with NVD"
    );

    insta::assert_snapshot!(
        "cve_2019_14697_internal_table",
        stdout(&run(&[&vector, "--env", INTERNAL]))
    );
    let json = stdout(&run(&[&vector, "--env", INTERNAL, "--format", "json"]));
    insta::assert_snapshot!("cve_2019_14697_internal_json", json);
    let v: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["base_severity"], "CRITICAL");
    assert_eq!(v["environmental_severity"], "HIGH");
}

/// The same CVE's v2 vector, in the parenthesised form some feeds use, through a named
/// profile of a config file: v2 takes CR/IR/AR and has no MAV (noted on stderr).
#[test]
fn env_profile_from_config_file_applies_to_v2() {
    let (vector, nvd_score) = nvd_vector("CVE-2019-14697", "V2");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("drydock.toml");
    std::fs::write(
        &config,
        format!(
            "[env-profiles.internal]\ndescription = \"instances are not on the internet\"\nmetrics = \"{INTERNAL}\"\n"
        ),
    )
    .expect("write config");
    let out = drydock()
        .current_dir(dir.path())
        .args(["cvss", &format!("({vector})"), "--env-profile", "internal"])
        .args(["--format", "json"])
        .output()
        .expect("run drydock");
    let json = stdout(&out);
    let v: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["base_score"].as_f64(), Some(nvd_score), "agrees with NVD");
    insta::assert_snapshot!("cve_2019_14697_v2_profile_json", json);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MAV"), "{stderr}");

    // --config names the file explicitly, from anywhere.
    let table = stdout(&run(&[
        &vector,
        "--env-profile",
        "internal",
        "--config",
        config.to_str().expect("UTF-8 path"),
    ]));
    insta::assert_snapshot!("cve_2019_14697_v2_profile_table", table);
}

#[test]
fn v4_vector_shows_threat_and_environmental() {
    let out = run(&[
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P",
        "--env",
        INTERNAL,
    ]);
    insta::assert_snapshot!("v4_internal_table", stdout(&out));
}

#[test]
fn invalid_input_is_a_one_line_error_naming_the_metric() {
    for (args, needle) in [
        (vec!["CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], "`AV`"),
        (vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"], "`A`"),
        (
            vec![
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "--env",
                "MAV:A/XR:H",
            ],
            "`XR`",
        ),
        (
            vec![
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "--env-profile",
                "dmz",
                "--config",
                "/nonexistent/drydock.toml",
            ],
            "/nonexistent/drydock.toml",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("drydock: error: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
}

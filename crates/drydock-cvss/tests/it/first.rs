//! FIRST's published examples, scored by drydock-cvss.

use drydock_cvss::{Severity, Version, parse};

/// (source, vector, base score, base severity)
///
/// v3.1: "Common Vulnerability Scoring System v3.1: Examples", FIRST
/// (https://www.first.org/cvss/v3.1/examples), one row per example, in the document's order.
const V3_1_EXAMPLES: &[(&str, &str, f64, Severity)] = &[
    (
        "phpMyAdmin reflected XSS, CVE-2013-1937",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
        Severity::Medium,
    ),
    (
        "MySQL stored SQL injection, CVE-2013-0375",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        6.4,
        Severity::Medium,
    ),
    (
        "SSLv3 POODLE, CVE-2014-3566",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
        3.1,
        Severity::Low,
    ),
    (
        "VMware guest to host escape, CVE-2012-1516",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
        9.9,
        Severity::Critical,
    ),
    (
        "Apache Tomcat XML parser, CVE-2009-0783",
        "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
        4.2,
        Severity::Medium,
    ),
    (
        "Cisco IOS arbitrary command execution, CVE-2012-0384",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        8.8,
        Severity::High,
    ),
    (
        "Apple iWork denial of service, CVE-2015-1098",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
        Severity::High,
    ),
    (
        "OpenSSL Heartbleed, CVE-2014-0160",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
        Severity::High,
    ),
    (
        "GNU Bash Shellshock, CVE-2014-6271",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        9.8,
        Severity::Critical,
    ),
    (
        "DNS Kaminsky bug, CVE-2008-1447",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
        6.8,
        Severity::Medium,
    ),
    (
        "Sophos login screen bypass, CVE-2014-2005",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        6.8,
        Severity::Medium,
    ),
    (
        "Joomla directory traversal, CVE-2010-0467",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
        5.8,
        Severity::Medium,
    ),
    (
        "Cisco access control bypass, CVE-2012-1342",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N",
        5.8,
        Severity::Medium,
    ),
    (
        "Juniper proxy ARP denial of service, CVE-2013-6014",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H",
        9.3,
        Severity::Critical,
    ),
    (
        "DokuWiki reflected XSS, CVE-2014-9253",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
        5.4,
        Severity::Medium,
    ),
    (
        "Adobe Acrobat buffer overflow, CVE-2009-0658",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
        Severity::High,
    ),
    (
        "Microsoft Windows Bluetooth RCE, CVE-2011-1265",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        8.8,
        Severity::High,
    ),
    (
        "Apple iOS security control bypass, CVE-2014-2019",
        "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
        4.6,
        Severity::Medium,
    ),
    (
        "SearchBlox CSRF, CVE-2015-0970",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        8.8,
        Severity::High,
    ),
    (
        "OpenSSL CCS injection, CVE-2014-0224",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
        7.4,
        Severity::High,
    ),
    (
        "Google Chrome sandbox bypass, CVE-2012-5376",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        9.6,
        Severity::Critical,
    ),
];

/// v4.0: "Common Vulnerability Scoring System v4.0: Examples", FIRST
/// (https://www.first.org/cvss/v4.0/examples), base (CVSS-B) scores.
const V4_0_EXAMPLES: &[(&str, &str, f64, Severity)] = &[
    (
        "GNU Bash Shellshock, CVE-2014-6271",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        9.3,
        Severity::Critical,
    ),
    (
        "OpenSSL Heartbleed, CVE-2014-0160",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        8.7,
        Severity::High,
    ),
    (
        "Apache Log4j Log4Shell, CVE-2021-44228",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        10.0,
        Severity::Critical,
    ),
    (
        "nginx mp4 module memory corruption, CVE-2022-41741",
        "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        7.3,
        Severity::High,
    ),
];

/// v4.0 specification (https://www.first.org/cvss/v4.0/specification-document), section 2:
/// a vulnerability without any impact scores 0.0 ("None"); section 5: supplemental metrics
/// carry information and never change the score.
const V4_0_SPEC: &[(&str, &str, f64, Severity)] = &[
    (
        "spec §2: no impact",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
        0.0,
        Severity::None,
    ),
    (
        "spec §5: supplemental metrics do not score",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:U/V:C/RE:H/U:Red",
        9.3,
        Severity::Critical,
    ),
];

fn check(rows: &[(&str, &str, f64, Severity)], version: Version) {
    let mut wrong = Vec::new();
    for (source, vector, score, severity) in rows {
        let v = parse(vector).unwrap_or_else(|e| panic!("{source}: `{vector}`: {e}"));
        assert_eq!(v.version(), version, "{source}");
        let s = v.scores();
        if (s.base_score, s.base_severity) != (*score, *severity) {
            wrong.push(format!(
                "{source}: `{vector}`: got {} {}, FIRST says {score} {severity}",
                s.base_score, s.base_severity
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn first_v3_1_examples() {
    check(V3_1_EXAMPLES, Version::V3_1);
}

#[test]
fn first_v4_0_examples() {
    check(V4_0_EXAMPLES, Version::V4_0);
    check(V4_0_SPEC, Version::V4_0);
}

//! `junit`: JUnit XML for CI test views (GitLab, Jenkins, Azure DevOps).
//!
//! A `testsuite` per target. Each reported finding is a failed `testcase` (class: package and
//! version; name: `[SEVERITY] ID`; failure message: the title; body: the description), as
//! Trivy's JUnit template has it. drydock adds a passing test case per package with no reported
//! finding, so the suite's counts say how much was checked, and a skipped case per suppressed
//! finding with its reason. An SBOM report has one passing case per package.
//!
//! Misconfigurations and secrets (`--scanners misconfig,secret`) are failed test cases too
//! (class: `misconfiguration` or `secret` and where it was seen; name: `[SEVERITY] CHECK-ID`;
//! message: the title; body: the fix hint and the fingerprint), suppressed ones skipped.

use std::fmt::Write as _;

use drydock_policy::Verdict;

use crate::escape::xml;
use crate::model::{Report, ReportKind, TargetReport};

pub(crate) fn write(report: &Report, out: &mut String) -> std::fmt::Result {
    let suites: Vec<Suite> = report
        .targets
        .iter()
        .map(|t| suite(t, report.kind))
        .collect();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.failures).sum();
    let skipped: usize = suites.iter().map(|s| s.skipped).sum();
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        xml(&report.tool.name)
    )?;
    for (t, s) in report.targets.iter().zip(&suites) {
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" timestamp=\"{}\">",
            xml(&t.name),
            s.cases.len(),
            s.failures,
            s.skipped,
            xml(&report.created_at)
        )?;
        writeln!(out, "    <properties>")?;
        writeln!(
            out,
            "      <property name=\"kind\" value=\"{}\"/>",
            xml(&t.kind)
        )?;
        if let Some(d) = &t.digest {
            writeln!(
                out,
                "      <property name=\"digest\" value=\"{}\"/>",
                xml(d)
            )?;
        }
        if let Some(os) = &t.os {
            writeln!(
                out,
                "      <property name=\"os\" value=\"{}\"/>",
                xml(&format!("{} {}", os.family, os.version))
            )?;
        }
        writeln!(out, "    </properties>")?;
        for c in &s.cases {
            out.push_str(c);
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

struct Suite {
    cases: Vec<String>,
    failures: usize,
    skipped: usize,
}

fn suite(t: &TargetReport, kind: ReportKind) -> Suite {
    let mut s = Suite {
        cases: Vec::new(),
        failures: 0,
        skipped: 0,
    };
    if kind == ReportKind::Vulnerability {
        for d in &t.findings {
            let f = &d.finding;
            let class = xml(&format!("{}-{}", f.package, f.installed));
            let name = xml(&format!("[{}] {}", f.severity, f.id));
            match d.verdict {
                Verdict::Fail | Verdict::Report => {
                    s.failures += 1;
                    let mut body = f.description.clone().unwrap_or_default();
                    let mut facts = vec![format!("Installed: {}", f.installed)];
                    if let Some(fx) = &f.fixed {
                        facts.push(format!("Fixed: {fx}"));
                    }
                    if let Some(u) = &f.primary_url {
                        facts.push(u.clone());
                    }
                    body = if body.is_empty() {
                        facts.join("\n")
                    } else {
                        format!("{body}\n{}", facts.join("\n"))
                    };
                    s.cases.push(format!(
                        "    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(match crate::model::display_title(f) {
                            "" => &f.id,
                            t => t,
                        }),
                        f.severity,
                        xml(&body)
                    ));
                }
                Verdict::Suppressed => {
                    s.skipped += 1;
                    let reason = d.reason.as_deref().unwrap_or("suppressed");
                    s.cases.push(format!(
                        "    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        xml(reason)
                    ));
                }
                _ => {}
            }
        }
    }
    for e in t.misconfigurations.iter().chain(&t.secrets) {
        let f = &e.finding;
        let class = xml(&format!(
            "{}: {}",
            crate::misconfig::kind_name(e),
            f.evidence.location()
        ));
        let name = xml(&format!("[{}] {}", f.severity, f.id));
        match e.policy.verdict {
            Verdict::Fail | Verdict::Report => {
                s.failures += 1;
                s.cases.push(format!(
                    "    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&f.title),
                    f.severity,
                    xml(&format!("Fix: {}\nFingerprint: {}", f.fix, f.fingerprint))
                ));
            }
            Verdict::Suppressed => {
                s.skipped += 1;
                s.cases.push(format!(
                    "    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    xml(e.policy.reason.as_deref().unwrap_or("suppressed"))
                ));
            }
            _ => {}
        }
    }
    for p in &t.packages {
        let pkg = &p.package;
        let has_finding = kind == ReportKind::Vulnerability
            && t.reported().any(|d| {
                d.finding.purl == p.purl
                    || (d.finding.package == pkg.name && d.finding.installed == pkg.version)
            });
        if has_finding {
            continue;
        }
        let class = xml(&format!("{}-{}", pkg.name, pkg.version));
        let name = match kind {
            ReportKind::Sbom => xml(&p.purl),
            ReportKind::Vulnerability => "no reported vulnerabilities".to_string(),
        };
        s.cases.push(format!(
            "    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\"/>\n"
        ));
    }
    s
}

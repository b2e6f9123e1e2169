//! `spdx-json`: an SPDX 2.3 JSON document.
//!
//! The document DESCRIBES each target (a package with purpose `CONTAINER`, or `SOURCE` for a
//! directory), which CONTAINS its operating system and its packages. Packages carry their purl
//! as an external reference, `downloadLocation: NOASSERTION`, `filesAnalyzed: false`.
//! Licences: `licenseConcluded` is always `NOASSERTION` (drydock concludes nothing);
//! `licenseDeclared` is the declared licence when it parses as an SPDX expression, else
//! `NOASSERTION` with the text as found in `licenseComments` (apk writes `MIT BSD GPL2+`).
//! SPDX has no vulnerability section: use `cyclonedx` for findings.

use drydock_package::Os;
use serde_json::{Value, json};

use crate::model::{PackageEntry, Report, TargetReport, content_uuid, report_uuid};

/// Namespaces are unique per document: the base, the first target's name, a content UUID.
const NAMESPACE_BASE: &str = "https://example.invalid/drydock/spdx";

pub(crate) fn to_value(report: &Report) -> Value {
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    for (i, t) in report.targets.iter().enumerate() {
        let target_id = format!("SPDXRef-Target-{}", i + 1);
        packages.push(target_package(t, &target_id));
        relationships.push(rel("SPDXRef-DOCUMENT", "DESCRIBES", &target_id));
        if let Some(os) = &t.os {
            let os_id = format!("SPDXRef-OperatingSystem-{}", i + 1);
            packages.push(os_package(os, &os_id));
            relationships.push(rel(&target_id, "CONTAINS", &os_id));
        }
        for p in &t.packages {
            let id = package_id(t, p);
            packages.push(package(p, &id));
            relationships.push(rel(&target_id, "CONTAINS", &id));
        }
    }
    let name = match report.targets.as_slice() {
        [only] => only.name.clone(),
        [] => "drydock".to_string(),
        many => format!("{} and {} more", many[0].name, many.len() - 1),
    };
    let namespace = format!(
        "{NAMESPACE_BASE}/{}-{}",
        namespace_segment(&name),
        report_uuid(report, "spdx")
    );
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": namespace,
        "creationInfo": {
            "created": report.created_at,
            "creators": [format!("Tool: {}-{}", report.tool.name, report.tool.version)],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

fn rel(from: &str, kind: &str, to: &str) -> Value {
    json!({ "spdxElementId": from, "relationshipType": kind, "relatedSpdxElement": to })
}

/// `SPDXRef-Package-` and 16 hex digits of a hash of target and purl: unique in the document
/// and stable between runs (the spec allows only letters, digits, `.` and `-`).
fn package_id(t: &TargetReport, p: &PackageEntry) -> String {
    let uuid = content_uuid(&[&t.name, &p.purl]).replace('-', "");
    format!("SPDXRef-Package-{}", &uuid[..16])
}

fn namespace_segment(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn target_package(t: &TargetReport, id: &str) -> Value {
    let purpose = if t.kind == "directory" {
        "SOURCE"
    } else {
        "CONTAINER"
    };
    let mut p = json!({
        "SPDXID": id,
        "name": t.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "primaryPackagePurpose": purpose,
    });
    if let Some(d) = &t.digest {
        p["versionInfo"] = json!(d);
        if let Some((alg, hex)) = d.split_once(':')
            && alg.eq_ignore_ascii_case("sha256")
            && hex.len() == 64
        {
            p["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": hex }]);
        }
    }
    let mut comment = vec![format!("kind: {}", t.kind)];
    if let Some(pl) = &t.platform {
        comment.push(format!("platform: {pl}"));
    }
    p["comment"] = json!(comment.join("; "));
    p
}

fn os_package(os: &Os, id: &str) -> Value {
    json!({
        "SPDXID": id,
        "name": os.family.as_str(),
        "versionInfo": os.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "primaryPackagePurpose": "OPERATING_SYSTEM",
    })
}

fn package(entry: &PackageEntry, id: &str) -> Value {
    let pkg = &entry.package;
    let mut p = json!({
        "SPDXID": id,
        "name": pkg.name,
        "versionInfo": pkg.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": entry.purl,
        }],
    });
    if !pkg.licenses.is_empty() {
        let joined = if pkg.licenses.len() == 1 {
            pkg.licenses[0].clone()
        } else {
            pkg.licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        if is_license_expression(&joined) {
            p["licenseDeclared"] = json!(joined);
        } else {
            p["licenseComments"] = json!(format!(
                "declared licence, not an SPDX expression: {}",
                pkg.licenses.join("; ")
            ));
        }
    }
    if let Some(src) = &pkg.source {
        let version = src.version.as_deref().unwrap_or(&pkg.version);
        p["sourceInfo"] = json!(format!(
            "built from source package {} {}",
            src.name, version
        ));
    }
    if !pkg.locations.is_empty() {
        let found: Vec<String> = pkg
            .locations
            .iter()
            .map(|l| match &l.layer {
                Some(layer) => format!("{} (layer {layer})", l.path),
                None => l.path.clone(),
            })
            .collect();
        p["comment"] = json!(format!("found at: {}", found.join(", ")));
    }
    p
}

/// Whether `s` is an SPDX licence expression by the spec's grammar: ids (letters, digits, `.`,
/// `-`, optional trailing `+`, or `LicenseRef-…`) joined by `AND`/`OR`, `WITH` exceptions, and
/// parentheses. Whether an id is on the SPDX list is not checked.
pub(crate) fn is_license_expression(s: &str) -> bool {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut depth = 0i32;
    // expect_term: the next token must be an id or `(`.
    let mut expect_term = true;
    for tok in tokens.iter().copied() {
        match tok {
            "(" if expect_term => depth += 1,
            ")" if !expect_term => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" if !expect_term => expect_term = true,
            id if expect_term && is_id(id) => expect_term = false,
            _ => return false,
        }
    }
    !tokens.is_empty() && !expect_term && depth == 0
}

fn is_id(s: &str) -> bool {
    let core = s.strip_suffix('+').unwrap_or(s);
    !core.is_empty()
        && core
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !matches!(core, "AND" | "OR" | "WITH")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_expressions() {
        assert!(is_license_expression("MIT"));
        assert!(is_license_expression(
            "(MIT OR Apache-2.0) AND BSD-3-Clause"
        ));
        assert!(is_license_expression(
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        ));
        assert!(is_license_expression("GPL-2.0+"));
        // apk's space-separated lists are not expressions.
        assert!(!is_license_expression("MIT BSD GPL2+"));
        assert!(!is_license_expression("MIT AND"));
        assert!(!is_license_expression("(MIT"));
        assert!(!is_license_expression("Public Domain"));
        assert!(!is_license_expression(""));
    }
}

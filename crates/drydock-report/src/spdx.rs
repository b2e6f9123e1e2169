//! `spdx-json`: an SPDX 2.3 JSON document.
//!
//! The document DESCRIBES each target (a package with purpose `CONTAINER`, or `SOURCE` for a
//! directory), which CONTAINS its operating system and its packages. Packages carry their purl
//! as an external reference, `downloadLocation: NOASSERTION`, `filesAnalyzed: false`.
//! Licences: `licenseConcluded` is always `NOASSERTION` (drydock concludes nothing);
//! `licenseDeclared` is the declared licence as an SPDX expression, where ids not on drydock's
//! list of common SPDX ids (and text that is no expression, as apk's `MIT BSD GPL2+`) become
//! `LicenseRef-`s with the text as found in `hasExtractedLicensingInfos`.
//! SPDX has no vulnerability section: use `cyclonedx` for findings.

use drydock_package::Os;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::model::{PackageEntry, Report, TargetReport, content_uuid, report_uuid};

/// Namespaces are unique per document: the base, the first target's name, a content UUID.
const NAMESPACE_BASE: &str = "https://example.invalid/drydock/spdx";

pub(crate) fn to_value(report: &Report) -> Value {
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
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
            packages.push(package(p, &id, &mut extracted));
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
    let mut doc = json!({
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
    });
    if !extracted.is_empty() {
        let infos: Vec<Value> = extracted
            .iter()
            .map(|(id, text)| json!({ "licenseId": id, "extractedText": text, "name": text }))
            .collect();
        doc["hasExtractedLicensingInfos"] = json!(infos);
    }
    doc
}

/// SPDX licence ids drydock keeps as they are; any other declared licence becomes a
/// `LicenseRef-` with its text in `hasExtractedLicensingInfos`, as the spec requires for licences
/// not on the SPDX list. The list is the common ids in distribution and registry metadata, not
/// the whole SPDX list: an id missing here is still carried, as a LicenseRef.
const KNOWN_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FSFAP",
    "FTL",
    "GFDL-1.3-or-later",
    "GPL-1.0-or-later",
    "GPL-2.0",
    "GPL-2.0+",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0",
    "GPL-3.0+",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1",
    "LGPL-2.1+",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NCSA",
    "OFL-1.1",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];
const KNOWN_EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "OpenSSL-exception",
];

fn canonical(list: &[&'static str], id: &str) -> Option<&'static str> {
    list.iter().copied().find(|k| k.eq_ignore_ascii_case(id))
}

/// `LicenseRef-` and `text` with characters SPDX ids cannot hold replaced by `-`, recorded
/// with its text in `extracted`.
fn license_ref(text: &str, extracted: &mut BTreeMap<String, String>) -> String {
    let id = format!(
        "LicenseRef-{}",
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            })
            .collect::<String>()
    );
    extracted.insert(id.clone(), text.to_string());
    id
}

/// A declared licence as a valid SPDX expression: known ids kept, others (and text that is no
/// expression at all, such as apk's `MIT BSD GPL2+`) turned into `LicenseRef-`s recorded in
/// `extracted`.
fn declared_license(raw: &str, extracted: &mut BTreeMap<String, String>) -> String {
    if !is_license_expression(raw) {
        return license_ref(raw.trim(), extracted);
    }
    let spaced = raw.replace('(', " ( ").replace(')', " ) ");
    let mut out = String::new();
    let mut after_with = false;
    for tok in spaced.split_whitespace() {
        let mapped = match tok {
            "(" | ")" | "AND" | "OR" | "WITH" => tok.to_string(),
            id if after_with => match canonical(KNOWN_EXCEPTIONS, id) {
                Some(known) => known.to_string(),
                None => return license_ref(raw.trim(), extracted),
            },
            id if id.starts_with("LicenseRef-") => {
                extracted
                    .entry(id.to_string())
                    .or_insert_with(|| id.to_string());
                id.to_string()
            }
            // SPDX ids compare case-insensitively (`zlib` is `Zlib`).
            id => match canonical(KNOWN_IDS, id) {
                Some(known) => known.to_string(),
                None => license_ref(id, extracted),
            },
        };
        after_with = tok == "WITH";
        if !(out.is_empty() || out.ends_with('(') || tok == ")") {
            out.push(' ');
        }
        out.push_str(&mapped);
    }
    out
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

fn package(entry: &PackageEntry, id: &str, extracted: &mut BTreeMap<String, String>) -> Value {
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
        let parts: Vec<String> = pkg
            .licenses
            .iter()
            .map(|l| declared_license(l, extracted))
            .collect();
        let declared = match parts.as_slice() {
            [one] => one.clone(),
            many => many
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        };
        p["licenseDeclared"] = json!(declared);
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
    fn declared_licenses_become_valid_expressions() {
        let mut ex = BTreeMap::new();
        assert_eq!(declared_license("MIT", &mut ex), "MIT");
        assert_eq!(declared_license("zlib", &mut ex), "Zlib");
        assert_eq!(
            declared_license("(MIT OR Apache-2.0) AND GPL2", &mut ex),
            "(MIT OR Apache-2.0) AND LicenseRef-GPL2"
        );
        assert_eq!(
            declared_license("MIT BSD GPL2+", &mut ex),
            "LicenseRef-MIT-BSD-GPL2-"
        );
        assert_eq!(ex.get("LicenseRef-GPL2").map(String::as_str), Some("GPL2"));
        assert_eq!(
            ex.get("LicenseRef-MIT-BSD-GPL2-").map(String::as_str),
            Some("MIT BSD GPL2+")
        );
    }

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

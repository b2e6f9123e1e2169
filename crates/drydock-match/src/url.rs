//! The primary URL of a finding: the advisory's own page, before any reference.
//!
//! Records list references in no useful order: a fix commit, a mailing-list post, a vendor's
//! blog, sometimes a link into a private repository (`github.com/github/advisory-review/…`) that
//! nobody outside can open. The page a reader wants first is the advisory's own, which follows
//! from its id: NVD for a CVE, GitHub's advisory page for a GHSA, rustsec.org, pkg.go.dev,
//! osv.dev for PYSEC, Debian's tracker for DSA/DLA.

use drydock_advisory::Reference;

/// The page of advisory `id` on the site that publishes it, when the id's prefix says which.
pub fn advisory_page(id: &str) -> Option<String> {
    let (prefix, _) = id.split_once('-')?;
    Some(match prefix {
        "CVE" => format!("https://nvd.nist.gov/vuln/detail/{id}"),
        "GHSA" => format!("https://github.com/advisories/{id}"),
        "RUSTSEC" => format!("https://rustsec.org/advisories/{id}.html"),
        "GO" => format!("https://pkg.go.dev/vuln/{id}"),
        "PYSEC" | "OSV" | "MAL" => format!("https://osv.dev/vulnerability/{id}"),
        "DSA" | "DLA" | "DTSA" => format!("https://security-tracker.debian.org/tracker/{id}"),
        _ => return None,
    })
}

/// Links nobody outside the owner can open: they are never the primary URL.
fn is_private(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    path.starts_with("github.com/github/advisory-review")
        || path.starts_with("github.com/github/security-advisories-private")
}

/// The primary URL: the page of the first of `ids` that has one (the caller orders them: the
/// matched records first, then the CVE), else the first public `ADVISORY` reference, else the
/// first public reference.
pub fn primary_url<'a>(
    ids: &[String],
    references: impl IntoIterator<Item = &'a Reference> + Clone,
) -> Option<String> {
    ids.iter()
        .map(String::as_str)
        .find_map(advisory_page)
        .or_else(|| {
            references
                .clone()
                .into_iter()
                .find(|r| r.kind == "ADVISORY" && !is_private(&r.url))
                .map(|r| r.url.clone())
        })
        .or_else(|| {
            references
                .into_iter()
                .find(|r| !is_private(&r.url))
                .map(|r| r.url.clone())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: &str, url: &str) -> Reference {
        Reference {
            kind: kind.into(),
            url: url.into(),
        }
    }

    #[test]
    fn own_page_first() {
        let refs = [r("ADVISORY", "https://snyk.io/vuln/SNYK-1")];
        assert_eq!(
            primary_url(&["CVE-2019-16789".into()], &refs).as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2019-16789")
        );
        assert_eq!(
            primary_url(&["GHSA-968p-4wvh-cqc8".into()], &refs).as_deref(),
            Some("https://github.com/advisories/GHSA-968p-4wvh-cqc8")
        );
        assert_eq!(
            primary_url(
                &["RUSTSEC-2022-0013".into(), "CVE-2022-24713".into()],
                &refs
            )
            .as_deref(),
            Some("https://rustsec.org/advisories/RUSTSEC-2022-0013.html")
        );
        assert_eq!(
            primary_url(&["GO-2023-1702".into()], &refs).as_deref(),
            Some("https://pkg.go.dev/vuln/GO-2023-1702")
        );
        assert_eq!(
            primary_url(&["PYSEC-2020-1".into()], &refs).as_deref(),
            Some("https://osv.dev/vulnerability/PYSEC-2020-1")
        );
    }

    /// Issue 13: CVE-2019-16789's record links a private review repository first.
    #[test]
    fn never_a_private_repository() {
        let refs = [
            r(
                "ADVISORY",
                "https://github.com/github/advisory-review/pull/14604",
            ),
            r("WEB", "https://example.org/post"),
        ];
        assert_eq!(
            primary_url(&["ALPINE-X".into()], &refs).as_deref(),
            Some("https://example.org/post")
        );
        assert_eq!(
            primary_url(&["ALPINE-X".into(), "CVE-2019-16789".into()], &refs).as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2019-16789")
        );
        assert_eq!(primary_url(&["ALPINE-X".into()], &refs[..1]), None);
    }
}

//! Package URLs, written by hand: the spec's encoding rules are a few lines, and the purl crates
//! on crates.io either lag the spec's type rules or pull in a parser we do not need.

use crate::{Ecosystem, Os, OsFamily, Package};

/// Percent-encodes a purl component: everything but unreserved characters (and `:` which the
/// spec leaves as is).
pub fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn os_namespace(eco: Ecosystem, os: Option<&Os>) -> Option<String> {
    match (eco, os.map(|o| &o.family)) {
        (Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk, Some(f)) => Some(match f {
            OsFamily::Redhat => "redhat".to_string(),
            other => other.as_str().to_string(),
        }),
        (Ecosystem::Deb, None) => Some("debian".to_string()),
        (Ecosystem::Apk, None) => Some("alpine".to_string()),
        _ => None,
    }
}

pub(crate) fn package_purl(p: &Package, os: Option<&Os>) -> String {
    let (namespace, name): (Option<String>, String) = match p.ecosystem {
        Ecosystem::Npm => match p.name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => (Some(format!("%40{}", purl_encode(scope))), purl_encode(n)),
            None => (None, purl_encode(&p.name)),
        },
        Ecosystem::Maven => match p.name.split_once(':') {
            Some((g, a)) => (Some(purl_encode(g)), purl_encode(a)),
            None => (None, purl_encode(&p.name)),
        },
        Ecosystem::Golang | Ecosystem::Composer => match p.name.rsplit_once('/') {
            Some((ns, n)) => (
                Some(ns.split('/').map(purl_encode).collect::<Vec<_>>().join("/")),
                purl_encode(n),
            ),
            None => (None, purl_encode(&p.name)),
        },
        e if e.is_os() => (os_namespace(e, os), purl_encode(&p.name)),
        _ => (None, purl_encode(&p.name)),
    };
    let mut s = format!("pkg:{}/", p.ecosystem.as_str());
    if let Some(ns) = namespace {
        s.push_str(&ns);
        s.push('/');
    }
    s.push_str(&name);
    s.push('@');
    s.push_str(&purl_encode(&p.version));
    // Qualifiers, sorted by key as the spec requires.
    let mut q: Vec<(&str, String)> = Vec::new();
    if let Some(arch) = &p.arch {
        q.push(("arch", purl_encode(arch)));
    }
    if p.ecosystem.is_os() {
        if let Some(os) = os {
            q.push((
                "distro",
                purl_encode(&format!("{}-{}", os.family, os.version)),
            ));
        }
        if let Some(src) = &p.source {
            // rpm names the source rpm always; dpkg and apk only when it differs.
            if p.ecosystem == Ecosystem::Rpm || src.name != p.name {
                q.push(("upstream", purl_encode(&src.name)));
            }
        }
    }
    q.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Os, OsFamily, SourcePackage};

    #[test]
    fn os_purls() {
        let os = Os {
            family: OsFamily::Debian,
            version: "12.5".into(),
            pretty_name: None,
            codename: None,
        };
        let mut p = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u4");
        p.arch = Some("amd64".into());
        p.source = Some(SourcePackage {
            name: "glibc".into(),
            version: None,
        });
        assert_eq!(
            p.purl(Some(&os)),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5&upstream=glibc"
        );
    }

    #[test]
    fn language_purls() {
        let p = Package::new(Ecosystem::Npm, "@babel/core", "7.0.0");
        assert_eq!(p.purl(None), "pkg:npm/%40babel/core@7.0.0");
        let p = Package::new(Ecosystem::Golang, "github.com/pkg/errors", "v0.9.1");
        assert_eq!(p.purl(None), "pkg:golang/github.com/pkg/errors@v0.9.1");
        let p = Package::new(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        );
        assert_eq!(
            p.purl(None),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
    }
}

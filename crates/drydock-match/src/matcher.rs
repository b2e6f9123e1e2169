//! The matcher: one lookup per package, range checks, and merging of aliased records.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use drydock_advisory::{
    Advisory, Affected, AliasGroup, Db, DbError, Event, FeedKey, RangeKind, Severity as Stated,
    SeverityKind, Status,
};
use drydock_cvss::EnvProfile;
use drydock_package::{Ecosystem, Inventory, Package};
use drydock_version::{RangeEvent, Scheme, VersionError, compare, in_osv_range, validate};
use serde::{Deserialize, Serialize};

use crate::coverage::{Coverage, CoverageError};
use crate::finding::{CvssScore, Finding, FindingStatus, Notice, Severity, SeveritySource};
use crate::severity;

/// How to match.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Re-score every CVSS vector for this environment ([`CvssScore::environmental_score`],
    /// [`Finding::environmental_severity`]).
    pub env_profile: Option<EnvProfile>,
}

/// What matching found, sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchOutcome {
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    /// Versions that could not be compared, vectors that could not be scored, OS packages
    /// without a detected OS: each names the package or advisory.
    pub warnings: Vec<String>,
    /// Per ecosystem: how many packages could be checked against an advisory source.
    pub coverage: Vec<Coverage>,
}

/// The DB could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    #[error("vulnerability DB lookup of `{package}` in `{key}` failed")]
    Lookup {
        key: String,
        package: String,
        #[source]
        source: Box<DbError>,
    },
    #[error("vulnerability DB read of advisory `{id}` failed")]
    Advisory {
        id: String,
        #[source]
        source: Box<DbError>,
    },
    #[error(transparent)]
    Coverage(#[from] CoverageError),
}

/// A Go toolchain version as the Go vulnerability database spells it: `go1.19.8` → `1.19.8`,
/// `go1.21rc2` → `1.21.0-rc.2`, `go1.22.0 X:boringcrypto` → `1.22.0`. Module versions
/// (`v1.2.3`) are returned unchanged.
pub fn go_version(v: &str) -> String {
    let v = v.split_whitespace().next().unwrap_or_default();
    let Some(rest) = v
        .strip_prefix("go")
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    else {
        return v.to_string();
    };
    let split = rest.find(|c: char| c.is_ascii_alphabetic());
    let (core, pre) = match split {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    let core = parts.join(".");
    if pre.is_empty() {
        return core;
    }
    let digits = pre.find(|c: char| c.is_ascii_digit());
    match digits {
        Some(i) => format!("{core}-{}.{}", &pre[..i], &pre[i..]),
        None => format!("{core}-{pre}"),
    }
}

/// Where and how one package is looked up.
struct Query {
    key: FeedKey,
    name: String,
    /// The version compared against the records.
    version: String,
    scheme: Scheme,
}

fn query(p: &Package, os_key: Option<&FeedKey>) -> Result<Query, String> {
    let scheme = Scheme::for_ecosystem(p.ecosystem);
    if p.ecosystem.is_os() {
        let key = os_key.ok_or_else(|| {
            format!(
                "{} packages found but no OS detected: OS packages were not matched",
                p.ecosystem
            )
        })?;
        // Debian's tracker states fixed *source* versions; apk and rpm data state binary
        // versions (equal to the origin's / source rpm's for nearly every package).
        let version = match p.ecosystem {
            Ecosystem::Deb => p.source_version().to_string(),
            _ => p.version.clone(),
        };
        return Ok(Query {
            key: key.clone(),
            name: p.source_name().to_string(),
            version,
            scheme,
        });
    }
    let key = FeedKey::for_ecosystem(p.ecosystem)
        .ok_or_else(|| format!("no advisory feed for ecosystem `{}`", p.ecosystem))?;
    let version = match p.ecosystem {
        Ecosystem::Golang => go_version(&p.version),
        _ => p.version.trim().to_string(),
    };
    Ok(Query {
        key,
        name: p.name.clone(),
        version,
        scheme,
    })
}

enum Problem {
    /// The installed version is not one of the scheme: nothing can be said.
    Installed(VersionError),
    /// The record cannot be evaluated.
    Record(VersionError),
}

/// Whether `a` affects the installed version; `Some(fixes)` (the lowest fixed version above
/// it in each matching range) when it does.
fn check(a: &Affected, q: &Query) -> Result<Option<Vec<String>>, Problem> {
    if a.status == Status::NotAffected {
        return Ok(None);
    }
    let mut hit = false;
    let mut fixes = Vec::new();
    if !a.versions.is_empty() {
        validate(q.scheme, &q.version).map_err(Problem::Installed)?;
        hit = a
            .versions
            .iter()
            .any(|v| v == &q.version || compare(q.scheme, v, &q.version) == Ok(Ordering::Equal));
    }
    for r in &a.ranges {
        // Go's own scheme accepts SemVer with or without the `v`; elsewhere a SEMVER range
        // means SemVer 2.0 whatever the ecosystem.
        let scheme = match r.kind {
            RangeKind::Semver if q.scheme != Scheme::Go => Scheme::Semver,
            _ => q.scheme,
        };
        validate(scheme, &q.version).map_err(Problem::Installed)?;
        let events: Vec<RangeEvent> = r.events.iter().map(event).collect();
        if !in_osv_range(scheme, &q.version, &events).map_err(Problem::Record)? {
            continue;
        }
        hit = true;
        let mut lowest: Option<&str> = None;
        for e in &r.events {
            let Event::Fixed(f) = e else { continue };
            if compare(scheme, &q.version, f).map_err(Problem::Record)? != Ordering::Less {
                continue;
            }
            let lower = match lowest {
                None => true,
                Some(l) => compare(scheme, f, l).map_err(Problem::Record)? == Ordering::Less,
            };
            if lower {
                lowest = Some(f);
            }
        }
        if let Some(f) = lowest {
            fixes.push(f.to_string());
        }
    }
    // A distribution record without ranges or versions (an open issue) affects every version.
    if a.ranges.is_empty() && a.versions.is_empty() && a.key.is_distro() {
        hit = true;
    }
    Ok(hit.then_some(fixes))
}

fn event(e: &Event) -> RangeEvent {
    match e {
        Event::Introduced(v) => RangeEvent::Introduced(v.clone()),
        Event::Fixed(v) => RangeEvent::Fixed(v.clone()),
        Event::LastAffected(v) => RangeEvent::LastAffected(v.clone()),
        Event::Limit(v) => RangeEvent::Limit(v.clone()),
    }
}

fn status_of(s: Status) -> FindingStatus {
    match s {
        Status::Fixed | Status::Unfixed | Status::Undetermined | Status::NotAffected => {
            FindingStatus::Unfixed
        }
        Status::WillNotFix | Status::Ignored => FindingStatus::WillNotFix,
        Status::Postponed => FindingStatus::Postponed,
        Status::EndOfLife => FindingStatus::EndOfLife,
    }
}

/// The DB reads of one scan, cached: advisories and alias groups repeat across packages.
struct Reader<'a> {
    db: &'a Db,
    advisories: HashMap<String, Option<Advisory>>,
    groups: HashMap<String, AliasGroup>,
    nvd: HashMap<String, Vec<Stated>>,
}

/// Looks `key` up in `cache`, asking `fetch` (a DB read) only the first time.
fn cached<T: Clone>(
    cache: &mut HashMap<String, T>,
    key: &str,
    fetch: impl FnOnce() -> Result<T, DbError>,
) -> Result<T, MatchError> {
    if let Some(v) = cache.get(key) {
        return Ok(v.clone());
    }
    let v = fetch().map_err(|source| MatchError::Advisory {
        id: key.to_string(),
        source: Box::new(source),
    })?;
    cache.insert(key.to_string(), v.clone());
    Ok(v)
}

impl Reader<'_> {
    fn advisory(&mut self, id: &str) -> Result<Option<Advisory>, MatchError> {
        let db = self.db;
        cached(&mut self.advisories, id, || db.advisory(id))
    }

    fn group(&mut self, id: &str) -> Result<AliasGroup, MatchError> {
        let db = self.db;
        cached(&mut self.groups, id, || db.aliases(id))
    }

    fn nvd(&mut self, cve: &str) -> Result<Vec<Stated>, MatchError> {
        let db = self.db;
        cached(&mut self.nvd, cve, || db.cvss_for(cve))
    }
}

/// The records of one vulnerability that affect one package.
#[derive(Default)]
struct Hit {
    ids: BTreeSet<String>,
    records: Vec<Affected>,
    fixes: Vec<String>,
}

/// Matches every package of `inv` against `db`. `target` names the image or directory in
/// findings and their fingerprints.
pub fn match_inventory(
    target: &str,
    inv: &Inventory,
    db: &Db,
    opts: &MatchOptions,
) -> Result<MatchOutcome, MatchError> {
    let mut out = MatchOutcome::default();
    let mut warnings = BTreeSet::new();
    let mut reader = Reader {
        db,
        advisories: HashMap::new(),
        groups: HashMap::new(),
        nvd: HashMap::new(),
    };
    let os_key = inv.os.as_ref().map(FeedKey::for_os);
    for p in &inv.packages {
        let q = match query(p, os_key.as_ref()) {
            Ok(q) => q,
            Err(w) => {
                warnings.insert(w);
                continue;
            }
        };
        let rows = db
            .affected(&q.key, &q.name)
            .map_err(|source| MatchError::Lookup {
                key: q.key.to_string(),
                package: q.name.clone(),
                source: Box::new(source),
            })?;
        let mut hits: BTreeMap<String, Hit> = BTreeMap::new();
        let mut notices: BTreeMap<String, &Affected> = BTreeMap::new();
        for a in &rows {
            let fixes = match check(a, &q) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(Problem::Installed(e)) => {
                    warnings.insert(format!(
                        "{} package `{}` version `{}` cannot be compared ({e}): not matched against `{}`",
                        p.ecosystem, p.name, p.version, q.key
                    ));
                    continue;
                }
                Err(Problem::Record(e)) => {
                    warnings.insert(format!(
                        "advisory `{}` for `{}` cannot be evaluated: {e}",
                        a.advisory_id, q.name
                    ));
                    continue;
                }
            };
            if a.informational.is_some() {
                notices.entry(a.advisory_id.clone()).or_insert(a);
                continue;
            }
            let group = reader.group(&a.advisory_id)?;
            let hit = hits.entry(group.canonical.clone()).or_default();
            hit.ids.extend(group.ids);
            hit.ids.insert(a.advisory_id.clone());
            hit.records.push(a.clone());
            hit.fixes.extend(fixes);
        }
        for (id, a) in notices {
            let adv = reader.advisory(&id)?;
            out.notices.push(Notice {
                target: target.to_string(),
                ecosystem: p.ecosystem,
                package: p.name.clone(),
                installed: p.version.clone(),
                id: id.clone(),
                kind: a
                    .informational
                    .as_ref()
                    .map(|i| i.as_str().to_string())
                    .unwrap_or_default(),
                title: adv.as_ref().and_then(|a| a.summary.clone()),
                url: adv.as_ref().and_then(|a| {
                    a.references
                        .iter()
                        .find(|r| r.kind == "ADVISORY")
                        .or(a.references.first())
                        .map(|r| r.url.clone())
                }),
                locations: p.locations.clone(),
            });
        }
        for (canonical, hit) in hits {
            let f = finding(
                target,
                inv,
                p,
                &q,
                canonical,
                hit,
                &mut reader,
                opts,
                &mut warnings,
            )?;
            out.findings.push(f);
        }
    }
    out.findings.sort_by(|a, b| {
        (a.ecosystem, &a.package, &a.installed, &a.id, &a.locations).cmp(&(
            b.ecosystem,
            &b.package,
            &b.installed,
            &b.id,
            &b.locations,
        ))
    });
    out.notices.sort_by(|a, b| {
        (a.ecosystem, &a.package, &a.installed, &a.id, &a.locations).cmp(&(
            b.ecosystem,
            &b.package,
            &b.installed,
            &b.id,
            &b.locations,
        ))
    });
    out.warnings = warnings.into_iter().collect();
    out.coverage = crate::coverage::coverage(inv, db)?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn finding(
    target: &str,
    inv: &Inventory,
    p: &Package,
    q: &Query,
    id: String,
    hit: Hit,
    reader: &mut Reader<'_>,
    opts: &MatchOptions,
    warnings: &mut BTreeSet<String>,
) -> Result<Finding, MatchError> {
    // Fixed versions: one per matching range, lowest first, equal ones once.
    let mut fixes: Vec<String> = Vec::new();
    for f in hit.fixes {
        if !fixes
            .iter()
            .any(|g| g == &f || compare(q.scheme, g, &f) == Ok(Ordering::Equal))
        {
            fixes.push(f);
        }
    }
    fixes.sort_by(|a, b| compare(q.scheme, a, b).unwrap_or_else(|_| a.cmp(b)));
    let status = if fixes.is_empty() {
        hit.records
            .iter()
            .map(|a| status_of(a.status))
            .max()
            .unwrap_or(FindingStatus::Unfixed)
    } else {
        FindingStatus::Fixed
    };

    // The advisories: the canonical id first (an NVD-only CVE when no record has that id),
    // then each record's.
    let mut order: Vec<&str> = vec![id.as_str()];
    order.extend(
        hit.records
            .iter()
            .map(|a| a.advisory_id.as_str())
            .filter(|i| *i != id),
    );
    order.dedup();
    let mut advisories: Vec<Advisory> = Vec::new();
    for i in order {
        if advisories.iter().any(|a| a.id == i) {
            continue;
        }
        if let Some(a) = reader.advisory(i)? {
            advisories.push(a);
        }
    }
    let mut ids = hit.ids;
    for a in &advisories {
        ids.extend(a.aliases.iter().cloned());
    }
    let cves: Vec<String> = ids
        .iter()
        .filter(|i| i.starts_with("CVE-"))
        .cloned()
        .collect();

    // Severities: NVD's for every CVE of the group; the records' own are those not from NVD
    // (`Db::advisory` fills NVD's into records that state none).
    let mut nvd: Vec<(String, Stated)> = Vec::new();
    for cve in &cves {
        for s in reader.nvd(cve)? {
            nvd.push((cve.clone(), s));
        }
    }
    nvd.sort_by_key(|(_, s)| severity::nvd_rank(s));
    let mut own: Vec<(String, Stated)> = Vec::new();
    for a in &advisories {
        for s in &a.severities {
            let from_nvd = nvd
                .iter()
                .any(|(_, n)| n.value == s.value && n.source == s.source);
            let seen = own
                .iter()
                .any(|(_, o)| o.value == s.value && o.source == s.source);
            if !from_nvd && !seen {
                own.push((a.id.clone(), s.clone()));
            }
        }
    }
    own.sort_by_key(|(_, s)| severity::nvd_rank(s));

    let env = opts.env_profile.as_ref();
    let mut cvss: Vec<CvssScore> = Vec::new();
    let mut scored: Vec<Option<usize>> = Vec::new();
    for (from, s) in nvd.iter().chain(own.iter()) {
        if s.kind == SeverityKind::Vendor {
            scored.push(None);
            continue;
        }
        let dup = cvss
            .iter()
            .position(|c| c.vector == s.value.trim() && c.source == s.source);
        if let Some(i) = dup {
            scored.push(Some(i));
            continue;
        }
        match severity::score(from, s, env) {
            Ok(c) => {
                cvss.push(c);
                scored.push(Some(cvss.len() - 1));
            }
            Err(w) => {
                warnings.insert(w);
                scored.push(None);
            }
        }
    }
    let (nvd_scored, own_scored) = scored.split_at(nvd.len());
    let nvd_best = nvd
        .iter()
        .zip(nvd_scored)
        .find(|((_, s), _)| s.kind != SeverityKind::Vendor);
    let own_best = own
        .iter()
        .zip(own_scored)
        .find_map(|(_, i)| i.map(|i| &cvss[i]));
    let records: Vec<&Affected> = hit.records.iter().collect();
    let vendor_stated: Vec<(String, Stated)> = own
        .iter()
        .filter(|(_, s)| s.kind == SeverityKind::Vendor)
        .cloned()
        .collect();
    let nvd_rated = nvd_best.and_then(|((_, s), i)| {
        severity::stated_level(s, i.map(|i| &cvss[i])).map(|l| (l, SeveritySource::Nvd))
    });
    let (level, source) = severity::vendor(&records, &vendor_stated)
        .or(nvd_rated)
        .or_else(|| own_best.map(|c| (c.base_severity, SeveritySource::Cvss(c.source.clone()))))
        .unwrap_or((Severity::Unknown, SeveritySource::None));
    let primary = nvd_best.and_then(|(_, i)| i.map(|i| &cvss[i])).or(own_best);
    let environmental_severity = primary
        .and_then(|c| c.environmental_severity)
        .or_else(|| cvss.iter().filter_map(|c| c.environmental_severity).max());

    let first = |f: &dyn Fn(&Advisory) -> Option<String>| advisories.iter().find_map(f);
    let mut references: Vec<String> = Vec::new();
    for a in &advisories {
        for r in &a.references {
            if !references.contains(&r.url) {
                references.push(r.url.clone());
            }
        }
    }
    // The matched records' own pages first (RUSTSEC, GHSA, GO, PYSEC: written for this
    // ecosystem), then the vulnerability's (NVD for the CVE).
    let mut page_ids: Vec<String> = Vec::new();
    for i in hit
        .records
        .iter()
        .map(|a| a.advisory_id.clone())
        .chain(std::iter::once(id.clone()))
        .chain(cves.iter().cloned())
    {
        if !page_ids.contains(&i) {
            page_ids.push(i);
        }
    }
    let primary_url = crate::url::primary_url(
        &page_ids,
        advisories.iter().flat_map(|a| a.references.iter()),
    );
    let cwes: BTreeSet<String> = advisories
        .iter()
        .flat_map(|a| a.cwes.iter().cloned())
        .collect();
    let mut aliases: Vec<String> = ids.into_iter().filter(|i| *i != id).collect();
    aliases.sort_by_key(|a| (!a.starts_with("CVE-"), a.clone()));

    Ok(Finding {
        target: target.to_string(),
        ecosystem: p.ecosystem,
        package: p.name.clone(),
        installed: p.version.clone(),
        source_package: p.source.clone(),
        purl: p.purl(inv.os.as_ref()),
        fingerprint: crate::fingerprint(
            target,
            p.ecosystem,
            &p.name,
            &crate::identity::vulnerability_id(&id, &aliases),
        ),
        aliases,
        fixed: (!fixes.is_empty()).then(|| fixes.join(", ")),
        status,
        severity: level,
        severity_source: source,
        environmental_severity,
        cvss,
        title: first(&|a| a.summary.clone()),
        description: first(&|a| a.details.clone()),
        primary_url,
        references,
        published: first(&|a| a.published.clone()),
        modified: first(&|a| a.modified.clone()),
        cwes: cwes.into_iter().collect(),
        locations: p.locations.clone(),
        evidence: crate::reachability::evidence(p, &hit.records),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_toolchain_versions() {
        assert_eq!(go_version("go1.19.8"), "1.19.8");
        assert_eq!(go_version("v1.19.8"), "v1.19.8");
        assert_eq!(go_version("1.19.8"), "1.19.8");
        assert_eq!(go_version("go1.21rc2"), "1.21.0-rc.2");
        assert_eq!(go_version("go1.9beta1"), "1.9.0-beta.1");
        assert_eq!(go_version("go1.22.0 X:boringcrypto"), "1.22.0");
        assert_eq!(go_version("go1.20"), "1.20.0");
        assert_eq!(go_version("gopher"), "gopher");
    }

    fn affected(ranges: Vec<Vec<Event>>, key: FeedKey) -> Affected {
        Affected {
            advisory_id: "X-1".into(),
            source: "test".into(),
            key,
            package: "p".into(),
            ranges: ranges
                .into_iter()
                .map(|events| drydock_advisory::Range {
                    kind: RangeKind::Ecosystem,
                    events,
                })
                .collect(),
            versions: Vec::new(),
            fixed: Vec::new(),
            status: Status::Fixed,
            urgency: None,
            informational: None,
            ecosystem_specific: None,
            database_specific: None,
        }
    }

    fn q(version: &str) -> Query {
        Query {
            key: FeedKey::language("PyPI"),
            name: "p".into(),
            version: version.into(),
            scheme: Scheme::Pep440,
        }
    }

    #[test]
    fn lowest_fix_above_installed_per_range() {
        let a = affected(
            vec![
                vec![
                    Event::Introduced("0".into()),
                    Event::Fixed("1.5".into()),
                    Event::Introduced("2.0".into()),
                    Event::Fixed("2.3".into()),
                ],
                vec![
                    Event::Introduced("1.0".into()),
                    Event::Fixed("1.4.2".into()),
                ],
            ],
            FeedKey::language("PyPI"),
        );
        let got = check(&a, &q("1.2")).ok().flatten();
        assert_eq!(got, Some(vec!["1.5".to_string(), "1.4.2".to_string()]));
        let got = check(&a, &q("2.1")).ok().flatten();
        assert_eq!(got, Some(vec!["2.3".to_string()]));
        assert_eq!(check(&a, &q("1.5")).ok().flatten(), None);
    }

    #[test]
    fn unparseable_installed_version_is_never_affected() {
        let a = affected(
            vec![vec![Event::Introduced("0".into())]],
            FeedKey::language("PyPI"),
        );
        assert!(matches!(
            check(&a, &q("not a version!")),
            Err(Problem::Installed(_))
        ));
    }
}

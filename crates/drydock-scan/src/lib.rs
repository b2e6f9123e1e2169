//! The scan pipeline as a library: a target and settings in, a [`Report`] and a gate out.
//!
//! `drydock image`, `drydock fs`, `drydock sbom`, `drydock fleet scan` (and later `drydock serve`)
//! all call this one pipeline:
//!
//! ```text
//! TargetSpec ──open──► Target ──inventory──► Inventory ──match (Db)──► Findings
//!            ──policy──► Decisions ──► Report (+ gate outcome)
//! ```
//!
//! - [`TargetSpec`]: what to scan and how to read it (platform, limits, layer cache, registry).
//! - [`open`] opens a local target or pulls a registry reference; [`inventory`] walks it.
//! - [`scan`] runs the whole pipeline for one target; [`ScanOutcome`] carries the report, the
//!   gate and the layer-cache counters a fleet run records.
//! - [`identity_repository`] names the repository of a target for the finding identity
//!   (see [`drydock_match::identity`]).
//!
//! ```no_run
//! use drydock_scan::{Kind, ScanSettings, TargetSpec};
//! let db = drydock_advisory::Db::open(std::path::Path::new("drydock.db"))?;
//! let spec = TargetSpec::new("alpine.tar");
//! let settings = ScanSettings::default();
//! let out = drydock_scan::scan(&spec, Kind::Image, &db, &settings)?;
//! println!("{} findings", out.report.reported_count());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checks;
mod error;
mod filter;
mod target;

use drydock_advisory::Db;
use drydock_image::Target;
use drydock_inventory::InventoryResult;
use drydock_match::MatchOptions;
use drydock_package::ScanWarning;
use drydock_policy::{Date, Decision, Policy, Verdict};
use drydock_report::{Gate, LayerSummary, Report, ReportKind, TargetReport};

pub use checks::{CheckSettings, Scanners};
pub use drydock_report::MisconfigEntry;
pub use error::ScanError;
pub use filter::{PkgTypes, SkipPaths, filter_inventory, glob};
pub use target::{
    Registry, TargetSpec, identity_repository, inventory, open, open_local, target_kind,
};

/// Which command is scanning: it decides what a target may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `drydock image`: an image only (a directory is an error naming `drydock fs`).
    Image,
    /// `drydock fs`: a directory only, never a registry pull.
    Fs,
    /// Whatever the target turns out to be (fleet files may list both).
    Any,
}

/// What the policy and the gate need beyond the target.
#[derive(Debug, Clone, Default)]
pub struct ScanSettings {
    pub policy: Policy,
    pub match_options: MatchOptions,
    /// `--fail-on-warnings`: RustSec notices fail the gate too.
    pub fail_on_warnings: bool,
    /// Whether a gate was asked for (`--exit-code`, `--fail-on`, `--fail-on-warnings`): only
    /// then does the report carry a [`Gate`].
    pub gate_requested: bool,
    /// The day expiry dates are judged against; `None` is today (tests inject a clock).
    pub today: Option<Date>,
    /// Triage from a history store (or anything else that suppresses or annotates findings by
    /// identity), applied after the policy.
    pub suppressor: Option<std::sync::Arc<dyn Suppressor>>,
    /// The releases the target belongs to (fleet scans), for release-scoped triage.
    pub releases: Vec<String>,
    /// `--pkg-types`/`--vuln-type`: which package kinds are matched.
    pub pkg_types: PkgTypes,
    /// `--skip-dirs`/`--skip-files`: packages found only there are left out.
    pub skip: SkipPaths,
    /// `--scanners`: vulnerabilities (the default), misconfigurations, secrets.
    pub scanners: Scanners,
    /// `--dockerfile` and the secret-reading bounds, for the misconfig and secret scanners.
    pub checks: CheckSettings,
    /// The caller says what could not be checked itself (a fleet sums it over its images), so
    /// no warning per target; the report's coverage is filled either way.
    pub quiet_coverage: bool,
}

/// Suppresses or annotates decisions after the policy ran: triage records kept in the history
/// store implement it (`drydock image --store`, `drydock fleet scan`). It may set a decision's
/// verdict to [`Verdict::Suppressed`] with a reason, `suppressed_by` and expiry; the gate is
/// computed after it.
pub trait Suppressor: Send + Sync + std::fmt::Debug {
    fn apply(&self, repository: &str, releases: &[String], decisions: &mut [Decision], today: Date);

    /// The same for misconfigurations and secrets (`--scanners misconfig,secret`), after
    /// their policy ran; by default they are left alone.
    fn apply_checks(
        &self,
        _repository: &str,
        _releases: &[String],
        _entries: &mut [drydock_report::MisconfigEntry],
        _today: Date,
    ) {
    }
}

/// One scanned target.
#[derive(Debug)]
pub struct ScanOutcome {
    pub report: Report,
    /// Whether something failed the gate (findings at or above `--fail-on`, or notices with
    /// `fail_on_warnings`).
    pub gate_failed: bool,
    /// The repository part of the finding identity.
    pub repository: String,
    /// Layers walked and layers served from the layer cache.
    pub layers_analysed: usize,
    pub layers_cached: usize,
}

/// Runs the pipeline for one target.
pub fn scan(
    spec: &TargetSpec,
    kind: Kind,
    db: &Db,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    scan_with(spec, kind, Some(db), settings)
}

/// [`scan`] with only the misconfiguration and secret checks (`settings.scanners` without
/// `vuln`), reading no vulnerability DB: `drydock config --image`. The results go through
/// the same policy, suppressor and gate as [`scan`]'s.
pub fn scan_checks(
    spec: &TargetSpec,
    kind: Kind,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    if settings.scanners.vuln {
        return Err(ScanError::Usage(
            "matching vulnerabilities needs the DB: use `scan`".into(),
        ));
    }
    scan_with(spec, kind, None, settings)
}

/// [`scan`], with the DB only when vulnerabilities are matched.
fn scan_with(
    spec: &TargetSpec,
    kind: Kind,
    db: Option<&Db>,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    // `drydock fs` reads directories only: never pull a registry reference for it.
    if kind == Kind::Fs && !std::path::Path::new(&spec.target).exists() {
        return Err(ScanError::Usage(format!(
            "`{}`: no such directory",
            spec.target
        )));
    }
    let path = std::path::Path::new(&spec.target);
    // `drydock fs Dockerfile`: the Dockerfile is the target, checked as `drydock config` does.
    if kind == Kind::Fs && path.is_file() && drydock_misconfig::is_dockerfile_name(&spec.target) {
        if !settings.scanners.checks() {
            return Err(ScanError::Usage(format!(
                "`{0}` is a Dockerfile: it has no packages to match; check it with `drydock fs {0} --scanners misconfig,secret` or `drydock config {0}`",
                spec.target
            )));
        }
        return scan_dockerfiles(&spec.target, &[path.to_path_buf()], db, settings);
    }
    // An SBOM (CycloneDX or SPDX JSON) is one more kind of target, as `trivy sbom` reads it.
    if kind != Kind::Fs && path.is_file() && drydock_report::is_json_file(path) {
        let Some(db) = db else {
            return Err(ScanError::Usage(format!(
                "`{}` is an SBOM: it lists packages, with no image config or files to check",
                spec.target
            )));
        };
        return scan_sbom(spec, path, db, settings);
    }
    let (target, local_path) = match target::open_local(spec) {
        // A file `drydock fs` cannot read as anything: say what it reads instead of why the
        // file is no archive.
        Err(e) if kind == Kind::Fs && path.is_file() => {
            return Err(ScanError::Usage(format!(
                "`{0}` is a file, not a directory: `drydock fs` scans a directory or a Dockerfile (named `Dockerfile`, `Containerfile`, `*.Dockerfile` or `Dockerfile.*`; any name: `drydock config {0}`); an image archive is `drydock image {0}` (read as one: {e})",
                spec.target
            )));
        }
        other => other?,
    };
    match (&target, kind) {
        (Target::Dir(p), Kind::Image) => {
            return Err(ScanError::Usage(format!(
                "`{}` is a directory, not an image: use `drydock fs {}`",
                p.display(),
                p.display()
            )));
        }
        (Target::Image(_), Kind::Fs) => {
            return Err(ScanError::Usage(format!(
                "`{}` is an image: use `drydock image {}`",
                spec.target, spec.target
            )));
        }
        _ => {}
    }
    scan_opened_with(spec, &target, &local_path, db, settings)
}

/// The pipeline for a target already opened (a fleet opens each image first, to learn its
/// layers), read from `local_path` (what [`open_local`] returned): the layer walk, with the
/// misconfiguration and secret checks riding along when `settings.scanners` asks for them,
/// then match, decide, report.
pub fn scan_opened(
    spec: &TargetSpec,
    target: &Target,
    local_path: &str,
    db: &Db,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    scan_opened_with(spec, target, local_path, Some(db), settings)
}

fn scan_opened_with(
    spec: &TargetSpec,
    target: &Target,
    local_path: &str,
    db: Option<&Db>,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    // Misconfiguration and secret checks ride along in the inventory's layer walk.
    let checks = settings.scanners.checks().then(|| {
        drydock_misconfig::ImageScan::new(
            drydock_misconfig::Options {
                misconfig: settings.scanners.misconfig,
                secret: settings.scanners.secret,
                image_path: Some(local_path.into()),
                dockerfile: settings.checks.dockerfile.clone(),
                limits: settings.checks.limits.clone().unwrap_or_default(),
            },
            matches!(target, Target::Dir(_)),
        )
    });
    let (mut result, files) = target::walk(spec, target, checks.as_ref())?;
    filter_inventory(&mut result.inventory, settings.pkg_types, &settings.skip);
    for w in &result.inventory.warnings {
        tracing::warn!("{w}");
    }
    let misconfig = match (&checks, files) {
        (Some(c), Some(mut files)) => {
            // The inventory reports the walk's warnings already.
            files.warnings.clear();
            let outcome = c
                .finish(target, files)
                .map_err(|source| ScanError::Misconfig {
                    target: spec.target.clone(),
                    source,
                })?;
            for w in &outcome.warnings {
                tracing::warn!("{w}");
            }
            Some(outcome)
        }
        _ => None,
    };
    let mut out = scan_inventory_with(spec, target, result, db, settings)?;
    if let Some(m) = misconfig {
        add_checks(&mut out, m, settings);
    }
    Ok(out)
}

/// Adds misconfiguration and secret results to a scanned target's report, through the same
/// policy and gate as its vulnerabilities (see `checks::decide`).
fn add_checks(out: &mut ScanOutcome, checked: drydock_misconfig::Outcome, settings: &ScanSettings) {
    let today = settings.today.unwrap_or_else(today);
    let mut entries = checks::decide(
        checked.findings,
        &settings.policy,
        today,
        &mut out.report.policy_notices,
    );
    if let Some(s) = &settings.suppressor {
        s.apply_checks(&out.repository, &settings.releases, &mut entries, today);
    }
    let failing = entries
        .iter()
        .filter(|e| e.policy.verdict == Verdict::Fail)
        .count();
    let (misconfigurations, secrets) = checks::split(entries);
    if let Some(t) = out.report.targets.last_mut() {
        t.misconfigurations = misconfigurations;
        t.secrets = secrets;
    }
    out.report
        .errors
        .extend(checked.warnings.into_iter().map(|w| ScanWarning {
            path: String::new(),
            layer: None,
            source: "misconfig".into(),
            message: w,
        }));
    if failing > 0 {
        out.gate_failed = true;
    }
    if let Some(g) = &mut out.report.gate {
        g.counted += failing;
        g.failed = out.gate_failed;
    }
}

/// The pipeline after the layer walk: match, decide, report.
pub fn scan_inventory(
    spec: &TargetSpec,
    target: &Target,
    result: InventoryResult,
    db: &Db,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    scan_inventory_with(spec, target, result, Some(db), settings)
}

fn scan_inventory_with(
    spec: &TargetSpec,
    target: &Target,
    mut result: InventoryResult,
    db: Option<&Db>,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    let repository = identity_repository(spec, target);
    let layers_cached = result.layers.iter().filter(|l| l.from_cache).count();
    let layers_analysed = result.layers.len() - layers_cached;
    filter_inventory(&mut result.inventory, settings.pkg_types, &settings.skip);
    let inventory = result.inventory.clone();
    let tr = target_report(target, result);
    let mut out = evaluate(
        spec,
        &target.name(),
        repository,
        &inventory,
        tr,
        db,
        settings,
    )?;
    out.layers_analysed = layers_analysed;
    out.layers_cached = layers_cached;
    Ok(out)
}

/// Scans the packages an SBOM lists (CycloneDX 1.4–1.7, SPDX 2.3 JSON).
pub fn scan_sbom(
    spec: &TargetSpec,
    path: &std::path::Path,
    db: &Db,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    // The SBOM errors name the file already.
    let input = drydock_report::read_sbom(path).map_err(|e| ScanError::Usage(e.to_string()))?;
    let mut inventory = input.inventory;
    filter_inventory(&mut inventory, settings.pkg_types, &settings.skip);
    if spec.strict
        && let Some(w) = inventory.warnings.first()
    {
        return Err(ScanError::Strict {
            first: w.to_string(),
            count: inventory.warnings.len(),
        });
    }
    for w in &inventory.warnings {
        tracing::warn!("{w}");
    }
    let mut tr = TargetReport::new(spec.target.clone(), input.format.as_str());
    tr.set_inventory(inventory.os.clone(), inventory.packages.clone());
    let repository = spec.target.clone();
    evaluate(
        spec,
        &spec.target,
        repository,
        &inventory,
        tr,
        Some(db),
        settings,
    )
}

/// Dockerfiles as one target named `name` (`drydock config`, `drydock fs Dockerfile`): each
/// parsed and checked, the results through the same policy, suppressor and gate as an
/// image's. The DB is read only when `settings.scanners.vuln` asks for it (there are no
/// packages to match; the report says so).
pub fn scan_dockerfiles(
    name: &str,
    dockerfiles: &[std::path::PathBuf],
    db: Option<&Db>,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    let mut checked = drydock_misconfig::Outcome::default();
    for path in dockerfiles {
        let o =
            drydock_misconfig::scan_dockerfile(path).map_err(|source| ScanError::Misconfig {
                target: path.display().to_string(),
                source,
            })?;
        checked.findings.extend(o.findings);
        checked.warnings.extend(o.warnings);
    }
    checked.findings.retain(|f| {
        if drydock_misconfig::is_secret_check(&f.id) {
            settings.scanners.secret
        } else {
            settings.scanners.misconfig
        }
    });
    drydock_misconfig::sort(&mut checked.findings);
    for w in &checked.warnings {
        tracing::warn!("{w}");
    }
    let spec = TargetSpec::new(name);
    let inventory = drydock_package::Inventory::default();
    let tr = TargetReport::new(name, "dockerfile");
    let mut out = evaluate(&spec, name, name.to_string(), &inventory, tr, db, settings)?;
    add_checks(&mut out, checked, settings);
    Ok(out)
}

/// Match, decide, report: the part every kind of target shares.
fn evaluate(
    spec: &TargetSpec,
    name: &str,
    repository: String,
    inventory: &drydock_package::Inventory,
    mut tr: TargetReport,
    db: Option<&Db>,
    settings: &ScanSettings,
) -> Result<ScanOutcome, ScanError> {
    let errors = inventory.warnings.clone();
    let mut matched = match db {
        Some(db) => drydock_match::match_inventory(name, inventory, db, &settings.match_options)
            .map_err(|e| ScanError::Match {
                target: spec.target.clone(),
                source: e,
            })?,
        None => drydock_match::MatchOutcome::default(),
    };
    if !settings.scanners.vuln {
        // `--scanners misconfig,secret`: the inventory stays in the report, no findings.
        matched.findings.clear();
        matched.notices.clear();
    }
    drydock_match::identity::assign(&mut matched.findings, &repository);
    // Say what could not be checked: an empty inventory, or packages no advisory source covers,
    // is never a silent green.
    if settings.scanners.vuln && inventory.packages.is_empty() {
        tracing::warn!("no packages found in `{name}`: nothing was checked");
    }
    tr.coverage = std::mem::take(&mut matched.coverage);
    if settings.scanners.vuln
        && !settings.quiet_coverage
        && let Some(line) = tr.coverage_notice()
    {
        tracing::warn!("`{name}`: {line}");
    }
    for w in &matched.warnings {
        tracing::warn!("{w}");
    }
    let today = settings.today.unwrap_or_else(today);
    let mut outcome = drydock_policy::decide(matched.findings, &settings.policy, today)?;
    if let Some(s) = &settings.suppressor {
        s.apply(
            &repository,
            &settings.releases,
            &mut outcome.decisions,
            today,
        );
        outcome.gate_failed = outcome.decisions.iter().any(|d| d.verdict == Verdict::Fail);
    }
    for n in &outcome.notices {
        tracing::warn!("{}: {}", n.source, n.message);
    }
    tr.findings = outcome.decisions;
    tr.notices = matched.notices;
    let warnings_fail = settings.fail_on_warnings && !tr.notices.is_empty();
    let counted = tr
        .findings
        .iter()
        .filter(|d| d.verdict == Verdict::Fail)
        .count()
        + if settings.fail_on_warnings {
            tr.notices.len()
        } else {
            0
        };
    let gate_failed = outcome.gate_failed || warnings_fail;

    let mut report = Report::new(ReportKind::Vulnerability, now_rfc3339());
    report.errors = errors;
    report
        .errors
        .extend(matched.warnings.iter().map(|w| ScanWarning {
            path: String::new(),
            layer: None,
            source: "match".into(),
            message: w.clone(),
        }));
    report.policy_notices = outcome.notices;
    if settings.gate_requested {
        report.gate = Some(Gate {
            failed: gate_failed,
            fail_on: settings.policy.fail_on,
            counted,
        });
    }
    report.targets.push(tr);
    Ok(ScanOutcome {
        report,
        gate_failed,
        repository,
        layers_analysed: 0,
        layers_cached: 0,
    })
}

/// An SBOM report (inventory only) of one target.
pub fn sbom(spec: &TargetSpec) -> Result<Report, ScanError> {
    let target = open(spec)?;
    let result = inventory(spec, &target)?;
    let mut report = Report::new(ReportKind::Sbom, now_rfc3339());
    report.errors = result.inventory.warnings.clone();
    report.targets.push(target_report(&target, result));
    Ok(report)
}

/// The report's description of a scanned target.
pub fn target_report(target: &Target, result: InventoryResult) -> TargetReport {
    let mut t = TargetReport::new(target.name(), target_kind(target));
    if let Target::Image(img) = target {
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
        .filter(|l| l.diff_id.is_some())
        .map(|l| LayerSummary {
            index: l.index,
            digest: l.digest.as_ref().map(|d| d.to_string()),
            diff_id: l.diff_id.as_ref().map(|d| d.to_string()),
            size: l.size,
            // Build-arg secrets recorded in history never reach a report in full.
            created_by: l.created_by.as_deref().map(drydock_misconfig::mask_history),
        })
        .collect();
    t.set_inventory(result.inventory.os, result.inventory.packages);
    t
}

/// Today (UTC), by the same clock as [`now_unix`]: `SOURCE_DATE_EPOCH` pins it, so expiry
/// dates can be tested on any day.
pub fn today() -> Date {
    rfc3339(now_unix())
        .get(..10)
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(Date::today)
}

/// Now, RFC 3339 UTC, to the second. `SOURCE_DATE_EPOCH` pins it (reproducible reports, tests).
pub fn now_rfc3339() -> String {
    rfc3339(now_unix())
}

/// Now as Unix seconds; `SOURCE_DATE_EPOCH` pins it.
pub fn now_unix() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`; beyond jiff's range (the years -9999 to 9999)
/// it stops at that range's first or last second.
pub fn rfc3339(secs: i64) -> String {
    use jiff::Timestamp;
    let secs = secs.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(secs)
        .expect("clamped into jiff's range")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

//! `drydock triage set|show|list|history|import|export`: triage records in the history store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use drydock_policy::Date;
use drydock_store::{Store, TriageFilter, TriageRecord};
use drydock_triage::{Triage, TriageInput, add_days, date_of_unix, parse_days};

const EXAMPLES: &str = "\
Examples:
  # accept a finding for one repository (every tag and rebuild of it) until March
  drydock triage set CVE-2024-6119 --package openssl --image registry.example/app \\
      --state accepted --reason 'only parses certificates from our own CA' --expires 2027-03-01 \\
      --approver head-of-eng

  # not affected in any image, with a VEX justification
  drydock triage set CVE-2023-4911 --package glibc --all --state not_affected \\
      --justification vulnerable_code_not_in_execute_path --reason 'no setuid binaries'

  # what ends in the next two weeks, and the audit trail of one record
  drydock triage list --expiring 14d
  drydock triage history 12

  # move a team's files into the store (packages looked up in the latest run)
  drydock triage import .trivyignore --image registry.example/app
  drydock triage import .grype.yaml --all --reason 'migrated from grype'
  drydock triage import accepted-5.3.3.md
  drydock triage export --format handbook --title 'Product 5.3.3' --output accepted.md

  # exchange decisions as VEX (export -> import -> export gives the same bytes)
  drydock triage export --format openvex --output triage.openvex.json
  drydock triage export --format cyclonedx-vex --author security@example.com
  drydock triage import vendor.vex.json

  # findings --linked-only filtered by Go reachability evidence, as VEX not_affected
  drydock image app.tar --linked-only --format json > report.json
  drydock triage export --from-report report.json --format openvex";

/// The history store to use (`--store PATH|postgres://…`).
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The history store: a SQLite file or `postgres://…` (default:
    /// `~/.local/share/drydock/history.db`).
    #[arg(long, value_name = "PATH|URL", env = "DRYDOCK_STORE", global = true)]
    pub store: Option<String>,
}

impl StoreArgs {
    pub fn open(&self) -> anyhow::Result<Store> {
        let location = match &self.store {
            Some(s) => s.clone(),
            None => drydock_store::default_location()?,
        };
        // Every error names the store (the opening ones already do).
        Store::open(&location).map_err(|e| match e {
            e @ (drydock_store::StoreError::Open { .. }
            | drydock_store::StoreError::TooNew { .. }) => anyhow::Error::new(e),
            e => anyhow::Error::new(e)
                .context(format!("store `{}`", drydock_store::redact_url(&location))),
        })
    }
}

#[derive(Debug, Subcommand)]
#[command(after_help = EXAMPLES)]
pub enum TriageCommand {
    /// Create or change the triage record of a finding identity (every change is audited).
    Set(SetArgs),
    /// Show one record and its audit trail.
    Show(IdArgs),
    /// List records (filter by state, scope, package, vulnerability, expiry).
    List(ListArgs),
    /// The audit trail of one record: who changed which field when, old → new.
    History(IdArgs),
    /// Import records: OpenVEX, CycloneDX VEX, a handbook accepted-CVE page, a release CSV,
    /// `.drydockignore.yaml` or `.trivyignore`.
    Import(ImportArgs),
    /// Export every record as OpenVEX, CycloneDX VEX or a handbook page.
    Export(ExportArgs),
    /// Compare a handbook accepted-CVE page with a run (`drydock diff --accepted`).
    AcceptedDiff(super::accepted::AcceptedArgs),
}

/// Who makes a change and what it applies to.
#[derive(Debug, Args, Clone)]
pub struct ScopeArgs {
    /// One image repository (tags and digests are stripped: `app:1.2` → the repository `app`
    /// as drydock names it).
    #[arg(long, value_name = "REF", group = "scope")]
    pub image: Option<String>,
    /// One repository exactly as the store names it (see `drydock history images`).
    #[arg(long, value_name = "REPO", group = "scope")]
    pub repository: Option<String>,
    /// Every image of one release.
    #[arg(long, value_name = "RELEASE", group = "scope")]
    pub release: Option<String>,
    /// Every image with that package and vulnerability.
    #[arg(long, group = "scope")]
    pub all: bool,
}

impl ScopeArgs {
    fn input(&self) -> Option<(String, Option<String>, Option<String>)> {
        if let Some(i) = &self.image {
            let repo = if i.contains('/') || i.contains(':') || i.contains('@') {
                drydock_match::identity::repository(i)
            } else {
                i.clone()
            };
            Some(("image".into(), Some(repo), None))
        } else if let Some(r) = &self.repository {
            Some(("image".into(), Some(r.clone()), None))
        } else if let Some(r) = &self.release {
            Some(("release".into(), None, Some(r.clone())))
        } else if self.all {
            Some(("all".into(), None, None))
        } else {
            None
        }
    }
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The vulnerability id (the CVE when the advisory has one).
    #[arg(value_name = "VULN")]
    pub vuln: String,
    /// The package name, as the finding names it.
    #[arg(long, short)]
    pub package: String,
    /// The package's ecosystem (deb, apk, rpm, npm, pypi, golang, …); default: any.
    #[arg(long)]
    pub ecosystem: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// in_triage, affected, not_affected, false_positive, accepted, waiting.
    #[arg(long)]
    pub state: Option<String>,
    /// For not_affected: an OpenVEX or CycloneDX justification.
    #[arg(long)]
    pub justification: Option<String>,
    /// Why (required for not_affected, false_positive, accepted).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub approver: Option<String>,
    /// The last day the record applies, YYYY-MM-DD (required for accepted); `none` clears it.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Who makes the change (default: `$DRYDOCK_USER`, else `$USER`).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The record's id (`drydock triage list` shows it).
    pub id: i64,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only these states (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub state: Vec<String>,
    /// Only records expiring within this long (`14d`, `2w`), expired ones included.
    #[arg(long, value_name = "DURATION")]
    pub expiring: Option<String>,
    /// Only records of this repository (image scope).
    #[arg(long, value_name = "REPO")]
    pub repository: Option<String>,
    /// Only records of this release (release scope).
    #[arg(long)]
    pub release: Option<String>,
    #[arg(long)]
    pub package: Option<String>,
    #[arg(long, value_name = "VULN")]
    pub vuln: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import (format from its name and content unless --format).
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: ImportFormat,
    /// For ignore files and handbook pages: the scope of the records made (default: a
    /// handbook row's own images, an ignore file's `--all`).
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The expiry of acceptances whose entry has none (default: 182 days from today, the
    /// handbook's six-month reassessment).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// The reason of ignore-file entries that have none (default: such an entry is an error).
    #[arg(long)]
    pub reason: Option<String>,
    /// Who makes the change (default: `$DRYDOCK_USER`, else `$USER`).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Auto,
    /// OpenVEX or CycloneDX VEX JSON (either: the content tells).
    Vex,
    Openvex,
    CyclonedxVex,
    Handbook,
    Csv,
    Drydockignore,
    Trivyignore,
    TrivyignoreYaml,
    Grype,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to FILE (default: standard output); written whole or not at all.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Export the findings a scan report's Go reachability evidence filtered
    /// (`drydock image --linked-only --format json`) instead of the store's records:
    /// `not_affected`, `vulnerable_code_not_present`, the evidence as the impact statement.
    #[arg(long, value_name = "REPORT.json", conflicts_with = "store")]
    pub from_report: Option<PathBuf>,
    /// With --from-report: the repository the report's image belongs to (default: from the
    /// report's target name).
    #[arg(long, value_name = "REPO", requires = "from_report")]
    pub repository: Option<String>,
    /// The document's author (OpenVEX `author`, CycloneDX `metadata.authors`).
    #[arg(long, default_value = "drydock")]
    pub author: String,
    /// For the handbook page: its product and version heading (`Sourcegraph 5.3.3`).
    #[arg(long, default_value = "drydock")]
    pub title: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Openvex,
    CyclonedxVex,
    Handbook,
}

/// Now (Unix seconds) and today: `SOURCE_DATE_EPOCH` pins both (tests inject the clock).
pub fn clock() -> (i64, Date) {
    let now = drydock_scan::now_unix();
    (now, date_of_unix(now))
}

/// Who makes a change.
pub fn actor(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("DRYDOCK_USER").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn run(cmd: TriageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TriageCommand::Set(a) => set(a),
        TriageCommand::Show(a) => show(a, true),
        TriageCommand::History(a) => show(a, false),
        TriageCommand::List(a) => list(a),
        TriageCommand::Import(a) => import(a),
        TriageCommand::Export(a) => export(a),
        TriageCommand::AcceptedDiff(a) => super::accepted::run(a),
    }
}

fn set(a: SetArgs) -> anyhow::Result<ExitCode> {
    let Some((scope, repository, release)) = a.scope.input() else {
        bail!(
            "say what the record applies to: --image REF, --repository REPO, --release R or --all"
        );
    };
    let (now, today) = clock();
    let mut store = a.store.open()?;
    let mut input = TriageInput {
        scope,
        repository,
        release,
        ecosystem: a.ecosystem.clone(),
        package: a.package.clone(),
        vuln_id: a.vuln.clone(),
        ..TriageInput::default()
    };
    // Fields not given keep their current value.
    let probe = Triage::validate(
        TriageInput {
            state: "in_triage".into(),
            ..input.clone()
        },
        today,
    )?;
    let old = store.triage_by_key(&probe.key())?;
    let old_fields = old.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
    let pick = |new: &Option<String>, old: &Option<String>| match new.as_deref() {
        Some("none") | Some("") => None,
        Some(v) => Some(v.to_string()),
        None => old.clone(),
    };
    input.state = match (&a.state, &old) {
        (Some(s), _) => s.clone(),
        (None, Some(r)) => r.fields.state.clone(),
        (None, None) => bail!("a new triage record needs --state"),
    };
    input.justification = pick(&a.justification, &old_fields.justification);
    input.reason = pick(&a.reason, &old_fields.reason);
    input.notes = pick(&a.notes, &old_fields.notes);
    input.owner = pick(&a.owner, &old_fields.owner);
    input.approver = pick(&a.approver, &old_fields.approver);
    input.expires = pick(&a.expires, &old_fields.expires);
    // A kept expiry that has passed fails too: an expired acceptance is renewed, not edited.
    let t = Triage::validate(input, today)?;
    let outcome = drydock_triage::set(&mut store, &t, &actor(a.by.as_deref()), now)?;
    match a.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&outcome.record)?),
        ListFormat::Table => {
            let what = if outcome.created {
                "created"
            } else if outcome.events.is_empty() {
                "unchanged"
            } else {
                "updated"
            };
            println!(
                "triage #{} {what}: {}",
                outcome.record.id,
                line(&outcome.record)
            );
            for e in &outcome.events {
                println!("  {}", event_line(e));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scope_text(r: &TriageRecord) -> String {
    match r.key.scope.as_str() {
        "image" => format!("image {}", r.key.repository),
        "release" => format!("release {}", r.key.release),
        s => s.to_string(),
    }
}

fn line(r: &TriageRecord) -> String {
    let mut s = format!(
        "{} {} in {}{}: {}",
        r.key.vuln_id,
        r.key.package,
        scope_text(r),
        if r.key.ecosystem.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.key.ecosystem)
        },
        r.fields.state
    );
    if let Some(e) = &r.fields.expires {
        s.push_str(&format!(" until {e}"));
    }
    s
}

fn event_line(e: &drydock_store::TriageEvent) -> String {
    format!(
        "{} {} {}: {} → {}",
        drydock_scan::rfc3339(e.at),
        e.actor,
        e.field,
        e.old_value.as_deref().unwrap_or("∅"),
        e.new_value.as_deref().unwrap_or("∅")
    )
}

fn show(a: IdArgs, with_record: bool) -> anyhow::Result<ExitCode> {
    let mut store = a.store.open()?;
    let Some(r) = store.triage(a.id)? else {
        bail!("no triage record #{} in the store `{}`", a.id, store.name());
    };
    let events = store.triage_history(a.id)?;
    match a.format {
        ListFormat::Json => {
            let v = if with_record {
                serde_json::json!({ "record": r, "history": events })
            } else {
                serde_json::to_value(&events)?
            };
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ListFormat::Table => {
            if with_record {
                println!("triage #{}: {}", r.id, line(&r));
                for (k, v) in r.fields.named().into_iter().skip(1) {
                    if let Some(v) = v {
                        println!("  {k}: {v}");
                    }
                }
                println!(
                    "  created {} by {}, updated {} by {}",
                    drydock_scan::rfc3339(r.created_at),
                    r.created_by,
                    drydock_scan::rfc3339(r.updated_at),
                    r.updated_by
                );
                println!("history:");
            }
            for e in &events {
                println!("  {}", event_line(e));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    let (_, today) = clock();
    for s in &a.state {
        s.parse::<drydock_triage::State>()?;
    }
    let expires_by = a
        .expiring
        .as_deref()
        .map(|d| parse_days(d).map(|n| add_days(today, n).to_string()))
        .transpose()?;
    let mut store = a.store.open()?;
    let records = store.triage_list(&TriageFilter {
        states: a
            .state
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        scope: None,
        repository: a.repository.clone(),
        release: a.release.clone(),
        package: a.package.clone(),
        vuln_id: a.vuln.as_deref().map(drydock_triage::normalize_vuln_id),
        expires_by,
    })?;
    match a.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&records)?),
        ListFormat::Table => {
            if records.is_empty() {
                eprintln!("no triage records match");
            }
            for r in &records {
                let expired = r
                    .fields
                    .expires
                    .as_deref()
                    .and_then(|e| e.parse::<Date>().ok())
                    .is_some_and(|e| e < today);
                println!(
                    "#{:<5} {}{}{}",
                    r.id,
                    line(r),
                    if expired { " (EXPIRED)" } else { "" },
                    r.fields
                        .reason
                        .as_deref()
                        .map(|x| format!(" — {x}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The format of an import file: `--format`, else its name, else its content.
fn import_format(a: &ImportArgs, file: &str, text: &str) -> anyhow::Result<ImportFormat> {
    use drydock_triage::ignore_import::IgnoreKind;
    Ok(match a.format {
        ImportFormat::Auto => {
            let lower = file.to_ascii_lowercase();
            if lower.ends_with(".csv") {
                ImportFormat::Csv
            } else if lower.ends_with(".md") || lower.ends_with(".markdown") {
                ImportFormat::Handbook
            } else if let Some(k) = IgnoreKind::from_name(&lower) {
                match k {
                    IgnoreKind::Drydock => ImportFormat::Drydockignore,
                    IgnoreKind::Trivy => ImportFormat::Trivyignore,
                    IgnoreKind::TrivyYaml => ImportFormat::TrivyignoreYaml,
                    IgnoreKind::Grype => ImportFormat::Grype,
                }
            } else if lower.ends_with(".json") || text.trim_start().starts_with('{') {
                ImportFormat::Vex
            } else {
                bail!(
                    "cannot tell the format of `{file}` from its name or content: use --format \
                     (vex, handbook, csv, drydockignore, trivyignore, trivyignore-yaml, grype)"
                )
            }
        }
        f => f,
    })
}

fn import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    use drydock_triage::ignore_import::{self, IgnoreKind, ImportScope, RuleDefaults};
    let (now, today) = clock();
    let file = a.file.display().to_string();
    let text = std::fs::read_to_string(&a.file).with_context(|| format!("cannot read `{file}`"))?;
    let format = import_format(&a, &file, &text)?;
    let expires = match &a.expires {
        Some(e) => e
            .parse::<Date>()
            .map_err(|e| anyhow::anyhow!("--expires: {e}"))?,
        None => add_days(today, 182),
    };
    let by = actor(a.by.as_deref());
    let mut store = a.store.open()?;
    // (record, creation time to keep), all validated before the first write.
    let mut records: Vec<(Triage, Option<i64>)> = Vec::new();
    let mut notices: Vec<String> = Vec::new();
    match format {
        ImportFormat::Csv => {
            let Some(release) = a.scope.release.clone() else {
                bail!("a release CSV is imported for one release: --release R");
            };
            let rows = drydock_triage::release_csv::read(&text, &file)?;
            let expires = add_days(today, 182);
            records.extend(
                drydock_triage::release_csv::to_triage(&rows, &release, expires, today, &file)?
                    .into_iter()
                    .map(|t| (t, None)),
            );
        }
        ImportFormat::Vex | ImportFormat::Openvex | ImportFormat::CyclonedxVex => {
            let doc = drydock_triage::vex::parse(
                &text,
                &file,
                drydock_triage::vex::ImportDefaults { today, expires },
            )?;
            records.extend(doc.entries.into_iter().map(|e| (e.triage, e.created_at)));
            notices.extend(doc.skipped);
        }
        ImportFormat::Handbook
        | ImportFormat::Drydockignore
        | ImportFormat::Trivyignore
        | ImportFormat::TrivyignoreYaml
        | ImportFormat::Grype => {
            let (rules, skipped) = match format {
                ImportFormat::Handbook => (
                    drydock_triage::handbook::Page::parse(&text, &file)?.rules(),
                    Vec::new(),
                ),
                f => {
                    let kind = match f {
                        ImportFormat::Drydockignore => IgnoreKind::Drydock,
                        ImportFormat::Trivyignore => IgnoreKind::Trivy,
                        ImportFormat::TrivyignoreYaml => IgnoreKind::TrivyYaml,
                        _ => IgnoreKind::Grype,
                    };
                    ignore_import::read(&text, &file, kind)?
                }
            };
            notices.extend(skipped);
            let scope = match a.scope.input() {
                Some((s, repo, _)) if s == "image" => ImportScope::Image(repo.unwrap_or_default()),
                Some((_, _, Some(rel))) => ImportScope::Release(rel),
                Some(_) => ImportScope::All,
                None if format == ImportFormat::Handbook => ImportScope::PerImage,
                None => ImportScope::All,
            };
            let observed = ignore_import::observed_in_latest_run(&mut store)?;
            let resolved = ignore_import::to_triage(
                &rules,
                &scope,
                observed.as_deref(),
                &RuleDefaults {
                    today,
                    expires,
                    reason: a.reason.clone(),
                },
            )?;
            notices.extend(
                resolved
                    .unmatched
                    .iter()
                    .map(|u| format!("not imported: {u}")),
            );
            records.extend(resolved.records.into_iter().map(|t| (t, None)));
        }
        ImportFormat::Auto => unreachable!("resolved by import_format"),
    }
    for n in &notices {
        eprintln!("{n}");
    }
    // One transaction: a failure midway leaves nothing of the import stored.
    let changed = drydock_triage::import(&mut store, &records, &by, now)?
        .iter()
        .filter(|o| !o.events.is_empty())
        .count();
    println!(
        "{file}: {} record(s), {changed} created or changed{}",
        records.len(),
        if notices.is_empty() {
            String::new()
        } else {
            format!(", {} entr(ies) not imported (listed above)", notices.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The repository a report's target belongs to: an image reference's repository, else the
/// archive or directory path's.
fn report_repository(name: &str) -> String {
    if std::path::Path::new(name).exists() {
        drydock_match::identity::repository_of_path(name)
    } else {
        drydock_match::identity::repository(name)
    }
}

fn export(a: ExportArgs) -> anyhow::Result<ExitCode> {
    use drydock_triage::vex::{self, ExportOptions};
    let opts = ExportOptions {
        author: a.author.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let text = if let Some(report) = &a.from_report {
        let name = report.display().to_string();
        let bytes = std::fs::read(report).with_context(|| format!("cannot read `{name}`"))?;
        let r: drydock_report::Report = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{name}:{}: not a drydock JSON report: {e}", e.line()))?;
        let created = r
            .created_at
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second());
        let mut entries = Vec::new();
        for t in &r.targets {
            let repo = a
                .repository
                .clone()
                .unwrap_or_else(|| report_repository(&t.name));
            entries.extend(vex::entries_from_decisions(&repo, &t.findings, created));
        }
        if entries.is_empty() {
            bail!(
                "{name}: no finding was filtered by Go reachability evidence (scan with --linked-only)"
            );
        }
        match a.format {
            ExportFormat::Openvex => vex::openvex(&entries, &opts)?,
            ExportFormat::CyclonedxVex => vex::cyclonedx(&entries, &opts)?,
            ExportFormat::Handbook => {
                bail!("--from-report exports VEX only (--format openvex or cyclonedx-vex)")
            }
        }
    } else {
        let mut store = a.store.open()?;
        let records = store.triage_list(&TriageFilter::default())?;
        match a.format {
            ExportFormat::Openvex => vex::openvex(&vex::entries_from_records(&records)?, &opts)?,
            ExportFormat::CyclonedxVex => {
                vex::cyclonedx(&vex::entries_from_records(&records)?, &opts)?
            }
            ExportFormat::Handbook => {
                let triages = records
                    .iter()
                    .map(Triage::from_record)
                    .collect::<Result<Vec<_>, _>>()?;
                let found = match store.run("latest") {
                    Ok(run) => drydock_triage::handbook::found_in_run(&mut store, run.seq, None)?,
                    Err(drydock_store::StoreError::NoRun(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                let profile =
                    drydock_cvss::EnvProfile::parse(drydock_triage::handbook::HANDBOOK_PROFILE)?;
                let (page, left_out) =
                    drydock_triage::handbook::write_page(&a.title, &triages, &found, &profile);
                for l in left_out {
                    eprintln!("not exported: {l}");
                }
                page
            }
        }
    };
    match &a.output {
        Some(path) => write_whole(path, &text)?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a temporary file beside `path` and renames it into place, so a failed
/// export never leaves half a file.
fn write_whole(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

//! Reports: the serde [`Report`] model and one writer per output format.
//!
//! The CLI builds a [`Report`] (targets with their layers, packages and the policy
//! [`Decision`](drydock_policy::Decision)s about their findings) and hands it to [`write`] with a
//! [`Format`]:
//!
//! | format | what |
//! | --- | --- |
//! | `table` | human output for a terminal, grouped by target, severity colours when asked |
//! | `json` | the [`Report`] itself; schema in `docs/json-schema.md`, versioned by [`SCHEMA_VERSION`] |
//! | `sarif` | SARIF 2.1.0 for code-scanning tools (GitHub) |
//! | `cyclonedx` | CycloneDX 1.6 JSON: components, and vulnerabilities for scans |
//! | `spdx-json` | SPDX 2.3 JSON: packages and relationships |
//! | `csv` | one row per reported finding |
//! | `markdown` | a findings table per target, for tracker issues |
//! | `html` | one self-contained page (inline CSS, one hash-pinned filter script) |
//! | `junit` | JUnit XML for CI test views: a test case per package, failed by its findings |
//! | `trivy-json` | Trivy's JSON shape (`Results[].Vulnerabilities[]`) for pipelines written against it |
//!
//! Misconfigurations and secrets (`--scanners misconfig,secret`) go into every format but
//! `spdx-json` (SPDX 2.3 has no place for findings); `trivy-json` puts them under
//! `Results[].Misconfigurations[]` and `Results[].Secrets[]` as Trivy does.
//!
//! Findings are grouped per target as Trivy groups its results ([`finding_groups`]), and a
//! finding without a title shows its description's first sentence ([`display_title`]) in every
//! format. [`read_sbom`] reads a CycloneDX or SPDX JSON document back into an inventory, so an
//! SBOM can be scanned like an image.
//!
//! Writers never invent times: `created_at` is the only time in any output, and everything
//! whose order shows is sorted ([`Report::normalize`]), so equal scans give equal bytes.
//!
//! ```
//! use drydock_report::{Format, Report, ReportKind, TargetReport, WriteOptions, write};
//! let mut report = Report::new(ReportKind::Sbom, "2026-11-23T10:00:00Z");
//! report.targets.push(TargetReport::new("alpine:3.7", "docker-archive"));
//! let mut out = Vec::new();
//! write(&report, "json".parse::<Format>().unwrap(), &WriteOptions::default(), &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("\"schema_version\": 1"));
//! ```

mod csv;
mod cyclonedx;
mod escape;
mod group;
mod html;
mod json;
mod junit;
mod markdown;
mod misconfig;
mod model;
mod sarif;
mod sbom_input;
mod severity;
mod spdx;
mod suppression;
mod table;
mod trivy_json;

pub use escape::html as escape_html;
pub use group::{FindingGroup, finding_groups, source_kind};
pub use misconfig::{MisconfigEntry, severity_of as misconfig_severity};
pub use model::{
    Gate, LayerSummary, PackageEntry, Report, ReportKind, SCHEMA_VERSION, TargetReport, Tool,
    display_title, finding_order, first_sentence, is_reported, short_digest,
};
pub use sbom_input::{
    SbomError, SbomFormat, SbomInput, is_json_file, looks_like_json, parse_sbom, read_sbom,
};

/// An output format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Table,
    Json,
    Sarif,
    CycloneDx,
    SpdxJson,
    Csv,
    Markdown,
    Html,
    Junit,
    TrivyJson,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::CycloneDx,
        Format::SpdxJson,
        Format::Csv,
        Format::Markdown,
        Format::Html,
        Format::Junit,
        Format::TrivyJson,
    ];

    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::CycloneDx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Junit => "junit",
            Format::TrivyJson => "trivy-json",
        }
    }

    /// Whether the format is meant for a terminal (colour may apply).
    pub fn is_human(self) -> bool {
        self == Format::Table
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text did not name a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown format `{0}` (expected one of: table, json, sarif, cyclonedx, spdx-json, csv, markdown, html, junit, trivy-json)"
)]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == lower)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// How to write: choices the CLI makes for the reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// ANSI colours in `table` (the CLI turns them off with `NO_COLOR` or when not a tty).
    pub color: bool,
    /// Show filtered and suppressed findings (with their reason) in human formats (`table`,
    /// `markdown`, `html`). Machine formats always keep them where the format can say so.
    pub show_suppressed: bool,
    /// The terminal's width in columns: `table` cuts titles to fit it. `None` (output to a
    /// file or a pipe) keeps them whole.
    pub width: Option<usize>,
}

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("writing the `{format}` report: {source}")]
    Io {
        format: Format,
        #[source]
        source: std::io::Error,
    },
    #[error("serializing the `{format}` report: {source}")]
    Json {
        format: Format,
        #[source]
        source: serde_json::Error,
    },
    #[error("writing the `csv` report: {0}")]
    Csv(#[source] ::csv::Error),
    #[error("formatting the `{0}` report")]
    Fmt(Format),
}

/// Writes `report` in `format` to `out`. The report is sorted first ([`Report::normalize`] on a
/// copy), so callers need not sort.
pub fn write(
    report: &Report,
    format: Format,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), ReportError> {
    let mut sorted = report.clone();
    sorted.normalize();
    let report = &sorted;
    let io = |source| ReportError::Io { format, source };
    let json_err = |source| ReportError::Json { format, source };
    let fmt_err = |_| ReportError::Fmt(format);
    let mut buf: Vec<u8> = Vec::new();
    match format {
        Format::Json => json::write(report, &mut buf).map_err(json_err)?,
        Format::Table => table::write(report, opts, &mut buf).map_err(io)?,
        Format::Sarif => pretty(&sarif::to_value(report), &mut buf).map_err(json_err)?,
        Format::CycloneDx => pretty(&cyclonedx::to_value(report), &mut buf).map_err(json_err)?,
        Format::SpdxJson => pretty(&spdx::to_value(report), &mut buf).map_err(json_err)?,
        Format::TrivyJson => pretty(&trivy_json::to_value(report), &mut buf).map_err(json_err)?,
        Format::Csv => csv::write(report, &mut buf).map_err(ReportError::Csv)?,
        Format::Markdown => {
            let mut s = String::new();
            markdown::write(report, opts, &mut s).map_err(fmt_err)?;
            buf = s.into_bytes();
        }
        Format::Html => {
            let mut s = String::new();
            html::write(report, opts, &mut s).map_err(fmt_err)?;
            buf = s.into_bytes();
        }
        Format::Junit => {
            let mut s = String::new();
            junit::write(report, &mut s).map_err(fmt_err)?;
            buf = s.into_bytes();
        }
    }
    out.write_all(&buf).map_err(io)?;
    out.flush().map_err(io)
}

fn pretty(value: &serde_json::Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.push(b'\n');
    Ok(())
}

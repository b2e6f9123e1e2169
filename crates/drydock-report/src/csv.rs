//! `csv`: one row per reported finding, with a header row.
//!
//! Columns: `image, package, installed, fixed, id, severity, title, url, status, fingerprint,
//! ecosystem, path, kind` (the title falls back to the description's first sentence; the path
//! is the first place the package was found). New columns go at the end.
//!
//! Misconfigurations and secrets (`--scanners misconfig,secret`) follow the vulnerabilities,
//! one row each: `kind` is `misconfiguration` or `secret` (`vulnerability` for the others),
//! `id` the check id, `path` where it was seen (`Dockerfile:12`, `config.User`,
//! `/root/.ssh/id_rsa (layer 3)`); the package, `url` and `status` columns stay empty.
//! Cells a spreadsheet would evaluate as formulas get a leading `'`.

use crate::escape::csv_cell;
use crate::model::Report;

pub(crate) const HEADER: [&str; 13] = [
    "image",
    "package",
    "installed",
    "fixed",
    "id",
    "severity",
    "title",
    "url",
    "status",
    "fingerprint",
    "ecosystem",
    "path",
    "kind",
];

pub(crate) fn write(report: &Report, out: &mut Vec<u8>) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for t in &report.targets {
        for d in t.reported() {
            let f = &d.finding;
            let row = [
                t.name.as_str(),
                &f.package,
                &f.installed,
                f.fixed.as_deref().unwrap_or(""),
                &f.id,
                f.severity.as_str(),
                crate::model::display_title(f),
                f.primary_url.as_deref().unwrap_or(""),
                f.status.as_str(),
                &f.fingerprint,
                f.ecosystem.as_str(),
                f.locations.first().map_or("", |l| l.path.as_str()),
                "vulnerability",
            ];
            w.write_record(row.iter().map(|c| csv_cell(c)))?;
        }
        for e in crate::misconfig::reported(t) {
            let f = &e.finding;
            let location = f.evidence.location();
            let row = [
                t.name.as_str(),
                "",
                "",
                "",
                &f.id,
                f.severity.as_str(),
                &f.title,
                "",
                "",
                &f.fingerprint,
                "",
                &location,
                crate::misconfig::kind_name(e),
            ];
            w.write_record(row.iter().map(|c| csv_cell(c)))?;
        }
    }
    w.flush()?;
    Ok(())
}

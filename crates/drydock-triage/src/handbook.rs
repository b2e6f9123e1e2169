//! Handbook accepted-CVE pages: "Accepted CVEs for <Product> X.Y.Z", one Markdown table
//!
//! `CVE ID | Affected Images | CVE Severity | CVSS Base Score | <Org> Assessment | CVSS Environmental Score | Details`
//!
//! (older pages lack the two CVSS columns) and optionally a "Known False Positives" table
//! `Vulnerability ID | Affected Images | Note`. [`Page::parse`] reads both (links in the id
//! cell, notes in parentheses in the image cell, any case and spacing; a malformed row is an
//! error naming its line); [`Page::compare`] lists findings `not accepted` and rows `no longer
//! found`; [`Page::updated`] writes the page back with new findings added, resolved rows
//! removed and every other byte — each human-written cell of each kept row — unchanged.

use std::collections::{BTreeMap, BTreeSet};

use drydock_cvss::EnvProfile;

use crate::TriageError;

/// The handbook's environment profile: adjacent network, confidentiality High, integrity
/// Medium, availability Low.
pub const HANDBOOK_PROFILE: &str = "MAV:A/CR:H/IR:M/AR:L";

/// What a column of a table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Id,
    Images,
    Severity,
    BaseScore,
    Assessment,
    EnvScore,
    Details,
    Note,
    Other(String),
}

fn column(header: &str) -> Column {
    let h = header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    match h.as_str() {
        "cve id" | "vulnerability id" | "cve" | "id" | "vulnerability" => Column::Id,
        "affected images" | "images" | "affected image" => Column::Images,
        "cve severity" | "severity" => Column::Severity,
        "cvss base score" | "base score" => Column::BaseScore,
        "cvss environmental score" | "environmental score" => Column::EnvScore,
        "details" => Column::Details,
        "note" | "notes" => Column::Note,
        h if h.ends_with("assessment") => Column::Assessment,
        _ => Column::Other(header.trim().to_string()),
    }
}

/// One image named in a row: the name (no tag) and a parenthesised note, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    pub name: String,
    pub note: Option<String>,
}

/// One data row, with its raw text kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the page.
    pub line: usize,
    /// The row's line as written (without its line ending).
    pub raw: String,
    /// The cells as written, untrimmed.
    pub cells: Vec<String>,
    /// The vulnerability id (link text when the cell is a Markdown link).
    pub id: String,
    pub images: Vec<ImageName>,
}

impl Row {
    pub fn cell(&self, table: &Table, c: &Column) -> Option<&str> {
        table
            .columns
            .iter()
            .position(|x| x == c)
            .and_then(|i| self.cells.get(i))
            .map(|s| s.trim())
    }
}

/// One table of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// 0-based index of the header line and of the line after the last row.
    pub header: usize,
    pub end: usize,
    pub rows: Vec<Row>,
}

/// A parsed page: its lines (with their endings) and its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub file: String,
    lines: Vec<String>,
    pub accepted: Table,
    pub false_positives: Option<Table>,
}

/// Splits a table line into raw cells (`\|` is not a separator; leading and trailing pipes
/// are optional).
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") {
        &t[..t.len() - 1]
    } else {
        t
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            cur.push('\\');
            cur.push('|');
            chars.next();
        } else if c == '|' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn is_separator(line: &str) -> bool {
    let cs = cells(line);
    !cs.is_empty()
        && cs.iter().all(|c| {
            let c = c.trim();
            !c.is_empty() && c.chars().all(|x| x == '-' || x == ':') && c.contains('-')
        })
}

/// The id in a cell: `[CVE-1](url)`, `CVE-1`, `**CVE-1**`.
fn id_of(cell: &str) -> String {
    let t = cell.trim();
    let t = match (t.find('['), t.find("](")) {
        (Some(a), Some(b)) if a < b => &t[a + 1..b],
        _ => t,
    };
    crate::normalize_vuln_id(t.trim_matches(|c: char| c == '*' || c == '`' || c.is_whitespace()))
}

fn images_of(cell: &str) -> Vec<ImageName> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    let mut push = |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        let (name, note) = match s.find('(') {
            Some(i) => (
                s[..i].trim(),
                Some(s[i + 1..].trim_end_matches(')').trim().to_string()),
            ),
            None => (s, None),
        };
        let name = name.trim_matches('`');
        // Tags confuse matching (the handbook asks for none); drop one if present.
        let name = match (name.rfind(':'), name.rfind('/')) {
            (Some(c), s) if s.is_none_or(|s| c > s) => &name[..c],
            _ => name,
        };
        if !name.is_empty() {
            out.push(ImageName {
                name: name.to_string(),
                note,
            });
        }
    };
    for c in cell.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' | '<' if depth == 0 => {
                push(&cur);
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    push(&cur);
    // `<br>` separators leave `br>` pieces behind.
    out.retain(|i| i.name != "br>" && i.name != "br/>");
    for i in &mut out {
        if let Some(n) = i
            .name
            .strip_prefix("br>")
            .or_else(|| i.name.strip_prefix("br/>"))
        {
            i.name = n.trim().to_string();
        }
    }
    out
}

impl Page {
    /// Reads a page; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Page, TriageError> {
        let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let bare = |i: usize| lines[i].trim_end_matches(['\n', '\r']);
        let mut tables = Vec::new();
        let mut i = 0;
        while i + 1 < lines.len() {
            let l = bare(i);
            if l.contains('|') && is_separator(bare(i + 1)) {
                let columns: Vec<Column> = cells(l).iter().map(|c| column(c)).collect();
                let header = i;
                let mut rows = Vec::new();
                let mut j = i + 2;
                while j < lines.len() && bare(j).contains('|') && !bare(j).trim().is_empty() {
                    let raw = bare(j).to_string();
                    let cs = cells(&raw);
                    let line = j + 1;
                    let known = columns.contains(&Column::Id) && columns.contains(&Column::Images);
                    if known {
                        if cs.len() != columns.len() {
                            return Err(TriageError::Parse {
                                file: file.into(),
                                line,
                                message: format!(
                                    "the row has {} cells, the table {} columns",
                                    cs.len(),
                                    columns.len()
                                ),
                            });
                        }
                        let idx = |c: &Column| columns.iter().position(|x| x == c).unwrap_or(0);
                        let id = id_of(&cs[idx(&Column::Id)]);
                        let looks_like_id =
                            id.len() > 3 && id.contains('-') && !id.contains(char::is_whitespace);
                        if !looks_like_id {
                            return Err(TriageError::Parse {
                                file: file.into(),
                                line,
                                message: format!(
                                    "`{}` is not a vulnerability id",
                                    cs[idx(&Column::Id)].trim()
                                ),
                            });
                        }
                        let images = images_of(&cs[idx(&Column::Images)]);
                        if images.is_empty() {
                            return Err(TriageError::Parse {
                                file: file.into(),
                                line,
                                message: format!("row `{id}` lists no image"),
                            });
                        }
                        rows.push(Row {
                            line,
                            raw,
                            cells: cs,
                            id,
                            images,
                        });
                    }
                    j += 1;
                }
                tables.push(Table {
                    columns,
                    header,
                    end: j,
                    rows,
                });
                i = j;
            } else {
                i += 1;
            }
        }
        let mut accepted = None;
        let mut fps = None;
        for t in tables {
            let has = |c: &Column| t.columns.contains(c);
            if !(has(&Column::Id) && has(&Column::Images)) {
                continue;
            }
            if has(&Column::Severity) && accepted.is_none() {
                accepted = Some(t);
            } else if !has(&Column::Severity) && fps.is_none() {
                fps = Some(t);
            }
        }
        let accepted = accepted.ok_or_else(|| TriageError::File {
            file: file.into(),
            message: "no accepted-CVE table (a Markdown table with `CVE ID`, `Affected Images` and `CVE Severity` columns)".into(),
        })?;
        Ok(Page {
            file: file.into(),
            lines,
            accepted,
            false_positives: fps,
        })
    }

    /// The page as read.
    pub fn text(&self) -> String {
        self.lines.concat()
    }
}

/// Whether an image name from a page names this repository: the whole repository, or its
/// trailing path (`sourcegraph/dind` names `docker.io/sourcegraph/dind`), any case.
pub fn names_repository(name: &str, repository: &str) -> bool {
    let (n, r) = (name.to_ascii_lowercase(), repository.to_ascii_lowercase());
    r == n || r.ends_with(&format!("/{n}"))
}

/// How a page names a repository: without Docker Hub's implied `docker.io/` and `library/`.
pub fn short_name(repository: &str) -> String {
    let r = repository.strip_prefix("docker.io/").unwrap_or(repository);
    r.strip_prefix("library/").unwrap_or(r).to_string()
}

/// A vulnerability found in an image of the run being compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub repository: String,
    pub vuln_id: String,
    /// `CRITICAL`, `HIGH`, …
    pub severity: String,
    pub cvss_score: Option<String>,
    pub cvss_vector: Option<String>,
    pub url: Option<String>,
}

/// What a comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Found, in no table: vulnerability id → the findings (one per repository).
    pub not_accepted: BTreeMap<String, Vec<Found>>,
    /// Rows none of whose listed images has the vulnerability any more.
    pub no_longer_found: Vec<Row>,
    /// Rows of the false-positive table no longer found.
    pub false_positives_gone: Vec<Row>,
}

fn severity_rank(s: &str) -> u8 {
    match s.trim().to_ascii_uppercase().as_str() {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" | "MODERATE" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

impl Page {
    /// Compares the page with what a run found.
    pub fn compare(&self, found: &[Found]) -> Comparison {
        let mut by_vuln: BTreeMap<&str, Vec<&Found>> = BTreeMap::new();
        for f in found {
            by_vuln.entry(f.vuln_id.as_str()).or_default().push(f);
        }
        let covered = |f: &Found| {
            std::iter::once(&self.accepted)
                .chain(self.false_positives.as_ref())
                .flat_map(|t| &t.rows)
                .any(|r| {
                    r.id.eq_ignore_ascii_case(&f.vuln_id)
                        && r.images
                            .iter()
                            .any(|i| names_repository(&i.name, &f.repository))
                })
        };
        let still = |r: &Row| {
            by_vuln.get(r.id.as_str()).is_some_and(|fs| {
                fs.iter().any(|f| {
                    r.images
                        .iter()
                        .any(|i| names_repository(&i.name, &f.repository))
                })
            })
        };
        let mut c = Comparison::default();
        for f in found {
            if !covered(f) {
                let v = c.not_accepted.entry(f.vuln_id.clone()).or_default();
                if !v.iter().any(|x| x.repository == f.repository) {
                    v.push(f.clone());
                }
            }
        }
        c.no_longer_found = self
            .accepted
            .rows
            .iter()
            .filter(|r| !still(r))
            .cloned()
            .collect();
        if let Some(t) = &self.false_positives {
            c.false_positives_gone = t.rows.iter().filter(|r| !still(r)).cloned().collect();
        }
        c
    }

    /// The page updated for `found`: resolved rows of the accepted table removed, one row per
    /// vulnerability not accepted added (severity, base score, the environmental score under
    /// `profile`; assessment and details left empty for a human), placed as the input was
    /// sorted (by id, or by severity then id; else appended). Every other line is unchanged.
    pub fn updated(&self, found: &[Found], profile: &EnvProfile) -> String {
        let cmp = self.compare(found);
        let t = &self.accepted;
        let gone: BTreeSet<usize> = cmp.no_longer_found.iter().map(|r| r.line).collect();
        let kept: Vec<&Row> = t.rows.iter().filter(|r| !gone.contains(&r.line)).collect();
        let sev_of = |r: &Row| r.cell(t, &Column::Severity).map(severity_rank).unwrap_or(0);
        type Key = (u8, String);
        let by_id = |r: &Row| -> Key { (0, r.id.clone()) };
        let by_sev = |r: &Row| -> Key { (4 - sev_of(r), r.id.clone()) };
        let sorted = |k: &dyn Fn(&Row) -> Key| t.rows.windows(2).all(|w| k(&w[0]) <= k(&w[1]));
        let order: Option<bool> = if sorted(&by_id) {
            Some(false)
        } else if sorted(&by_sev) {
            Some(true)
        } else {
            None
        };
        let eol = t
            .rows
            .first()
            .map(|r| &self.lines[r.line - 1])
            .or_else(|| self.lines.get(t.header))
            .map(|l| if l.ends_with("\r\n") { "\r\n" } else { "\n" })
            .unwrap_or("\n");
        let mut new_rows: Vec<(Key, String)> = cmp
            .not_accepted
            .iter()
            .map(|(id, fs)| {
                let sev = fs
                    .iter()
                    .map(|f| f.severity.as_str())
                    .max_by_key(|s| severity_rank(s))
                    .unwrap_or("UNKNOWN");
                let key = match order {
                    Some(true) => (4 - severity_rank(sev), id.clone()),
                    _ => (0, id.clone()),
                };
                (key, new_row(t, id, fs, sev, profile))
            })
            .collect();
        new_rows.sort();
        // Merge: kept rows in their order, each new row before the first kept row after it.
        let mut body: Vec<String> = Vec::new();
        let mut pending = new_rows.into_iter().peekable();
        for r in &kept {
            if let Some(asc) = order {
                let k = if asc { by_sev(r) } else { by_id(r) };
                while pending.peek().is_some_and(|(nk, _)| *nk < k) {
                    if let Some((_, line)) = pending.next() {
                        body.push(format!("{line}{eol}"));
                    }
                }
            }
            body.push(self.lines[r.line - 1].clone());
        }
        for (_, line) in pending {
            body.push(format!("{line}{eol}"));
        }
        // The last kept row may lack a line ending (end of file): give it one if rows follow.
        let mut out = String::new();
        for l in &self.lines[..t.header + 2] {
            out.push_str(l);
        }
        let n = body.len();
        for (i, l) in body.into_iter().enumerate() {
            out.push_str(&l);
            if i + 1 < n && !l.ends_with('\n') {
                out.push_str(eol);
            }
        }
        for l in &self.lines[t.end..] {
            out.push_str(l);
        }
        out
    }
}

fn title_case(sev: &str) -> String {
    let l = sev.to_ascii_lowercase();
    let mut c = l.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn cell_escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The environmental score of a vector under a profile, one decimal.
pub fn environmental_score(vector: &str, profile: &EnvProfile) -> Option<String> {
    let v = drydock_cvss::parse(vector).ok()?;
    let s = v.with_env(profile).ok()?.scores();
    s.environmental_score.map(|x| format!("{x:.1}"))
}

fn new_row(t: &Table, id: &str, fs: &[Found], sev: &str, profile: &EnvProfile) -> String {
    let mut repos: Vec<String> = fs.iter().map(|f| short_name(&f.repository)).collect();
    repos.sort();
    repos.dedup();
    let best = fs
        .iter()
        .filter(|f| f.cvss_score.is_some())
        .max_by(|a, b| a.cvss_score.cmp(&b.cvss_score));
    let url = fs.iter().find_map(|f| f.url.clone()).unwrap_or_else(|| {
        if id.starts_with("CVE-") {
            format!("https://nvd.nist.gov/vuln/detail/{id}")
        } else {
            format!("https://osv.dev/vulnerability/{id}")
        }
    });
    let cells: Vec<String> = t
        .columns
        .iter()
        .map(|c| match c {
            Column::Id => format!("[{id}]({url})"),
            Column::Images => repos.join(", "),
            Column::Severity => title_case(sev),
            Column::BaseScore => best.and_then(|f| f.cvss_score.clone()).unwrap_or_default(),
            Column::EnvScore => best
                .and_then(|f| f.cvss_vector.as_deref())
                .and_then(|v| environmental_score(v, profile))
                .unwrap_or_default(),
            _ => String::new(),
        })
        .map(|c| cell_escape(&c))
        .collect();
    format!("| {} |", cells.join(" | "))
}

/// What run `run_seq` found, in every image or in the images of one release (failed scans
/// found nothing: they are not scanned, never "fixed").
pub fn found_in_run(
    store: &mut drydock_store::Store,
    run_seq: i64,
    release: Option<&str>,
) -> Result<Vec<Found>, TriageError> {
    let mut out = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut obs = Vec::new();
    for img in store.images(run_seq)? {
        if release.is_some_and(|r| !img.releases.iter().any(|(n, _)| n == r)) {
            continue;
        }
        for o in store.observations(run_seq, &img.reference)? {
            ids.insert(o.vuln_id.clone());
            obs.push(o);
        }
    }
    let vulns = store.vulns(&ids.into_iter().collect::<Vec<_>>())?;
    for o in obs {
        let v = vulns.get(&o.vuln_id);
        out.insert(Found {
            repository: o.repository,
            vuln_id: o.vuln_id,
            severity: o.severity,
            cvss_score: v.and_then(|v| v.cvss_score.clone()),
            cvss_vector: v.and_then(|v| v.cvss_vector.clone()),
            url: v.and_then(|v| v.url.clone()),
        });
    }
    Ok(out.into_iter().collect())
}

/// `Accepted until YYYY-MM-DD[, approved by WHO]`: the Assessment cell [`write_page`] writes,
/// read back by [`Page::rules`] (any case; other text around it is left alone).
fn assessment_terms(cell: &str) -> (Option<drydock_policy::Date>, Option<String>) {
    let lower = cell.to_ascii_lowercase();
    let expires = lower.find("until ").and_then(|i| {
        cell.get(i + 6..i + 16)
            .and_then(|d| d.parse::<drydock_policy::Date>().ok())
    });
    let approver = lower
        .find("approved by ")
        .map(|i| approver_name(&cell[i + 12..]));
    (expires, approver.filter(|a| !a.is_empty()))
}

/// The name at the start of `text`: up to a `,` or `;`, or a `.` that ends a sentence (followed
/// by a space or the end, and not after a one-letter initial: `J. Doe`, `jane.doe@example.com`
/// and `Dr. Ng` stay whole, `Jane Doe. Reviewed yearly` ends at `Doe`).
fn approver_name(text: &str) -> String {
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        if c == ',' || c == ';' {
            end = i;
            break;
        }
        if c == '.' {
            let next_is_space = text[i + 1..].chars().next().is_none_or(char::is_whitespace);
            let word = text[..i]
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or_default();
            let abbreviation =
                word.chars().count() == 1 || matches!(word, "Dr" | "Mr" | "Ms" | "Mrs");
            if next_is_space && !abbreviation {
                end = i;
                break;
            }
        }
    }
    text[..end].trim().to_string()
}

fn unescape_cell(s: &str) -> String {
    s.trim().replace("\\|", "|")
}

impl Page {
    /// The page as import rules: each accepted row an `accepted` rule (the Details cell as the
    /// reason, else the Assessment; `until YYYY-MM-DD` / `approved by X` in the Assessment as
    /// expiry and approver), each Known False Positives row a `false_positive` rule (the Note
    /// as the reason). Rules name the row's images; the packages come from a run.
    pub fn rules(&self) -> Vec<crate::ignore_import::Rule> {
        use crate::ignore_import::{PackageSpec, Rule};
        let mut out = Vec::new();
        let t = &self.accepted;
        for r in &t.rows {
            let details = r.cell(t, &Column::Details).map(unescape_cell);
            let assessment = r.cell(t, &Column::Assessment).map(unescape_cell);
            let (expires, approver) = assessment
                .as_deref()
                .map(assessment_terms)
                .unwrap_or((None, None));
            let reason = details
                .filter(|d| !d.is_empty())
                .or_else(|| assessment.filter(|a| !a.is_empty()));
            out.push(Rule {
                source: format!("{}:{}", self.file, r.line),
                line: r.line,
                vuln_id: r.id.clone(),
                package: PackageSpec::Any,
                images: r.images.iter().map(|i| i.name.clone()).collect(),
                state: crate::State::Accepted,
                justification: None,
                reason,
                expires,
                approver,
                paths: Vec::new(),
            });
        }
        if let Some(fp) = &self.false_positives {
            for r in &fp.rows {
                out.push(Rule {
                    source: format!("{}:{}", self.file, r.line),
                    line: r.line,
                    vuln_id: r.id.clone(),
                    package: PackageSpec::Any,
                    images: r.images.iter().map(|i| i.name.clone()).collect(),
                    state: crate::State::FalsePositive,
                    justification: None,
                    reason: r
                        .cell(fp, &Column::Note)
                        .map(unescape_cell)
                        .filter(|n| !n.is_empty()),
                    expires: None,
                    approver: None,
                    paths: Vec::new(),
                });
            }
        }
        out
    }
}

/// Writes a handbook page "Accepted CVEs for `title`" from triage records: `accepted` records
/// in the accepted table (full layout; severity and CVSS scores from `found`, the latest run),
/// `false_positive` records in "Known False Positives". Records with one reason, expiry and
/// approver share a row listing their images; records of release or `all` scope list the
/// images `found` has the vulnerability in, and are left out (returned) when it has none.
pub fn write_page(
    title: &str,
    records: &[crate::Triage],
    found: &[Found],
    profile: &EnvProfile,
) -> (String, Vec<String>) {
    use crate::{Scope, State};
    type RowKey = (String, Option<String>, Option<String>, Option<String>);
    let mut accepted: BTreeMap<RowKey, BTreeSet<String>> = BTreeMap::new();
    let mut fps: BTreeMap<RowKey, BTreeSet<String>> = BTreeMap::new();
    let mut left_out = Vec::new();
    for t in records {
        let table = match t.state {
            State::Accepted => &mut accepted,
            State::FalsePositive => &mut fps,
            _ => continue,
        };
        let images: BTreeSet<String> = match &t.scope {
            Scope::Image(r) => [short_name(r)].into(),
            _ => found
                .iter()
                .filter(|f| f.vuln_id.eq_ignore_ascii_case(&t.vuln_id))
                .map(|f| short_name(&f.repository))
                .collect(),
        };
        if images.is_empty() {
            left_out.push(format!(
                "{} {} ({}): no image of the latest run has it, so the page cannot name one",
                t.vuln_id, t.package, t.scope
            ));
            continue;
        }
        table
            .entry((
                t.vuln_id.clone(),
                t.reason.clone(),
                t.expires.map(|e| e.to_string()),
                t.approver.clone(),
            ))
            .or_default()
            .extend(images);
    }
    let link = |id: &str| {
        let url = found
            .iter()
            .find(|f| f.vuln_id == id)
            .and_then(|f| f.url.clone())
            .unwrap_or_else(|| {
                if id.starts_with("CVE-") {
                    format!("https://nvd.nist.gov/vuln/detail/{id}")
                } else {
                    format!("https://osv.dev/vulnerability/{id}")
                }
            });
        format!("[{id}]({url})")
    };
    let mut out = format!("# Accepted CVEs for {title}\n\n");
    out.push_str("| CVE ID | Affected Images | CVE Severity | CVSS Base Score | Assessment | CVSS Environmental Score | Details |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for ((id, reason, expires, approver), images) in &accepted {
        let fs: Vec<&Found> = found.iter().filter(|f| &f.vuln_id == id).collect();
        let sev = fs
            .iter()
            .map(|f| f.severity.as_str())
            .max_by_key(|s| severity_rank(s))
            .map(title_case)
            .unwrap_or_default();
        let best = fs
            .iter()
            .filter(|f| f.cvss_score.is_some())
            .max_by(|a, b| a.cvss_score.cmp(&b.cvss_score));
        let mut assessment = format!(
            "Accepted until {}",
            expires.as_deref().unwrap_or("(no expiry)")
        );
        if let Some(a) = approver {
            assessment.push_str(&format!(", approved by {a}"));
        }
        let cells = [
            link(id),
            images.iter().cloned().collect::<Vec<_>>().join(", "),
            sev,
            best.and_then(|f| f.cvss_score.clone()).unwrap_or_default(),
            assessment,
            best.and_then(|f| f.cvss_vector.as_deref())
                .and_then(|v| environmental_score(v, profile))
                .unwrap_or_default(),
            reason.clone().unwrap_or_default(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| cell_escape(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if !fps.is_empty() {
        out.push_str("\n## Known False Positives\n\n| Vulnerability ID | Affected Images | Note |\n|---|---|---|\n");
        for ((id, reason, _, _), images) in &fps {
            let cells = [
                link(id),
                images.iter().cloned().collect::<Vec<_>>().join(", "),
                reason.clone().unwrap_or_default(),
            ];
            let cells: Vec<String> = cells.iter().map(|c| cell_escape(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    (out, left_out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn approver_names_keep_initials_and_stop_at_a_sentence() {
        let cases = [
            ("Accepted until 2027-01-31, approved by J. Doe", "J. Doe"),
            (
                "Accepted until 2027-01-31, approved by Jane Doe. Reviewed yearly",
                "Jane Doe",
            ),
            (
                "approved by jane.doe@example.com; see ticket",
                "jane.doe@example.com",
            ),
            ("Approved by Dr. Ng, CISO", "Dr. Ng"),
            ("accepted, approved by the CISO.", "the CISO"),
        ];
        for (cell, want) in cases {
            assert_eq!(assessment_terms(cell).1.as_deref(), Some(want), "{cell}");
        }
        assert_eq!(assessment_terms("approved by .").1, None);
    }

    use super::*;

    #[test]
    fn cells_and_ids() {
        assert_eq!(cells("| a | b \\| c |"), vec![" a ", " b \\| c "]);
        assert_eq!(cells("a|b"), vec!["a", "b"]);
        assert_eq!(id_of(" [cve-2023-39325](https://nvd/x) "), "CVE-2023-39325");
        assert_eq!(id_of("**GHSA-ABCD-1234-EFGH**"), "GHSA-abcd-1234-efgh");
        let i = images_of("sourcegraph/dind (Docker Compose only), sourcegraph/server:5.1, `x`");
        assert_eq!(i.len(), 3);
        assert_eq!(i[0].note.as_deref(), Some("Docker Compose only"));
        assert_eq!(i[1].name, "sourcegraph/server");
        assert!(names_repository(
            "sourcegraph/dind",
            "docker.io/sourcegraph/dind"
        ));
        assert!(!names_repository("dind", "docker.io/sourcegraph/dind-x"));
    }
}

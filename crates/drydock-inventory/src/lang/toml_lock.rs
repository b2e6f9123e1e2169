//! `[[package]]` lockfiles (`Cargo.lock`, `poetry.lock`, `uv.lock`) parsed a table at a time
//! (issue 14 case 10).
//!
//! A TOML parser holds the whole document as a tree of spans and values, about 20 times the
//! text (a 31 MiB `Cargo.lock` peaked at 650 MiB). These lockfiles are a flat list of
//! `[[package]]` tables, each followed by its own `[package.x]` sub-tables, and a few other
//! tables (`[metadata]`). So the text is cut into statements (a header line, or a key and its
//! value, which may span lines inside strings, arrays and inline tables) and parsed in parts:
//!
//! - one `[[package]]` table with its `[package.x]` / `[[package.x]]` sub-tables, at most
//!   [`MAX_PART`] bytes;
//! - everything else (the keys before the first table, `[metadata]`, …) in pieces of about
//!   [`PIECE`] bytes, each repeating its table's header; a single statement of more than
//!   [`MAX_PART`] bytes is an error.
//!
//! Each part is parsed by the `toml` crate exactly as the whole document was, so the packages
//! and their values are the same (tested against the whole-document parse on every lockfile
//! at hand and on generated ones), and peak memory is the file, one part's tree, and the
//! packages kept. What a part cannot see is a conflict between parts the analyzers do not
//! read: a `[metadata]` table defined twice is not an error here.

use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AnalyzeError;

/// Largest `[[package]]` table (sub-tables included) or single statement parsed: the part's
/// tree costs about 20 times this. Real tables are a few KiB (a `uv.lock` entry listing
/// every wheel of a large project, tens of KiB).
pub(crate) const MAX_PART: usize = 1 << 20;

/// Size at which a piece of the other tables is parsed and a new one started.
pub(crate) const PIECE: usize = 64 << 10;

/// A document's `[[package]]` array, the only key these analyzers read.
#[derive(Deserialize)]
struct Doc<P> {
    #[serde(default = "Vec::new")]
    package: Vec<P>,
}

/// What a header line opens.
#[derive(Debug, PartialEq)]
enum Header {
    /// `[[package]]`: the next package.
    Package,
    /// `[package.x]`, `[[package.x]]`: a sub-table of the last package.
    PackageSub,
    /// Anything else (`[package]` included: the part's parse says what is wrong with it).
    Other,
}

/// Calls `each` with every `[[package]]` table of `content`, in order, parsed as `P`.
pub(crate) fn for_each_package<P: DeserializeOwned>(
    content: &[u8],
    mut each: impl FnMut(P) -> Result<(), AnalyzeError>,
) -> Result<(), AnalyzeError> {
    let text = super::utf8(content)?;
    let mut reader = Reader {
        text,
        line: 1,
        package: Vec::new(),
        package_line: 0,
        piece: None,
        top_packages: false,
    };
    let mut at = 0;
    while at < text.len() {
        let (end, is_header) = statement(text.as_bytes(), at);
        if is_header {
            reader.header(at..end, &mut each)?;
        } else {
            reader.statement(at..end, &mut each)?;
        }
        reader.line += text[at..end].bytes().filter(|&b| b == b'\n').count();
        at = end;
    }
    reader.flush_piece(&mut each)?;
    reader.flush_package(&mut each)
}

/// The parts being gathered.
struct Reader<'a> {
    text: &'a str,
    /// Line of the statement being read (1-based).
    line: usize,
    /// The pending `[[package]]` table: its header, statements and sub-tables (a sub-table
    /// may come after another table, so the ranges need not touch).
    package: Vec<Range<usize>>,
    package_line: usize,
    /// The pending piece of other tables: its header (none before the first table), its
    /// statements, and the line it starts at.
    piece: Option<Piece>,
    /// Whether the keys before the first table held packages (`package = [ … ]`): a later
    /// `[[package]]` would then extend an inline array, which TOML forbids.
    top_packages: bool,
}

struct Piece {
    header: Option<Range<usize>>,
    body: Range<usize>,
    line: usize,
}

impl Reader<'_> {
    fn header<P: DeserializeOwned>(
        &mut self,
        range: Range<usize>,
        each: &mut impl FnMut(P) -> Result<(), AnalyzeError>,
    ) -> Result<(), AnalyzeError> {
        self.flush_piece(each)?;
        match header_kind(&self.text[range.clone()], self.line)? {
            Header::Package => {
                if self.top_packages {
                    return Err(self.error(self.line, "duplicate key `package`"));
                }
                self.flush_package(each)?;
                self.package.push(range);
                self.package_line = self.line;
            }
            Header::PackageSub if !self.package.is_empty() => {
                self.package.push(range);
                self.check_package_size()?;
            }
            Header::PackageSub | Header::Other => {
                let body = range.end..range.end;
                self.piece = Some(Piece {
                    header: Some(range),
                    body,
                    line: self.line,
                });
            }
        }
        Ok(())
    }

    fn statement<P: DeserializeOwned>(
        &mut self,
        range: Range<usize>,
        each: &mut impl FnMut(P) -> Result<(), AnalyzeError>,
    ) -> Result<(), AnalyzeError> {
        if range.len() > MAX_PART {
            return Err(self.error(
                self.line,
                &format!(
                    "a value of {} bytes; only values up to {} MiB are read (the bound on one \
                     TOML table, docs/limits.md)",
                    range.len(),
                    MAX_PART >> 20
                ),
            ));
        }
        if self.piece.is_none() && !self.package.is_empty() {
            // A key of the pending package (or of its last sub-table).
            match self.package.last_mut() {
                Some(last) if last.end == range.start => last.end = range.end,
                _ => self.package.push(range),
            }
            return self.check_package_size();
        }
        let piece = self.piece.get_or_insert(Piece {
            header: None,
            body: range.start..range.start,
            line: self.line,
        });
        if piece.body.len() + range.len() > PIECE && !piece.body.is_empty() {
            let header = piece.header.clone();
            self.flush_piece(each)?;
            self.piece = Some(Piece {
                header,
                body: range,
                line: self.line,
            });
        } else {
            piece.body.end = range.end;
        }
        Ok(())
    }

    fn check_package_size(&self) -> Result<(), AnalyzeError> {
        let size: usize = self.package.iter().map(Range::len).sum();
        if size > MAX_PART {
            return Err(self.error(
                self.package_line,
                &format!(
                    "a `[[package]]` table of more than {} MiB; not read (the bound on one TOML \
                     table, docs/limits.md)",
                    MAX_PART >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Parses the pending package table.
    fn flush_package<P: DeserializeOwned>(
        &mut self,
        each: &mut impl FnMut(P) -> Result<(), AnalyzeError>,
    ) -> Result<(), AnalyzeError> {
        if self.package.is_empty() {
            return Ok(());
        }
        let text = joined(self.text, &self.package);
        self.package.clear();
        let doc: Doc<P> = parse(&text, self.package_line)?;
        doc.package.into_iter().try_for_each(each)
    }

    /// Parses the pending piece of other tables (packages there come only from keys before
    /// the first table: `package = [ … ]`).
    fn flush_piece<P: DeserializeOwned>(
        &mut self,
        each: &mut impl FnMut(P) -> Result<(), AnalyzeError>,
    ) -> Result<(), AnalyzeError> {
        let Some(piece) = self.piece.take() else {
            return Ok(());
        };
        let ranges = match piece.header {
            Some(h) => vec![h, piece.body],
            None => vec![piece.body],
        };
        let doc: Doc<P> = parse(&joined(self.text, &ranges), piece.line)?;
        if !doc.package.is_empty() {
            self.top_packages = true;
        }
        doc.package.into_iter().try_for_each(each)
    }

    fn error(&self, line: usize, reason: &str) -> AnalyzeError {
        AnalyzeError::AtLine {
            line,
            reason: reason.to_string(),
        }
    }
}

/// The text of `ranges` of `text`, borrowed when they touch.
fn joined<'a>(text: &'a str, ranges: &[Range<usize>]) -> std::borrow::Cow<'a, str> {
    let contiguous = ranges.windows(2).all(|w| w[0].end == w[1].start);
    match (ranges.first(), ranges.last()) {
        (Some(first), Some(last)) if contiguous => text[first.start..last.end].into(),
        _ => ranges
            .iter()
            .map(|r| &text[r.clone()])
            .collect::<String>()
            .into(),
    }
}

/// One part parsed as a TOML document; errors name the line the part starts at.
fn parse<T: DeserializeOwned>(part: &str, line: usize) -> Result<T, AnalyzeError> {
    ::toml::from_str(part).map_err(|e| {
        let at = e.span().map_or(0, |s| {
            part.as_bytes()[..s.start.min(part.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        });
        AnalyzeError::AtLine {
            line: line + at,
            reason: format!("invalid TOML: {}", e.message().trim()),
        }
    })
}

/// What the header line `line` opens, read by the TOML parser itself (quoted keys, spaces
/// and comments included).
fn header_kind(line: &str, at: usize) -> Result<Header, AnalyzeError> {
    let table: ::toml::Table = parse(line, at)?;
    let mut path = Vec::new();
    let mut value = &table;
    let array = loop {
        let mut keys = value.iter();
        let Some((key, next)) = keys.next() else {
            break false;
        };
        path.push(key.as_str());
        match next {
            ::toml::Value::Table(t) => value = t,
            _ => break true,
        }
    };
    Ok(match (path.as_slice(), array) {
        (["package"], true) => Header::Package,
        (["package", _, ..], _) => Header::PackageSub,
        _ => Header::Other,
    })
}

/// The end of the statement starting at `at` (past its newline) and whether it is a table
/// header. A statement is a header line, a comment or blank line, or a key and its value up
/// to the newline outside any string, array or inline table (TOML 1.1 lets inline tables
/// span lines too). Invalid text ends somewhere; the part's parse then says what is wrong.
fn statement(text: &[u8], at: usize) -> (usize, bool) {
    let line_end = |from: usize| {
        text[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |p| from + p + 1)
    };
    let first = text[at..]
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map(|p| text[at + p]);
    if first == Some(b'[') {
        return (line_end(at), true);
    }
    let mut depth = 0usize;
    let mut i = at;
    while i < text.len() {
        match text[i] {
            b'\n' if depth == 0 => return (i + 1, false),
            // A comment runs to its newline, which then ends the statement (or not).
            b'#' => {
                i = text[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(text.len(), |p| i + p);
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            q @ (b'"' | b'\'') => {
                i = string_end(text, i, q);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (text.len(), false)
}

/// The index just past the string opening at `at` with quote `q` (`"`, `'`, or tripled).
/// An unterminated single-line string ends at its newline.
fn string_end(text: &[u8], at: usize, q: u8) -> usize {
    let escapes = q == b'"';
    if text[at..].starts_with(&[q, q, q]) {
        let mut i = at + 3;
        while i < text.len() {
            if escapes && text[i] == b'\\' {
                i += 2;
            } else if text[i..].starts_with(&[q, q, q]) {
                // Up to two quotes of the content may precede the closing three.
                let mut end = i + 3;
                while end < text.len() && text[end] == q && end - i < 5 {
                    end += 1;
                }
                return end;
            } else {
                i += 1;
            }
        }
        return text.len();
    }
    let mut i = at + 1;
    while i < text.len() {
        match text[i] {
            b'\\' if escapes => i += 2,
            b'\n' => return i,
            b if b == q => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests;

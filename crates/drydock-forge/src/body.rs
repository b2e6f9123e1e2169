//! The part of an issue body drydock owns: a hidden marker, then a managed block between begin
//! and end markers. Everything before the marker and after the end marker (a human "Notes"
//! section, links, checkboxes) is kept byte for byte.
//!
//! ```text
//! <!-- drydock:v1 kind=image image="docker.io/org/app" key=<sha256 of the repository> digest=<sha256 of the block> state=open -->
//! <!-- drydock:begin -->
//! …table…
//! <!-- drydock:end -->
//!
//! ## Notes
//! ```
//!
//! The marker's `digest` is what drydock wrote last; a sync compares its new block's digest with
//! it (not with the body text, which forges may re-encode), so an unchanged image costs no write.

use sha2::{Digest, Sha256};

pub const MARKER_PREFIX: &str = "<!-- drydock:v1 ";
pub const BEGIN: &str = "<!-- drydock:begin -->";
pub const END: &str = "<!-- drydock:end -->";

/// The notes section a new issue gets below the block.
pub const NOTES: &str = "\n\n## Notes\n\n<!-- Anything outside the drydock block is yours: drydock never edits it. -->\n";

/// The hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// What the hidden marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// `image` (one issue per image) or `failure` (a CI failure issue).
    pub kind: String,
    /// What the issue is about, for humans (the image repository, the failure kind).
    pub subject: String,
    /// The lookup key (a SHA-256 in hex).
    pub key: String,
    /// The digest of the block drydock last wrote.
    pub digest: String,
    /// `open` (findings listed), `clean` (closed: none left), `removed` (closed: left the
    /// fleet), `duplicate` (closed: another issue is kept).
    pub state: String,
}

impl Marker {
    pub fn render(&self) -> String {
        format!(
            "{MARKER_PREFIX}kind={} image=\"{}\" key={} digest={} state={} -->",
            self.kind,
            self.subject.replace('"', "'").replace("-->", "->"),
            self.key,
            self.digest,
            self.state
        )
    }

    /// The first drydock marker of a body, if any.
    pub fn find(body: &str) -> Option<Marker> {
        let start = body.find(MARKER_PREFIX)?;
        let rest = &body[start + MARKER_PREFIX.len()..];
        let inner = &rest[..rest.find("-->")?];
        let mut m = Marker {
            kind: String::new(),
            subject: String::new(),
            key: String::new(),
            digest: String::new(),
            state: String::new(),
        };
        let mut s = inner;
        while let Some((k, after)) = s.trim_start().split_once('=') {
            let (v, tail) = match after.strip_prefix('"') {
                Some(q) => match q.split_once('"') {
                    Some((v, t)) => (v, t),
                    None => (q, ""),
                },
                None => match after.split_once(char::is_whitespace) {
                    Some((v, t)) => (v, t),
                    None => (after, ""),
                },
            };
            match k.trim() {
                "kind" => m.kind = v.to_string(),
                "image" => m.subject = v.to_string(),
                "key" => m.key = v.to_string(),
                "digest" => m.digest = v.to_string(),
                "state" => m.state = v.to_string(),
                _ => {}
            }
            s = tail;
        }
        (m.key.len() == 64 && m.key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(m)
    }
}

/// Why a body's markers cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged(pub String);

/// The managed region's byte range (marker start .. end-marker end) and the block's content.
fn region(body: &str) -> Result<(usize, usize, &str), Damaged> {
    let count = |needle: &str| body.matches(needle).count();
    match (count(MARKER_PREFIX), count(BEGIN), count(END)) {
        (1, 1, 1) => {}
        (m, b, e) => {
            return Err(Damaged(format!(
                "expected one marker, one begin and one end comment; found {m}, {b} and {e}"
            )));
        }
    }
    let m = body
        .find(MARKER_PREFIX)
        .ok_or_else(|| Damaged("no marker".into()))?;
    let b = body.find(BEGIN).ok_or_else(|| Damaged("no begin".into()))?;
    let e = body.find(END).ok_or_else(|| Damaged("no end".into()))?;
    if !(m < b && b < e) {
        return Err(Damaged(
            "the marker, begin and end comments are out of order".into(),
        ));
    }
    let content = body[b + BEGIN.len()..e]
        .strip_prefix('\n')
        .unwrap_or(&body[b + BEGIN.len()..e]);
    let content = content.strip_suffix('\n').unwrap_or(content);
    Ok((m, e + END.len(), content))
}

/// The block content drydock last wrote into `body`.
pub fn content(body: &str) -> Result<&str, Damaged> {
    region(body).map(|(_, _, c)| c)
}

/// Checks the markers are intact.
pub fn check(body: &str) -> Result<(), Damaged> {
    region(body).map(|_| ())
}

/// The managed region for a marker and content.
pub fn render_region(marker: &Marker, content: &str) -> String {
    format!("{}\n{BEGIN}\n{content}\n{END}", marker.render())
}

/// `body` with its managed region replaced; everything outside kept byte for byte.
pub fn splice(body: &str, marker: &Marker, content: &str) -> Result<String, Damaged> {
    let (start, end, _) = region(body)?;
    let mut out = String::with_capacity(body.len() + content.len());
    out.push_str(&body[..start]);
    out.push_str(&render_region(marker, content));
    out.push_str(&body[end..]);
    Ok(out)
}

/// A markdown table cell: one line, pipes escaped, bounded.
pub fn cell(s: &str, max_chars: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut out: String = one_line.trim().chars().take(max_chars).collect();
    if one_line.trim().chars().count() > max_chars {
        out.push('…');
    }
    out.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(d: &str) -> Marker {
        Marker {
            kind: "image".into(),
            subject: "docker.io/library/app".into(),
            key: sha256_hex("docker.io/library/app"),
            digest: d.into(),
            state: "open".into(),
        }
    }

    #[test]
    fn marker_round_trips() {
        let m = marker("abc");
        assert_eq!(Marker::find(&format!("x\n{}\ny", m.render())), Some(m));
    }

    #[test]
    fn splice_keeps_the_outside_byte_for_byte() {
        let body = format!(
            "Intro by a human\r\n{}\n\n## Notes\r\n- [x] talked to upstream\n",
            render_region(&marker("1"), "old table")
        );
        let new = splice(&body, &marker("2"), "new table").expect("intact");
        assert!(new.starts_with("Intro by a human\r\n<!-- drydock:v1 "));
        assert!(new.ends_with("<!-- drydock:end -->\n\n## Notes\r\n- [x] talked to upstream\n"));
        assert_eq!(content(&new), Ok("new table"));
    }

    #[test]
    fn damaged_markers_are_refused() {
        let m = marker("1");
        assert!(splice(&format!("{}\n{BEGIN}\nx", m.render()), &m, "y").is_err());
        assert!(splice(&format!("{}\n{END}\n{BEGIN}", m.render()), &m, "y").is_err());
        let twice = format!("{}\n{}", render_region(&m, "a"), render_region(&m, "b"));
        assert!(splice(&twice, &m, "y").is_err());
    }

    #[test]
    fn cells_stay_on_one_line() {
        assert_eq!(cell("a|b\nc", 10), "a\\|b c");
        assert_eq!(cell("abcdef", 3), "abc…");
    }
}

//! The parts-at-a-time reader against the whole-document parse it replaces: the same
//! `[[package]]` tables, every value compared, on real lockfiles and generated ones.

use std::path::{Path, PathBuf};

use super::*;

/// The reference: the whole document parsed at once (what the analyzers did before).
fn whole(content: &[u8]) -> Result<Vec<::toml::Table>, String> {
    let text = crate::lang::utf8(content).map_err(|e| e.to_string())?;
    ::toml::from_str::<Doc<::toml::Table>>(text)
        .map(|d| d.package)
        .map_err(|e| e.to_string())
}

fn parts(content: &[u8]) -> Result<Vec<::toml::Table>, String> {
    let mut out = Vec::new();
    for_each_package(content, |p| {
        out.push(p);
        Ok(())
    })
    .map(|()| out)
    .map_err(|e| e.to_string())
}

/// Both parses succeed with the same tables, or both fail.
fn assert_same(content: &[u8], what: &str) {
    match (whole(content), parts(content)) {
        (Ok(a), Ok(b)) => assert!(a == b, "{what}: the tables differ"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "{what}: whole document {:?}, in parts {:?}",
            a.map(|p| p.len()),
            b.map(|p| p.len())
        ),
    }
}

fn lockfiles(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() {
            if e.file_name() != "target" && e.file_name() != ".git" {
                lockfiles(&path, out);
            }
        } else if kind.is_file()
            && matches!(
                e.file_name().to_str(),
                Some("Cargo.lock" | "poetry.lock" | "uv.lock")
            )
        {
            out.push(path);
        }
    }
}

/// Every `Cargo.lock`, `poetry.lock` and `uv.lock` at hand: this workspace's (its own
/// lockfiles and the analyzers' fixtures), the shared data, the corpus (`DRYDOCK_CORPUS`: a
/// Rust project's and a Rust toolchain source's), and the crates in Cargo's download cache.
#[test]
fn issue14_case10_toml_in_parts_equals_the_whole_document_on_real_lockfiles() {
    let mut files = Vec::new();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    lockfiles(&workspace, &mut files);
    let own = files.len();
    assert!(own >= 3, "this workspace's lockfiles: {files:?}");
    if let Some(shared) = std::env::var_os("DRYDOCK_SHARED") {
        lockfiles(&Path::new(&shared).join("data"), &mut files);
    }
    match std::env::var_os("DRYDOCK_CORPUS") {
        Some(corpus) => {
            let before = files.len();
            lockfiles(Path::new(&corpus), &mut files);
            assert!(files.len() > before, "no lockfile in the corpus");
        }
        None if std::env::var_os("CI").is_some() => panic!("DRYDOCK_CORPUS is not set"),
        None => eprintln!("DRYDOCK_CORPUS is not set: the corpus's lockfiles are not compared"),
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    if let Some(home) = cargo_home {
        lockfiles(&home.join("registry/src"), &mut files);
    }
    let mut packages = 0;
    for f in &files {
        let content = std::fs::read(f).expect("read");
        assert_same(&content, &f.display().to_string());
        packages += whole(&content).map_or(0, |p| p.len());
    }
    eprintln!(
        "{} lockfiles ({own} in the workspace), {packages} packages alike",
        files.len()
    );
    assert!(packages > 100, "{packages} packages");
}

/// A small deterministic generator (xorshift64*): the same cases on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A TOML value in one of the forms lockfiles use, and some they might: strings of each
/// kind (holding text that looks like headers, comments and brackets), numbers, booleans,
/// arrays and inline tables over several lines, with comments and trailing commas.
fn value(g: &mut Gen, depth: usize) -> String {
    let tricky = [
        "[[package]]",
        "# not a comment",
        "a ] b } c",
        "x = 1",
        "\\\"q\\\"",
        "é ünïcödé",
        "",
    ];
    match g.below(if depth > 2 { 6 } else { 9 }) {
        0 => format!("\"{}-{}\"", g.pick(&tricky), g.below(1000)),
        1 => format!(
            "'{}'",
            g.pick(&["lit [x]", "C:\\path", "# hash", "'"])
                .replace('\'', "")
        ),
        2 => format!(
            "\"\"\"\n{}\n[[package]]\nname = \"fake\"\n\"\"\"",
            g.pick(&tricky)
        ),
        3 => format!("'''\n[metadata]\n{}\n'''", g.pick(&["a", "\"\"", "''"])),
        4 => g.below(100_000).to_string(),
        5 => g
            .pick(&["true", "false", "1.5", "1979-05-27T07:32:00Z"])
            .to_string(),
        6 => {
            let n = g.below(4);
            let items: Vec<String> = (0..n).map(|_| value(g, depth + 1)).collect();
            if g.below(2) == 0 {
                format!("[{}]", items.join(", "))
            } else {
                let mut s = "[\n".to_string();
                for i in items {
                    s.push_str(&format!("    {i}, # item\n"));
                }
                s.push(']');
                s
            }
        }
        _ => {
            let n = g.below(3);
            let items: Vec<String> = (0..n)
                .map(|i| format!("k{i} = {}", value(g, depth + 1)))
                .collect();
            if g.below(3) == 0 {
                // TOML 1.1: an inline table over several lines.
                format!("{{\n  {}\n}}", items.join(",\n  "))
            } else {
                format!("{{ {} }}", items.join(", "))
            }
        }
    }
}

/// A lockfile-shaped document: top-level keys, `[[package]]` tables with their keys and
/// sub-tables, other tables before, between and after them (some large enough to be read
/// in several pieces), comments and blank lines, LF or CRLF.
fn lockfile(g: &mut Gen) -> String {
    let mut s = String::new();
    if g.below(2) == 0 {
        s.push_str("# generated\nversion = 4\n");
    }
    if g.below(4) == 0 {
        s.push_str(&format!("requires-python = {}\n", value(g, 0)));
    }
    for i in 0..g.below(12) {
        let header = g.pick(&[
            "[[package]]",
            "[[ package ]]",
            "[[\"package\"]]",
            "[[package]] # x",
        ]);
        s.push_str(&format!("\n{header}\nname = \"p{i}\"\n"));
        if g.below(10) != 0 {
            s.push_str(&format!("version = \"1.{}.0\"\n", g.below(50)));
        }
        for k in 0..g.below(4) {
            s.push_str(&format!("key{k} = {}\n", value(g, 0)));
        }
        if g.below(3) == 0 {
            s.push_str(&format!("source = {}\n", value(g, 1)));
        } else if g.below(3) == 0 {
            s.push_str("\n[package.source]\ntype = \"legacy\"\nurl = \"https://x\"\n");
        }
        if g.below(3) == 0 {
            s.push_str(&format!(
                "\n[package.dependencies]\na = {}\nb = \">=1\"\n",
                value(g, 1)
            ));
        }
        for _ in 0..g.below(3) {
            s.push_str(&format!("\n[[package.wheels]]\nurl = {}\n", value(g, 1)));
        }
        if g.below(6) == 0 {
            // Another table between packages, then a sub-table of the last package.
            s.push_str(&format!("\n[between{i}]\nx = {}\n", value(g, 0)));
            if g.below(2) == 0 {
                s.push_str("\n[package.extras]\ne = [\"x\"]\n");
            }
        }
    }
    if g.below(3) == 0 {
        s.push_str("\n[metadata]\nlock-version = \"2.0\"\n\n[metadata.files]\n");
        let rows = if g.below(4) == 0 { 3000 } else { g.below(5) };
        for r in 0..rows {
            s.push_str(&format!(
                "f{r} = [\n    {{file = \"f{r}.whl\", hash = \"sha256:{r:064}\"}},\n]\n"
            ));
        }
    }
    if g.below(4) == 0 {
        s = s.replace('\n', "\r\n");
    }
    s
}

#[test]
fn issue14_case10_toml_in_parts_equals_the_whole_document_on_generated_lockfiles() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let (mut valid, mut packages) = (0, 0);
    for case in 0..1500 {
        let doc = lockfile(&mut g);
        assert_same(doc.as_bytes(), &format!("case {case}:\n{doc}"));
        if let Ok(p) = whole(doc.as_bytes()) {
            valid += 1;
            packages += p.len();
        }
    }
    eprintln!("generated: {valid} valid documents, {packages} packages alike");
    // The generator mostly writes valid TOML (the check is about those).
    assert!(valid > 1000, "{valid} valid documents");
    assert!(packages > 5000, "{packages} packages");
}

/// Damaged documents: a byte dropped, a line doubled. When the whole document parses, the
/// parts give the same tables; when it does not, the parts fail too, except where the
/// damage is a conflict between two parts no analyzer reads (counted, and rare).
#[test]
fn issue14_case10_toml_in_parts_on_damaged_lockfiles() {
    let mut g = Gen(0x0DD_B1A5_E5BA_D5EE);
    let (mut both_fail, mut lenient) = (0, 0);
    for case in 0..1500 {
        let mut doc = lockfile(&mut g).into_bytes();
        if doc.is_empty() {
            continue;
        }
        if g.below(2) == 0 {
            doc.remove(g.below(doc.len()));
        } else {
            let text = String::from_utf8_lossy(&doc).into_owned();
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let i = g.below(lines.len());
            let mut s = lines[..=i].concat();
            s.push_str(&lines[i..].concat());
            doc = s.into_bytes();
        }
        match (whole(&doc), parts(&doc)) {
            (Ok(a), Ok(b)) => assert!(a == b, "case {case}: the tables differ"),
            (Ok(_), Err(e)) => panic!(
                "case {case}: the whole document parses, the parts fail: {e}\n{}",
                String::from_utf8_lossy(&doc)
            ),
            (Err(_), Err(_)) => both_fail += 1,
            (Err(_), Ok(_)) => lenient += 1,
        }
    }
    eprintln!("damaged: {both_fail} refused by both, {lenient} accepted in parts only");
    assert!(both_fail > 500, "{both_fail} damaged documents both refuse");
    assert!(lenient * 20 < both_fail, "{lenient} accepted in parts only");
}

#[test]
fn bounds_and_errors() {
    // One package table past the bound on a part.
    let mut big = String::from("[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n");
    while big.len() <= MAX_PART {
        big.push_str("  \"dep\",\n");
    }
    big.push_str("]\n");
    let e = parts(big.as_bytes()).expect_err("too big");
    assert!(e.contains("line 1") && e.contains("one TOML table"), "{e}");
    // One statement past it, outside packages.
    let big = format!("[metadata]\nx = \"{}\"\n", "y".repeat(MAX_PART));
    let e = parts(big.as_bytes()).expect_err("too big");
    assert!(e.contains("line 2") && e.contains("one TOML table"), "{e}");
    // Errors name the line in the whole file.
    let bad = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nname = \"b\"\nname = \"c\"\n";
    let e = parts(bad.as_bytes()).expect_err("duplicate key");
    assert!(
        e.starts_with("line 9:") && e.contains("duplicate key"),
        "{e}"
    );
    // A comment at the very end, without a newline; an unterminated string.
    assert_eq!(
        parts(b"[[package]]\nname = \"a\"\n# end").map(|p| p.len()),
        Ok(1)
    );
    assert!(parts(b"[[package]]\nname = \"a").is_err());
    assert!(parts(b"[[package]]\nname = \"\"\"a\n").is_err());
    // `[package]` as a table, packages inline and then as tables: refused, as whole.
    for doc in [
        "[package]\nname = \"a\"\n",
        "package = [{name = \"a\"}]\n[[package]]\nname = \"b\"\n",
        "[package.x]\n[[package]]\nname = \"b\"\n",
    ] {
        assert!(whole(doc.as_bytes()).is_err(), "{doc}");
        assert!(parts(doc.as_bytes()).is_err(), "{doc}");
    }
    assert_eq!(
        parts(b"package = [{name = \"a\"}, {name = \"b\"}]\n[metadata]\n").map(|p| p.len()),
        Ok(2)
    );
}

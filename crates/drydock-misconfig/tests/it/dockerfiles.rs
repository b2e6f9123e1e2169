use std::collections::{BTreeMap, BTreeSet};

use drydock_misconfig::{Dockerfile, Evidence, ParseError, scan_dockerfile};

/// Every fixture Dockerfile raises exactly the checks `expected.json` lists: the bad ones
/// their check, the twins nothing.
#[test]
fn fixture_dockerfiles_raise_exactly_their_checks() {
    let dir = crate::fixtures();
    let expected: BTreeMap<String, BTreeSet<String>> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json parses");
    assert!(expected.len() > 40, "{} fixtures", expected.len());
    let mut wrong = Vec::new();
    for (name, want) in &expected {
        let path = dir.join("dockerfiles").join(format!("{name}.Dockerfile"));
        let out = scan_dockerfile(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: BTreeSet<String> = out.findings.iter().map(|f| f.id.clone()).collect();
        if &got != want {
            wrong.push(format!("{name}: want {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every Dockerfile-input check of the catalogue has a fixture that raises it.
#[test]
fn every_dockerfile_check_has_a_fixture() {
    let dir = crate::fixtures();
    let expected: BTreeMap<String, BTreeSet<String>> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("parses");
    let covered: BTreeSet<&String> = expected.values().flatten().collect();
    for c in drydock_misconfig::CHECKS {
        if c.inputs
            .contains(&drydock_misconfig::catalog::Input::Dockerfile)
        {
            assert!(
                covered.contains(&c.id.to_string()),
                "{} has no fixture",
                c.id
            );
        }
    }
}

#[test]
fn evidence_points_at_the_line_and_masks_secrets() {
    let dir = crate::fixtures().join("dockerfiles");
    let out = scan_dockerfile(&dir.join("dd105-env-password.Dockerfile")).expect("scan");
    let f = &out.findings[0];
    match &f.evidence {
        Evidence::Dockerfile { line, snippet, .. } => {
            assert_eq!(*line, 2);
            assert!(!snippet.contains("hunter22"), "{snippet}");
        }
        e => panic!("{e:?}"),
    }
    let out = scan_dockerfile(&dir.join("dd107-github-token-in-run.Dockerfile")).expect("scan");
    let text = serde_json::to_string(&out.findings).expect("json");
    assert!(
        !text.contains("ghp_") || !text.contains("@github.com/o/r"),
        "{text}"
    );
    let raw =
        std::fs::read_to_string(dir.join("dd107-github-token-in-run.Dockerfile")).expect("read");
    let token = raw
        .split([':', '@'])
        .find(|w| w.starts_with("ghp_"))
        .expect("the fixture holds a token");
    assert!(!text.contains(token), "{text}");
}

/// Fingerprints do not move when lines move.
#[test]
fn fingerprints_survive_line_moves() {
    let a = Dockerfile::parse(b"FROM debian:latest\nUSER 1\nHEALTHCHECK NONE\n").expect("parse");
    let b = Dockerfile::parse(b"# moved\n\nFROM debian:latest\nUSER 1\nHEALTHCHECK NONE\n")
        .expect("parse");
    let fa = drydock_misconfig::check_dockerfile(&a, "Dockerfile");
    let fb = drydock_misconfig::check_dockerfile(&b, "Dockerfile");
    assert_eq!(fa.len(), 1);
    assert_eq!(fa[0].fingerprint, fb[0].fingerprint);
}

/// Bad input: errors or warnings, never a panic, and quickly.
#[test]
fn bad_input() {
    let t = std::time::Instant::now();
    assert!(matches!(
        Dockerfile::parse(b"FROM a\nCOPY <<EOF /x\nno end"),
        Err(ParseError::UnterminatedHeredoc { .. })
    ));
    let mut long = b"FROM a\nENV X=".to_vec();
    long.extend(std::iter::repeat_n(b'y', 10 << 20));
    long.extend(b"\nRUN curl -s https://x | sh\n");
    let d = Dockerfile::parse(&long).expect("a 10 MB line parses");
    let ids: Vec<String> = drydock_misconfig::check_dockerfile(&d, "D")
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert!(ids.contains(&"DD-109".to_string()), "{ids:?}");
    // Binary garbage (no NUL): parses or errors, never panics.
    let mut seed = 0x9e3779b97f4a7c15u64;
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed as u8).max(1)
            })
            .collect();
        if let Ok(d) = Dockerfile::parse(&bytes) {
            drydock_misconfig::check_dockerfile(&d, "garbage");
        }
    }
    assert!(matches!(
        Dockerfile::parse(&[0x7f, b'E', b'L', b'F', 0, 1]),
        Err(ParseError::Binary { .. })
    ));
    // Escape directives over and over, each flipping the escape, and continuations to EOF.
    let mut loop_ = String::new();
    for i in 0..10_000 {
        loop_.push_str(if i % 2 == 0 {
            "# escape=`\n"
        } else {
            "# escape=\\\n"
        });
    }
    loop_.push_str("FROM a `\n`\n`\n");
    let d = Dockerfile::parse(loop_.as_bytes()).expect("parses with warnings");
    assert_eq!(d.escape, '`');
    assert!(d.warnings.len() >= 9_999, "{}", d.warnings.len());
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}

/// docs/misconfig.md documents every check of the catalogue as the catalogue has it: id,
/// title, severity, what it reads, peer ids, rationale and fix (the issue's "document each
/// with its rationale and the peer ids it corresponds to"), so the two cannot drift.
#[test]
fn docs_document_every_check_as_the_catalogue_has_it() {
    use drydock_misconfig::catalog::Input;
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/misconfig.md"),
    )
    .expect("docs/misconfig.md");
    let mut missing = Vec::new();
    for c in drydock_misconfig::CHECKS {
        let reads: Vec<&str> = c
            .inputs
            .iter()
            .map(|i| match i {
                Input::Dockerfile => "Dockerfile",
                Input::Config => "config",
                Input::History => "history",
                Input::Files => "files",
            })
            .collect();
        let block = format!(
            "### {} — {}\n\n- **Severity:** {} · **reads:** {} · **peers:** {}\n- **Why:** {}\n- **Fix:** {}\n",
            c.id,
            c.title,
            c.severity,
            reads.join(", "),
            c.peers,
            c.rationale,
            c.fix
        );
        if !docs.contains(&block) {
            missing.push(block);
        }
    }
    assert!(
        missing.is_empty(),
        "not in docs/misconfig.md as written:\n{}",
        missing.join("\n")
    );
}

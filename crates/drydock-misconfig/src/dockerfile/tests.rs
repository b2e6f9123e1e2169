use super::*;

fn parse(s: &str) -> Dockerfile {
    Dockerfile::parse(s.as_bytes()).expect("parses")
}

#[test]
fn stages_args_and_forms() {
    let d = parse(
        "ARG BASE=debian\nARG TAG=12\nFROM ${BASE}:$TAG AS Build\nRUN make\n\
         FROM build\nCMD [\"/app\", \"--serve\"]\nENTRYPOINT /bin/sh -c run\n",
    );
    assert_eq!(d.global_args.len(), 2);
    assert_eq!(d.stages.len(), 2);
    assert_eq!(d.stages[0].base, "debian:12");
    assert_eq!(d.stages[0].name.as_deref(), Some("build"));
    let fin = d.final_stage().expect("final");
    assert_eq!(d.ancestry(fin).len(), 2);
    assert_eq!(
        fin.instructions[0].args,
        Args::Json(vec!["/app".into(), "--serve".into()])
    );
    assert_eq!(
        fin.instructions[1].args,
        Args::Shell("/bin/sh -c run".into())
    );
}

#[test]
fn continuations_comments_and_lines() {
    let d = parse(
        "FROM a\nRUN apt-get update \\\n# a comment\n    && apt-get install -y x\nUSER app\n",
    );
    let run = &d.stages[0].instructions[0];
    assert_eq!(run.line, 2);
    assert_eq!(run.end_line, 4);
    assert_eq!(
        run.args.text(),
        "apt-get update     && apt-get install -y x"
    );
    assert_eq!(d.stages[0].instructions[1].line, 5);
}

#[test]
fn escape_directive_backtick() {
    let d = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nUSER x\n");
    assert_eq!(d.escape, '`');
    let run = &d.stages[0].instructions[0];
    assert_eq!(run.args.text(), "dir   c:\\");
    assert_eq!(run.end_line, 4);
}

#[test]
fn repeated_and_invalid_escape_directives_warn() {
    let d = parse("# escape=`\n# escape=\\\n# escape=`\nFROM a\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
    let d = parse("# escape=x\nFROM a\n");
    assert_eq!(d.escape, '\\');
    assert_eq!(d.warnings.len(), 1);
}

#[test]
fn heredocs() {
    let d = parse(
        "FROM a\nRUN <<EOF\ncurl -fsSL https://x.sh | sh\nEOF\n\
         COPY <<-\"ONE\" /a <<TWO /b\n\tone $X\n\tONE\ntwo\nTWO\nUSER app\n",
    );
    let i = &d.stages[0].instructions;
    assert_eq!(i[0].heredocs[0].body, "curl -fsSL https://x.sh | sh\n");
    assert_eq!(i[0].end_line, 4);
    assert_eq!(i[1].heredocs.len(), 2);
    assert!(i[1].heredocs[0].quoted);
    assert_eq!(i[1].heredocs[0].body, "one $X\n");
    assert_eq!(i[1].heredocs[1].body, "two\n");
    assert_eq!(i[2].keyword, "USER");
    assert_eq!(i[2].line, 10);
}

#[test]
fn flags() {
    let d = parse("FROM --platform=$BUILDPLATFORM a AS b\nCOPY --from=b --chown=1:1 /x /y\n");
    assert_eq!(
        d.stages[0].from.flag("platform"),
        Some(Some("$BUILDPLATFORM"))
    );
    assert_eq!(d.stages[0].base, "a");
    let c = &d.stages[0].instructions[0];
    assert_eq!(c.flag("from"), Some(Some("b")));
    assert_eq!(c.args.text(), "/x /y");
}

#[test]
fn bad_input_is_an_error_or_a_warning() {
    assert!(matches!(
        Dockerfile::parse(b"FROM a\nRUN <<EOF\necho never ends\n"),
        Err(ParseError::UnterminatedHeredoc { line: 2, .. })
    ));
    assert!(matches!(
        Dockerfile::parse(b"FROM a\n\0\x01\x02"),
        Err(ParseError::Binary { offset: 7 })
    ));
    assert!(matches!(
        Dockerfile::parse(b"# nothing\n"),
        Err(ParseError::Empty)
    ));
    let d = parse("FROM a\nRUN echo \\\n");
    assert_eq!(d.warnings.len(), 1);
    let d = Dockerfile::parse(b"FROM a\nRUN echo \xff\n").expect("lossy");
    assert_eq!(d.warnings[0].line, 2);
}

#[test]
fn a_ten_megabyte_line() {
    let mut s = String::from("FROM a\nRUN echo ");
    s.push_str(&"x".repeat(10 << 20));
    s.push('\n');
    let d = parse(&s);
    assert!(d.stages[0].instructions[0].args.text().len() > 10 << 20);
}

#[test]
fn env_pairs() {
    assert_eq!(
        pairs(r#"A="x y" B=2 C"#, true),
        vec![
            ("A".into(), Some("x y".into())),
            ("B".into(), Some("2".into())),
            ("C".into(), None)
        ]
    );
    assert_eq!(
        pairs("KEY some value", true),
        vec![("KEY".into(), Some("some value".into()))]
    );
    assert_eq!(pairs("A B", false).len(), 2);
}

//! Snapshots of every writer on the SBOM and the vulnerability report of the Alpine 3.7.3
//! rootfs. Accept changes with `INSTA_UPDATE=always cargo test -p drydock-report` after
//! reviewing the `.snap.new` files.

use drydock_report::{Format, Report, WriteOptions, write};

use crate::fixture::{CREATED_AT, sbom_report, vulnerability_report};

pub fn render(report: &Report, format: Format, opts: &WriteOptions) -> String {
    let mut out = Vec::new();
    write(report, format, opts, &mut out).expect("write the report");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// The tool version changes with every release and the scan time with every scan; the
/// snapshots should change with neither.
fn check(name: &str, text: &str) {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    s.add_filter(&regex_escape(CREATED_AT), "[CREATED_AT]");
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    s.bind(|| insta::assert_snapshot!(name, text));
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const PLAIN: WriteOptions = WriteOptions {
    color: false,
    show_suppressed: false,
    width: None,
};
const ALL: WriteOptions = WriteOptions {
    color: false,
    show_suppressed: true,
    width: None,
};

#[test]
fn table() {
    check("table_sbom", &render(&sbom_report(), Format::Table, &PLAIN));
    let r = vulnerability_report();
    check("table_vulnerability", &render(&r, Format::Table, &PLAIN));
    check(
        "table_vulnerability_show_suppressed",
        &render(&r, Format::Table, &ALL),
    );
}

#[test]
fn table_colours_only_when_asked() {
    let r = vulnerability_report();
    let plain = render(&r, Format::Table, &PLAIN);
    assert!(!plain.contains('\x1b'), "no escape codes without colour");
    let colored = render(
        &r,
        Format::Table,
        &WriteOptions {
            color: true,
            show_suppressed: false,
            width: None,
        },
    );
    // CRITICAL in bold red, and the same layout once the codes are gone.
    assert!(colored.contains("\x1b[1;31mCRITICAL\x1b[0m"));
    assert_eq!(strip_ansi(&colored), plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn json() {
    check("json_sbom", &render(&sbom_report(), Format::Json, &PLAIN));
    check(
        "json_vulnerability",
        &render(&vulnerability_report(), Format::Json, &PLAIN),
    );
}

#[test]
fn sarif() {
    check(
        "sarif_vulnerability",
        &render(&vulnerability_report(), Format::Sarif, &PLAIN),
    );
}

#[test]
fn cyclonedx() {
    check(
        "cyclonedx_sbom",
        &render(&sbom_report(), Format::CycloneDx, &PLAIN),
    );
    check(
        "cyclonedx_vulnerability",
        &render(&vulnerability_report(), Format::CycloneDx, &PLAIN),
    );
}

#[test]
fn spdx() {
    check(
        "spdx_sbom",
        &render(&sbom_report(), Format::SpdxJson, &PLAIN),
    );
}

#[test]
fn csv() {
    check(
        "csv_vulnerability",
        &render(&vulnerability_report(), Format::Csv, &PLAIN),
    );
}

#[test]
fn markdown() {
    check(
        "markdown_sbom",
        &render(&sbom_report(), Format::Markdown, &PLAIN),
    );
    let r = vulnerability_report();
    check(
        "markdown_vulnerability",
        &render(&r, Format::Markdown, &PLAIN),
    );
    check(
        "markdown_vulnerability_show_suppressed",
        &render(&r, Format::Markdown, &ALL),
    );
}

#[test]
fn html() {
    check("html_sbom", &render(&sbom_report(), Format::Html, &PLAIN));
    check(
        "html_vulnerability",
        &render(&vulnerability_report(), Format::Html, &ALL),
    );
}

#[test]
fn junit() {
    check("junit_sbom", &render(&sbom_report(), Format::Junit, &PLAIN));
    check(
        "junit_vulnerability",
        &render(&vulnerability_report(), Format::Junit, &PLAIN),
    );
}

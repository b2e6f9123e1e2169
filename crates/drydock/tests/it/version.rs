//! Tests of `drydock version`.

use crate::drydock;

/// Runs `drydock version ARGS…`: (exit code, stdout, stderr).
fn version(args: &[&str]) -> (i32, String, String) {
    let out = drydock()
        .arg("version")
        .args(args)
        .output()
        .expect("drydock runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each `drydock version ARGS…` of `cases` exits 0 printing exactly its line.
fn assert_prints(cases: &[([&str; 4], &str)]) {
    for (args, want) in cases {
        let (code, out, err) = version(args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, *want, ""),
            "{args:?}"
        );
    }
}

#[test]
fn cmp_prints_the_order() {
    let cases = [
        (["cmp", "deb", "1.0~rc1-1", "1.0-1"], "<\n"),
        (["cmp", "rpm", "1:1.0-1.el9", "2.0-1.el9"], ">\n"),
        (["cmp", "apk", "1.2.3-r1", "1.2.3-r1"], "=\n"),
        (["cmp", "pypi", "1.0.post1", "1.0"], ">\n"),
        (["cmp", "npm", "1.0.0-rc.1", "1.0.0"], "<\n"),
        (["cmp", "cargo", "1.0.0+build", "1.0.0"], "=\n"),
        (
            [
                "cmp",
                "golang",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.3",
            ],
            ">\n",
        ),
        (["cmp", "maven", "1.0-SNAPSHOT", "1.0"], "<\n"),
        (["cmp", "gem", "1.0.a", "1.0"], "<\n"),
        (["cmp", "nuget", "1.0.0-Beta", "1.0.0-beta"], "=\n"),
        (["cmp", "composer", "v1.0.0-RC1", "1.0.0"], "<\n"),
    ];
    assert_prints(&cases);
}

#[test]
fn cmp_of_an_invalid_version_is_an_error() {
    let (code, out, err) = version(&["cmp", "deb", "1.0", "not a version"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "drydock: error: invalid deb version `not a version`: version string has embedded spaces\n"
    );
    let (code, _, err) = version(&["cmp", "cobol", "1", "2"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("drydock: error: unknown version scheme `cobol`"),
        "{err}"
    );
}

#[test]
fn in_answers_for_osv_and_native_ranges() {
    let cases = [
        (
            [
                "in",
                "deb",
                "2.36-9+deb12u3",
                "introduced=0,fixed=2.36-9+deb12u4",
            ],
            "true\n",
        ),
        (
            [
                "in",
                "deb",
                "2.36-9+deb12u4",
                "introduced=0,fixed=2.36-9+deb12u4",
            ],
            "false\n",
        ),
        (
            ["in", "pypi", "1.4", "introduced=1.0,last_affected=1.4"],
            "true\n",
        ),
        (
            [
                "in",
                "cargo",
                "2.1.0",
                "fixed=2.0.0,introduced=1.0.0,introduced=2.1.0",
            ],
            "true\n",
        ),
        (["in", "pypi", "1.5.2", ">=1,<2,!=1.5.*"], "false\n"),
        (["in", "npm", "1.2.3-beta.1", "^1.2.0"], "false\n"),
        (["in", "maven", "1.5", "[1.0,2.0)"], "true\n"),
        (["in", "gem", "1.2.9", "~> 1.2"], "true\n"),
        (["in", "nuget", "2.0.0", "[1.0,2.0)"], "false\n"),
        (["in", "composer", "2.2.0", "^1.2 || >=2.0,<2.3"], "true\n"),
        (
            ["in", "rpm", "1.0-2.el9", ">= 1.0-1.el9, < 1.0-3.el9"],
            "true\n",
        ),
        (
            [
                "in",
                "golang",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "<1.2.4",
            ],
            "true\n",
        ),
    ];
    assert_prints(&cases);
}

#[test]
fn in_reports_bad_ranges() {
    let (code, out, err) = version(&["in", "pypi", "1.0", "introduced=0,fixed=x y"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.starts_with("drydock: error: invalid pypi version `x y`"),
        "{err}"
    );
    let (code, _, err) = version(&["in", "deb", "1.0", "introduced=0,patched=2"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown event `patched`"), "{err}");
    let (code, _, err) = version(&["in", "maven", "1.0", "[2.0,1.0]"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("drydock: error: invalid maven range `[2.0,1.0]`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn help_has_examples() {
    for sub in ["cmp", "in"] {
        let out = drydock()
            .args(["version", sub, "--help"])
            .output()
            .expect("drydock runs");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Examples:"), "{text}");
    }
}

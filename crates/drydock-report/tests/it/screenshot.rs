//! The HTML report opened in headless Chromium and screenshotted: the page renders, at the
//! asked size, with its styles applied (header colour, severity badges), not blank.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drydock_report::{Format, WriteOptions};

use crate::fixture::vulnerability_report;
use crate::snapshots::render;
use crate::tools_required;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

fn chromium() -> Option<PathBuf> {
    std::env::var_os("DRYDOCK_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")))
        .filter(|p| p.exists())
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !tools_required(),
            "chromium is not installed (apt package `chromium`)"
        );
        eprintln!("SKIPPED: chromium is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let html_text = render(
        &vulnerability_report(),
        Format::Html,
        &WriteOptions {
            color: false,
            show_suppressed: true,
            width: None,
        },
    );
    std::fs::write(&html, html_text).expect("write the page");
    // Kept under target/tmp so a person can look at it after the run.
    let png_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drydock-report-html.png");
    let _ = std::fs::remove_file(&png_path);
    let profile = dir.path().join("profile");
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 45 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert!(status.success(), "chromium failed: {status}\n{stderr}");
    let file = std::fs::File::open(&png_path)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{stderr}", png_path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("decode the PNG");
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    let channels = info.color_type.samples();
    assert!(
        channels >= 3,
        "colour screenshot, got {:?}",
        info.color_type
    );
    let pixels = &buf[..info.buffer_size()];
    let pixel = |x: u32, y: u32| -> [u8; 3] {
        let i = ((y * WIDTH + x) as usize) * channels;
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    };
    let mut colours = std::collections::BTreeSet::new();
    for y in (0..HEIGHT).step_by(3) {
        for x in (0..WIDTH).step_by(3) {
            colours.insert(pixel(x, y));
        }
    }
    assert!(
        colours.len() > 50,
        "a blank page has few colours: {}",
        colours.len()
    );
    // The inline stylesheet applied: the header band is #0b3d5c, and a CRITICAL badge
    // (#8b0000) appears somewhere.
    assert_eq!(pixel(4, 4), [0x0b, 0x3d, 0x5c], "header colour");
    assert!(
        colours.contains(&[0x8b, 0x00, 0x00]),
        "a CRITICAL badge is visible"
    );
    eprintln!("screenshot: {}", png_path.display());
}

/// Runs headless Chromium on `url` with `args`, killing it after 45 s; its stdout.
fn headless(
    chromium: &std::path::Path,
    profile: &std::path::Path,
    args: &[String],
    url: &str,
) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 45 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium failed: {status}");
    reader.join().expect("read chromium's output")
}

/// Issue 13: at 600 px the page is no wider than the window (nothing to scroll sideways),
/// and the filter (driven here by the URL fragment, as a shared link would) hides what does
/// not match.
#[test]
fn html_report_fits_600px_and_filters_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            !tools_required(),
            "chromium is not installed (apt package `chromium`)"
        );
        eprintln!("SKIPPED: chromium is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let report = vulnerability_report();
    std::fs::write(
        &html,
        render(
            &report,
            Format::Html,
            &WriteOptions {
                color: false,
                show_suppressed: true,
                width: None,
            },
        ),
    )
    .expect("write the page");
    let profile = dir.path().join("profile");
    let dump = |fragment: &str| {
        headless(
            &chromium,
            &profile,
            &[
                "--window-size=600,900".to_string(),
                "--virtual-time-budget=2000".to_string(),
                "--dump-dom".to_string(),
            ],
            &format!("file://{}{fragment}", html.display()),
        )
    };
    let attr = |dom: &str, name: &str| -> usize {
        let key = format!("{name}=\"");
        let start = dom
            .find(&key)
            .unwrap_or_else(|| panic!("`{name}` set by the page's script: {dom}"))
            + key.len();
        dom[start..]
            .split('"')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("`{name}` is a number"))
    };
    let all = dump("");
    let width = attr(&all, "data-scroll-width");
    assert!(width <= 600, "the page is {width} px wide at 600 px");
    let total = report
        .targets
        .iter()
        .map(|t| t.findings.len())
        .sum::<usize>();
    assert_eq!(
        attr(&all, "data-shown"),
        total,
        "no filter: everything shown"
    );
    let critical = report.targets[0]
        .findings
        .iter()
        .filter(|d| d.finding.severity == drydock_match::Severity::Critical)
        .count();
    assert!(critical > 0 && critical < total);
    assert_eq!(attr(&dump("#sev=CRITICAL"), "data-shown"), critical);
    let musl = report.targets[0]
        .findings
        .iter()
        .filter(|d| d.finding.package.contains("musl"))
        .count();
    assert_eq!(attr(&dump("#pkg=musl"), "data-shown"), musl);

    // And a picture at that width, kept for a person to look at.
    let png_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drydock-report-html-600.png");
    let _ = std::fs::remove_file(&png_path);
    headless(
        &chromium,
        &profile,
        &[
            "--window-size=600,1200".to_string(),
            format!("--screenshot={}", png_path.display()),
        ],
        &format!("file://{}", html.display()),
    );
    let file = std::fs::File::open(&png_path).expect("the 600 px screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("decode the PNG");
    assert_eq!(info.width, 600);
    eprintln!("screenshot: {}", png_path.display());
}

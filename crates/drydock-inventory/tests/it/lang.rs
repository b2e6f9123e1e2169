//! Language analyzers end to end: lockfiles and installed metadata made by the real tools
//! (`tests/fixtures/make_lang_fixtures.sh`), malformed inputs, jar bounds, and the corpus
//! image compared with Trivy and Syft.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use drydock_inventory::{InventoryResult, Mode, analyzers, inventory, inventory_with};
use drydock_package::{Ecosystem, Package, normalize_name};

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lang"))
}

fn scan(target: &Path, mode: Mode) -> InventoryResult {
    let target = drydock_image::open(&target.to_string_lossy(), &Default::default())
        .expect("opens the target");
    inventory(&target, mode, &Default::default()).expect("inventories")
}

/// `name@version` of every package found in the file at `path`.
fn at(result: &InventoryResult, path: &str) -> BTreeSet<String> {
    result
        .inventory
        .packages
        .iter()
        .filter(|p| p.locations.iter().any(|l| l.path == path))
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The warnings about the file at `path`.
fn warnings_at<'a>(result: &'a InventoryResult, path: &str) -> Vec<&'a str> {
    result
        .inventory
        .warnings
        .iter()
        .filter(|w| w.path == path)
        .map(|w| w.message.as_str())
        .collect()
}

#[test]
fn every_npm_lockfile_format_gives_the_same_packages() {
    let r = scan(&fixtures().join("npm"), Mode::Fs);
    // `debug@2.6.9` needs `ms@2.0.0` while the project pins `ms@2.1.1`: both are installed.
    let expected = set(&[
        "@tootallnate/once@1.1.2",
        "debug@2.6.9",
        "ms@2.0.0",
        "ms@2.1.1",
    ]);
    for file in [
        "lock-v1/package-lock.json",
        "lock-v2/package-lock.json",
        "lock-v3/package-lock.json",
        "yarn-v1/yarn.lock",
        "yarn-berry/yarn.lock",
        "pnpm-v8/pnpm-lock.yaml",
        "pnpm-v9/pnpm-lock.yaml",
    ] {
        assert_eq!(at(&r, file), expected, "{file}");
    }
    assert!(
        r.inventory.warnings.is_empty(),
        "{:?}",
        r.inventory.warnings
    );
    assert!(
        r.inventory
            .packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Npm)
    );
}

#[test]
fn python_lockfiles_and_installed_metadata() {
    let r = scan(&fixtures().join("pypi"), Mode::Fs);
    // uv, poetry and `uv pip compile` resolved the same two requirements on the same day.
    let resolved = at(&r, "uv/uv.lock");
    assert!(resolved.contains("requests@2.25.0") && resolved.contains("jinja2@2.11.2"));
    assert_eq!(resolved.len(), 7, "{resolved:?}");
    assert_eq!(at(&r, "poetry/poetry.lock"), resolved);
    assert_eq!(at(&r, "requirements/requirements-prod.txt"), resolved);
    // pipenv: `requests` and its dependencies, and `sqlparse` from `[dev-packages]`.
    let pipenv = at(&r, "pipenv/Pipfile.lock");
    assert!(pipenv.contains("requests@2.25.0") && pipenv.contains("sqlparse@0.4.1"));
    assert_eq!(pipenv.len(), 6, "{pipenv:?}");
    let six = set(&["six@1.16.0"]);
    assert_eq!(
        at(
            &r,
            "installed/usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA"
        ),
        six
    );
    assert_eq!(
        at(
            &r,
            "installed/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
        ),
        six
    );
    assert!(
        r.inventory.warnings.is_empty(),
        "{:?}",
        r.inventory.warnings
    );
}

#[test]
fn cargo_go_ruby_php_dotnet_maven_lockfiles() {
    let r = scan(&fixtures(), Mode::Fs);
    assert_eq!(
        at(&r, "cargo/lock/Cargo.lock"),
        set(&[
            "aho-corasick@0.7.20",
            "fixture-rs@0.1.0",
            "memchr@2.8.3",
            "regex-syntax@0.6.29",
            "regex@1.5.4",
            "smallvec@1.6.0"
        ])
    );
    // `replace` applied: a fork's version wins, a local directory drops the module.
    assert_eq!(
        at(&r, "golang/mod/go.mod"),
        set(&[
            "github.com/google/uuid@v1.3.1",
            "golang.org/x/text@v0.3.7",
            "gopkg.in/yaml.v3@v3.0.0-20200313102051-9f266ea9e77c"
        ])
    );
    assert_eq!(
        at(&r, "gem/bundler/Gemfile.lock"),
        set(&[
            "activesupport@7.0.4.3",
            "concurrent-ruby@1.2.2",
            "nokogiri@1.13.10",
            "racc@1.6.2",
            "rack@2.2.6.4"
        ])
    );
    assert_eq!(
        at(
            &r,
            "gem/installed/usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec"
        ),
        set(&["rack@2.2.22"])
    );
    assert_eq!(
        at(&r, "php/lock/composer.lock"),
        set(&[
            "guzzlehttp/psr7@1.8.2",
            "phpunit/phpunit@9.5.10",
            "symfony/http-kernel@v5.4.0"
        ])
    );
    assert_eq!(
        at(&r, "php/installed/vendor/composer/installed.json"),
        set(&["monolog/monolog@2.3.5", "psr/log@1.1.4"])
    );
    assert_eq!(
        at(&r, "nuget/app/Fixture.App.deps.json"),
        set(&["newtonsoft.json@13.0.1"])
    );
    assert_eq!(
        at(&r, "nuget/lock/packages.lock.json"),
        set(&["serilog@2.10.0", "system.text.encodings.web@4.7.2"])
    );
    assert_eq!(
        at(&r, "maven/gradle/gradle.lockfile"),
        set(&[
            "com.fasterxml.jackson.core:jackson-databind@2.13.0",
            "com.google.guava:guava@31.1-jre",
            "org.apache.logging.log4j:log4j-core@2.14.1"
        ])
    );
    // Literal and `${property}` versions; not the BOM import, the version-less dependency
    // or the test-scope one.
    assert_eq!(
        at(&r, "maven/pom/pom.xml"),
        set(&[
            "com.fasterxml.jackson.core:jackson-databind@2.13.0",
            "org.apache.logging.log4j:log4j-core@2.14.1"
        ])
    );
}

#[test]
fn jars_nested_jars_and_their_bounds() {
    let r = scan(&fixtures().join("maven/jars"), Mode::Fs);
    assert_eq!(
        at(&r, "commons-lang3.jar"),
        set(&["org.apache.commons:commons-lang3@3.12.0"])
    );
    // No pom.properties: the OSGi manifest's symbolic name and version.
    assert_eq!(
        at(&r, "manifest-only.jar"),
        set(&["org.apache.commons:cli@1.5.0"])
    );
    assert_eq!(
        at(&r, "fat.jar!/BOOT-INF/lib/commons-io.jar"),
        set(&["commons-io:commons-io@2.11.0"])
    );
    assert_eq!(
        at(&r, "fat.jar!/BOOT-INF/lib/manifest-only.jar"),
        set(&["org.apache.commons:cli@1.5.0"])
    );
    assert!(warnings_at(&r, "fat.jar").is_empty());

    // Ten jars deep: the top one and three levels of nesting are read, then a warning.
    let deep: BTreeSet<String> = r
        .inventory
        .packages
        .iter()
        .filter(|p| p.locations.iter().any(|l| l.path.starts_with("deep.jar")))
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        deep,
        set(&[
            "org.example:level1@1.0",
            "org.example:level2@2.0",
            "org.example:level3@3.0",
            "org.example:level4@4.0"
        ])
    );
    let w = warnings_at(&r, "deep.jar");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("level5.jar` is nested more than 3 jars deep"),
        "{}",
        w[0]
    );

    // 80 KiB that inflate to 80 MiB: stopped at the 64 MiB bound, the scan goes on.
    let w = warnings_at(&r, "bomb.jar");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("bomb.jar!/BOOT-INF/lib/huge.jar` inflates past 67108864 bytes"),
        "{}",
        w[0]
    );
    let source: Vec<_> = r
        .inventory
        .warnings
        .iter()
        .map(|w| w.source.as_str())
        .collect();
    assert!(source.iter().all(|s| *s == "jar"), "{source:?}");
}

#[test]
fn malformed_files_are_warnings_naming_file_and_reason() {
    let r = scan(&fixtures().join("malformed"), Mode::Fs);
    let expected = [
        ("app/Cargo.lock", "cargo-lock", "invalid TOML"),
        (
            "app/Gemfile.lock",
            "gemfile-lock",
            "line 3: expected `name (version)`",
        ),
        ("app/broken.jar", "jar", "not a readable zip archive"),
        (
            "app/node_modules/broken/package.json",
            "npm-package",
            "invalid JSON",
        ),
        ("app/package-lock.json", "npm-lock", "invalid JSON"),
        (
            "py/usr/lib/python3/site-packages/bad-1.0.dist-info/METADATA",
            "python-metadata",
            "no `Name:` header",
        ),
    ];
    let got: Vec<_> = r
        .inventory
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.source.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((path, source, message), (want_path, want_source, want_reason)) in got.iter().zip(expected)
    {
        assert_eq!((*path, *source), (want_path, want_source));
        assert!(message.contains(want_reason), "{path}: {message}");
    }
    assert!(r.inventory.packages.is_empty());

    // The scan goes on: the good files beside a malformed one are read.
    let all = scan(&fixtures(), Mode::Fs);
    assert_eq!(all.inventory.warnings.len(), expected.len() + 2); // + the two jar bounds
    assert!(at(&all, "npm/lock-v3/package-lock.json").len() == 4);
}

#[test]
fn lockfiles_are_not_read_in_images() {
    // In an image, what is installed counts, not what a lockfile planned.
    let r = scan(&fixtures().join("npm"), Mode::Image);
    assert!(
        r.inventory.packages.is_empty(),
        "{:?}",
        r.inventory.packages
    );
    let r = scan(&fixtures().join("pypi"), Mode::Image);
    let names: BTreeSet<_> = r
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["six"]));
}

// --- the corpus image against Trivy and Syft ---------------------------------------------

/// A directory the test needs: under CI a missing one fails the test; locally it skips.
fn required(var: &str, default: &str, what: &str, check: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    let missing: Vec<_> = check.iter().filter(|c| !dir.join(c).exists()).collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let msg = format!(
        "{what} not found: {missing:?} under `{}` (set {var})",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("note: {msg}; skipped");
    None
}

const COMPARED: [Ecosystem; 4] = [
    Ecosystem::Npm,
    Ecosystem::Pypi,
    Ecosystem::Cargo,
    Ecosystem::Golang,
];

/// `(ecosystem, name, version)`, Go versions without a leading `v` (Trivy writes `stdlib`
/// as `v1.19.8`, Syft and Go's vulnerability database as `1.19.8`).
type Key = (Ecosystem, String, String);

fn key(eco: Ecosystem, name: &str, version: &str) -> Key {
    let version = if eco == Ecosystem::Golang {
        version.trim_start_matches('v')
    } else {
        version
    };
    (eco, normalize_name(eco, name), version.to_string())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The compared packages of a CycloneDX document, from its components' purls.
fn cyclonedx_keys(json: &[u8]) -> BTreeSet<Key> {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("CycloneDX JSON");
    let mut out = BTreeSet::new();
    let mut stack: Vec<&serde_json::Value> = vec![&doc];
    while let Some(v) = stack.pop() {
        if let Some(components) = v.get("components").and_then(|c| c.as_array()) {
            stack.extend(components);
        }
        let Some(purl) = v.get("purl").and_then(|p| p.as_str()) else {
            continue;
        };
        let purl = purl.split(['?', '#']).next().unwrap_or(purl);
        let Some((ty, rest)) = purl.strip_prefix("pkg:").and_then(|p| p.split_once('/')) else {
            continue;
        };
        let Some(eco) = COMPARED.into_iter().find(|e| e.as_str() == ty) else {
            continue;
        };
        let Some((name, version)) = rest.rsplit_once('@') else {
            continue; // no version (Trivy's Go main module)
        };
        out.insert(key(eco, &percent_decode(name), &percent_decode(version)));
    }
    out
}

fn run_peer(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("runs the peer");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What the language analyzers cost on the corpus image: the walk with every analyzer
/// against the walk with the OS analyzers only (best of three each; printed for
/// `bench/compare-inventory.sh`, not asserted: timings belong in benchmarks).
fn print_walk_times(image: &Path) {
    let target = drydock_image::open(&image.to_string_lossy(), &Default::default())
        .expect("opens the image");
    let all = analyzers();
    let os: Vec<_> = analyzers()
        .into_iter()
        .filter(|a| matches!(a.name(), "os-release" | "dpkg" | "apk" | "rpm"))
        .collect();
    let best = |list: &[Box<dyn drydock_inventory::Analyzer>]| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                inventory_with(&target, Mode::Image, &Default::default(), list)
                    .expect("inventories");
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let (t_all, t_os) = (best(&all), best(&os));
    println!(
        "walk of the corpus image: {:.0} ms with every analyzer ({}), {:.0} ms with the OS analyzers only ({})",
        t_all.as_secs_f64() * 1e3,
        all.len(),
        t_os.as_secs_f64() * 1e3,
        os.len()
    );
}

#[test]
fn corpus_image_matches_what_trivy_and_syft_both_report() {
    let Some(corpus) = required(
        "DRYDOCK_CORPUS",
        "/work/cache/corpus",
        "the corpus image",
        &["debian-app/docker-archive.tar"],
    ) else {
        return;
    };
    let image = corpus.join("debian-app/docker-archive.tar");
    let result = scan(&image, Mode::Image);
    print_walk_times(&image);
    let ours: Vec<&Package> = result
        .inventory
        .packages
        .iter()
        .filter(|p| COMPARED.contains(&p.ecosystem))
        .collect();

    // The whiteouts hold.
    let versions = |eco: Ecosystem, name: &str| -> BTreeSet<&str> {
        ours.iter()
            .filter(|p| p.ecosystem == eco && p.name == name)
            .map(|p| p.version.as_str())
            .collect()
    };
    assert!(versions(Ecosystem::Pypi, "django").contains("3.2"));
    assert_eq!(versions(Ecosystem::Pypi, "paramiko"), BTreeSet::new());
    assert_eq!(
        versions(Ecosystem::Npm, "moment"),
        BTreeSet::from(["2.29.4"])
    );
    assert_eq!(
        versions(Ecosystem::Golang, "stdlib"),
        BTreeSet::from(["1.19.8"])
    );
    assert_eq!(
        versions(Ecosystem::Cargo, "smallvec"),
        BTreeSet::from(["1.6.0"])
    );
    assert!(
        result
            .inventory
            .warnings
            .iter()
            .all(|w| w.source == "layer-walk"),
        "{:?}",
        result.inventory.warnings
    );

    let Some(peers) = required(
        "DRYDOCK_PEERS",
        "/work/cache/peers",
        "the peer scanners",
        &["trivy", "syft"],
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let trivy = run_peer(
        Command::new(peers.join("trivy"))
            .args(["image", "--quiet", "--format", "cyclonedx"])
            // Licence scanning needs no vulnerability DB, so nothing is downloaded.
            .args([
                "--scanners",
                "license",
                "--offline-scan",
                "--skip-java-db-update",
            ])
            .arg("--cache-dir")
            .arg(tmp.path())
            .arg("--input")
            .arg(&image),
    );
    let syft = run_peer(
        Command::new(peers.join("syft"))
            .arg(format!("docker-archive:{}", image.display()))
            .args(["-o", "cyclonedx-json", "-q"])
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
    );
    let trivy = cyclonedx_keys(&trivy);
    let syft = cyclonedx_keys(&syft);
    let drydock: BTreeSet<Key> = ours
        .iter()
        .map(|p| key(p.ecosystem, &p.name, &p.version))
        .collect();

    let both: BTreeSet<&Key> = trivy.intersection(&syft).collect();
    let missing: Vec<&&Key> = both.iter().filter(|k| !drydock.contains(**k)).collect();
    let count = |s: &BTreeSet<Key>, e: Ecosystem| s.iter().filter(|k| k.0 == e).count();
    println!(
        "{:<8} {:>7} {:>6} {:>5} {:>9} {:>16}",
        "", "drydock", "trivy", "syft", "in both", "both, not ours"
    );
    let mut table = BTreeMap::new();
    for e in COMPARED {
        let row = (
            count(&drydock, e),
            count(&trivy, e),
            count(&syft, e),
            both.iter().filter(|k| k.0 == e).count(),
            missing.iter().filter(|k| k.0 == e).count(),
        );
        println!(
            "{:<8} {:>7} {:>6} {:>5} {:>9} {:>16}",
            e.as_str(),
            row.0,
            row.1,
            row.2,
            row.3,
            row.4
        );
        table.insert(e, row);
    }
    for k in drydock
        .iter()
        .filter(|k| !trivy.contains(*k) || !syft.contains(*k))
    {
        let by = match (trivy.contains(k), syft.contains(k)) {
            (true, false) => "trivy only",
            (false, true) => "syft only",
            _ => "neither peer",
        };
        println!("  drydock, {by}: {} {}@{}", k.0, k.1, k.2);
    }
    for k in trivy.union(&syft).filter(|k| !drydock.contains(*k)) {
        let by = match (trivy.contains(k), syft.contains(k)) {
            (true, true) => "both peers",
            (true, false) => "trivy only",
            _ => "syft only",
        };
        println!("  not drydock, {by}: {} {}@{}", k.0, k.1, k.2);
    }
    assert!(
        missing.is_empty(),
        "reported by Trivy and Syft, not by drydock: {missing:?}"
    );
    // The peers did see the image (an empty comparison proves nothing).
    for e in COMPARED {
        assert!(table[&e].3 > 0, "no {e} package reported by both peers");
    }
}

#[test]
fn go_and_rust_binaries_without_section_headers() {
    let Some(corpus) = required(
        "DRYDOCK_CORPUS",
        "/work/cache/corpus",
        "the corpus build tree",
        &[
            "work/l4-go/usr/local/bin/hello-go",
            "work/l5-rust/usr/local/bin/corpus-rs",
        ],
    ) else {
        return;
    };
    let root = tempfile::tempdir().expect("temp dir");
    let bin = root.path().join("usr/local/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    for (from, to) in [
        ("work/l4-go/usr/local/bin/hello-go", "hello-go"),
        ("work/l5-rust/usr/local/bin/corpus-rs", "corpus-rs"),
    ] {
        std::fs::copy(corpus.join(from), bin.join(to)).expect("copies the binary");
    }
    // The same Go binary with its section header table cut off (as some packers and
    // `sstrip` leave it): the build info is found by scanning.
    let mut go = std::fs::read(bin.join("hello-go")).expect("reads");
    assert_eq!(&go[..5], b"\x7fELF\x02", "a 64-bit ELF");
    go[0x28..0x30].fill(0); // e_shoff
    go[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    let stripped = bin.join("hello-go-noshdr");
    std::fs::write(&stripped, go).expect("writes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stripped, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let r = scan(root.path(), Mode::Fs);
    for go in ["usr/local/bin/hello-go", "usr/local/bin/hello-go-noshdr"] {
        assert_eq!(at(&r, go), set(&["stdlib@1.19.8"]), "{go}");
    }
    let rust = at(&r, "usr/local/bin/corpus-rs");
    for c in [
        "corpus-rs@0.1.0",
        "smallvec@1.6.0",
        "regex@1.5.4",
        "time@0.1.43",
        "chrono@0.4.19",
    ] {
        assert!(rust.contains(c), "{c} not in {rust:?}");
    }
    assert!(
        r.inventory.warnings.is_empty(),
        "{:?}",
        r.inventory.warnings
    );
}

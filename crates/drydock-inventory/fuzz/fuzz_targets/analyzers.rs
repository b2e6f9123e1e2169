//! Every analyzer on arbitrary bytes: the first byte picks a file name (a lockfile, a package
//! database, installed-package metadata, a binary); each analyzer that wants that name parses
//! the rest. Bad input must be an `Err` or a warning, never a panic.
#![no_main]

use drydock_image::{EntryKind, FileMeta};
use drydock_inventory::{Mode, analyzers};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "app/package-lock.json",
    "app/yarn.lock",
    "app/pnpm-lock.yaml",
    "app/Cargo.lock",
    "app/poetry.lock",
    "app/Pipfile.lock",
    "app/uv.lock",
    "app/requirements.txt",
    "app/go.mod",
    "app/Gemfile.lock",
    "app/composer.lock",
    "app/packages.lock.json",
    "app/gradle.lockfile",
    "app/pom.xml",
    "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
    "usr/lib/python3/dist-packages/x-1.0.egg-info/PKG-INFO",
    "app/node_modules/x/package.json",
    "app/lib/x.jar",
    "app/x.deps.json",
    "app/vendor/composer/installed.json",
    "usr/share/gems/specifications/x-1.0.gemspec",
    "usr/local/bin/x",
    "var/lib/dpkg/status",
    "lib/apk/db/installed",
    "etc/os-release",
    "var/lib/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/dpkg/status.d/x",
    "etc/alpine-release",
    "etc/lsb-release",
    "etc/redhat-release",
    "etc/debian_version",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let path = PATHS[pick as usize % PATHS.len()];
    let meta = FileMeta {
        size: content.len() as u64,
        mode: 0o755,
        kind: EntryKind::File,
    };
    for a in analyzers() {
        for mode in [Mode::Image, Mode::Fs] {
            if a.wants(path, &meta, mode) {
                let _ = a.analyze(path, content);
            }
        }
    }
});

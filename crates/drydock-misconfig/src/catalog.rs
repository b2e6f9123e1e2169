//! Every check drydock runs: id, default severity, what it reads, why it matters, how to fix
//! it, and the ids peers use for the same idea. `docs/misconfig.md` and SARIF rules come from
//! this table.

use crate::Severity;

/// What a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    Dockerfile,
    Config,
    History,
    Files,
}

/// One check.
#[derive(Debug, serde::Serialize)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    /// The usual severity; a few checks raise or lower it per finding (a secret rule's own
    /// severity, root's empty password).
    pub severity: Severity,
    pub inputs: &'static [Input],
    pub rationale: &'static str,
    pub fix: &'static str,
    /// Trivy (`DS-00NN`), hadolint (`DLnnnn`), Dockle (`CIS-DI-nnnn`, `DKL-…`) ids.
    pub peers: &'static str,
}

use Input::{Config as C, Dockerfile as D, Files as F, History as H};

macro_rules! check {
    ($name:ident, $id:literal, $sev:ident, [$($i:ident),*], $title:literal, $why:literal, $fix:literal, $peers:literal) => {
        pub static $name: Check = Check {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            inputs: &[$($i),*],
            rationale: $why,
            fix: $fix,
            peers: $peers,
        };
    };
}

check!(
    ROOT_USER,
    "DD-101",
    High,
    [D, C],
    "container runs as root",
    "A process that runs as root in the container is root on the host's kernel: one kernel or runtime escape, or one writable host mount, and the host is owned. Empty, `root`, `0` and `0:<group>` all mean root.",
    "Add a `USER` with a non-zero UID (e.g. `USER 10001:10001`) as the last USER of the final stage.",
    "Trivy DS-0002, hadolint DL3002, Dockle CIS-DI-0001, CIS Docker 4.1"
);
check!(
    NO_HEALTHCHECK,
    "DD-102",
    Low,
    [D, C],
    "no HEALTHCHECK",
    "Without a health check a hung service keeps receiving traffic; availability, not confidentiality, hence LOW. `HEALTHCHECK NONE` is an explicit choice and not reported.",
    "Add `HEALTHCHECK CMD …`, or `HEALTHCHECK NONE` when the orchestrator probes instead.",
    "Trivy DS-0026, hadolint DL3057, Dockle CIS-DI-0006, CIS Docker 4.6"
);
check!(
    SSH_PORT,
    "DD-103",
    Medium,
    [D, C],
    "port 22 exposed",
    "An SSH daemon in a container is a second, usually unpatched, way in, with its own credentials.",
    "Remove `EXPOSE 22` and the SSH server; use `docker exec`/`kubectl exec` for access.",
    "Trivy DS-0004"
);
check!(
    SYSTEM_DIR,
    "DD-104",
    High,
    [D, C],
    "VOLUME or WORKDIR on /proc, /sys or /dev",
    "A volume over /proc, /sys or /dev hides or replaces kernel interfaces; mounted from the host it exposes them to the container.",
    "Use an application directory (e.g. `/app`, `/data`).",
    "Trivy DS-0030, Dockle DKL-DI-0002"
);
check!(
    SECRET_NAMED_VAR,
    "DD-105",
    Critical,
    [D, C],
    "secret-named ENV/ARG with a value",
    "ENV values are stored in the image config and ARG defaults in the history: anyone who can pull the image can read them with `docker inspect`/`docker history`. Names with PASSWORD, SECRET, TOKEN, API_KEY, ACCESS_KEY, PRIVATE_KEY, CREDENTIAL… count; GPG_KEY-style public values, `*_FILE`/`*_PATH` names and `$VAR` references do not.",
    "Pass secrets at run time (orchestrator secrets, mounted files) or at build time with `RUN --mount=type=secret`.",
    "Trivy DS-0031, hadolint DL3064, Dockle CIS-DI-0010, CIS Docker 4.10"
);
check!(
    BUILD_ARG_IN_HISTORY,
    "DD-106",
    High,
    [H],
    "build-arg value recorded in history",
    "A `--build-arg` consumed by a RUN is written into that layer's history entry (`RUN |2 TOKEN=… …`) and ships with the image. Only secret-named args are reported; the value is masked.",
    "Use `RUN --mount=type=secret,id=…` (BuildKit) instead of a build arg.",
    "none (closest: Trivy DS-0031 on the Dockerfile)"
);
check!(
    SECRET_IN_CONFIG,
    "DD-107",
    High,
    [D, C, H],
    "secret in the image config, history or Dockerfile",
    "A token of a well-known format (AWS, GitHub, GitLab, Slack, Stripe, npm, PyPI, private key, JWT…) in ENV, labels, the command or a history entry is readable by anyone who can pull the image. Severity is the rule's.",
    "Revoke the credential now, then remove it from the Dockerfile and rebuild.",
    "Trivy secret scanner on the image config (`--image-config-scanners secret`)"
);
check!(
    ADD_URL,
    "DD-108",
    Medium,
    [D, H],
    "ADD of a remote URL without a checksum",
    "`ADD https://…` downloads whatever the server returns at build time, unverified; a compromised server or DNS puts code in the image. `ADD --checksum=sha256:…` is not reported.",
    "Use `ADD --checksum=sha256:… URL`, or download with curl and verify a pinned hash.",
    "Trivy DS-0005, hadolint DL3020, Dockle CIS-DI-0009, CIS Docker 4.9 (those flag every ADD; we flag only unverified downloads)"
);
check!(
    CURL_PIPE_SH,
    "DD-109",
    Medium,
    [D, H],
    "remote script piped into a shell",
    "`curl … | sh` runs whatever the server sends, as root, with no pinned hash; the script can differ per request.",
    "Download to a file, verify a pinned sha256, then run it.",
    "none (closest: hadolint DL4006 pipefail, CIS Docker 4.11)"
);
check!(
    SUDO,
    "DD-110",
    Medium,
    [D, H, F],
    "sudo installed or used",
    "sudo in an image is an escalation path for a compromised non-root process (and has had its own CVEs); in a Dockerfile it is never needed (RUN already runs as the build user). A setuid `sudo` in any layer is reported, base image included, as is `sudo` installed or run in a Dockerfile or this image's history.",
    "Drop sudo; switch users with `USER` and use `gosu`/`setpriv` in entrypoints that must drop privileges.",
    "Trivy DS-0010, hadolint DL3004, Dockle DKL-DI-0001"
);
check!(
    UPDATE_ALONE,
    "DD-111",
    Low,
    [D, H],
    "package index update without install in the same RUN",
    "A cached `apt-get update` (or `apk update`, `zypper refresh`) layer is reused by later builds, so installs get stale package versions and miss security fixes. yum and dnf are not reported: they check their metadata's age at install time, and `yum/dnf update` upgrades rather than refreshes an index.",
    "Run `apt-get update && apt-get install …` in one RUN.",
    "Trivy DS-0017, Dockle CIS-DI-0007, CIS Docker 4.7"
);
check!(
    CACHE_LEFT,
    "DD-112",
    Low,
    [D, H],
    "package manager cache left in the image",
    "Package indexes and caches in a layer make the image bigger and let anyone list what was available at build time; not exploitable by itself, hence LOW (Trivy rates some HIGH).",
    "`rm -rf /var/lib/apt/lists/*` in the same RUN, `apk add --no-cache`, `yum/dnf clean all`, or a cache mount.",
    "Trivy DS-0015/0019/0020/0025/0027, hadolint DL3009/DL3019, Dockle DKL-DI-0004/0005"
);
check!(
    SECRET_BUILD_ARG,
    "DD-113",
    Medium,
    [D],
    "secret passed as a build argument",
    "An `ARG` with a secret name gets its value from `--build-arg`, and every RUN that follows records it in the image history (see DD-106).",
    "Use `RUN --mount=type=secret,id=…` instead of an ARG.",
    "Trivy DS-0031, hadolint DL3064"
);
check!(
    LATEST_TAG,
    "DD-201",
    Medium,
    [D],
    "base image `latest` or untagged",
    "`latest` changes under the build: the next rebuild can pull a different, unreviewed base.",
    "Use a version tag (and a digest, see DD-202).",
    "Trivy DS-0001, hadolint DL3006/DL3007, Dockle DKL-DI-0006"
);
check!(
    NOT_PINNED,
    "DD-202",
    Low,
    [D],
    "base image not pinned by digest",
    "A tag can be moved by whoever controls the repository; a digest cannot.",
    "Use `FROM image:tag@sha256:…` and let a bot update it.",
    "CIS Docker 4.2 (manual), hadolint DL3026 (registries)"
);
check!(
    RELATIVE_WORKDIR,
    "DD-203",
    Low,
    [D],
    "relative WORKDIR",
    "A relative WORKDIR depends on the previous one and on the base image; a base change moves files silently.",
    "Use an absolute path.",
    "Trivy DS-0009, hadolint DL3000"
);
check!(
    DUPLICATE_RUNTIME,
    "DD-204",
    Low,
    [D],
    "more than one CMD, ENTRYPOINT or HEALTHCHECK in a stage",
    "Only the last one takes effect; the others are dead code that misleads a reviewer about what runs.",
    "Keep one of each per stage.",
    "Trivy DS-0007/DS-0016/DS-0023, hadolint DL4003/DL4004"
);
check!(
    COPY_FROM_SELF,
    "DD-205",
    Low,
    [D],
    "COPY --from refers to its own stage",
    "The build fails or copies from an image of the same name: never what was meant.",
    "Copy from an earlier stage.",
    "Trivy DS-0006"
);
check!(
    DUPLICATE_STAGE,
    "DD-206",
    Low,
    [D],
    "duplicate stage name",
    "`COPY --from=name` then picks a stage the author did not mean.",
    "Give each stage its own name.",
    "Trivy DS-0012"
);
check!(
    PORT_RANGE,
    "DD-207",
    Low,
    [D, C],
    "EXPOSE port out of range",
    "A port outside 0–65535 is a typo; the real port is not documented.",
    "Fix the port number.",
    "Trivy DS-0008"
);
check!(
    SETUID,
    "DD-301",
    Medium,
    [F],
    "setuid/setgid file not owned by a package",
    "A setuid-root binary no package owns is not updated by the package manager and is a ready privilege escalation for a compromised process. Files listed by dpkg or apk are not reported (their updates come with the distro); on other distros all are reported.",
    "Remove the file or its setuid bit (`chmod u-s,g-s`).",
    "Dockle CIS-DI-0008, CIS Docker 4.8"
);
check!(
    EMPTY_PASSWORD,
    "DD-302",
    High,
    [F],
    "account with an empty password",
    "An empty hash in /etc/shadow lets anyone log in or `su` without a password (CVE-2019-5021 in Alpine images); for root it is CRITICAL.",
    "Lock the account: `passwd -l NAME` (hash `!` or `*`).",
    "Dockle DKL-LI-0001"
);
check!(
    SECOND_ROOT,
    "DD-303",
    High,
    [F],
    "second account with UID 0",
    "Another account with UID 0 is root under another name, easy to miss in audits and log reviews.",
    "Give the account its own UID or remove it.",
    "Dockle DKL-LI-0002"
);
check!(
    CREDENTIAL_FILE,
    "DD-304",
    High,
    [F],
    "credential file left in the image",
    "SSH private keys, `.aws/credentials`, docker `auths`, `.npmrc`/`.pypirc` tokens, `.git-credentials`, `.netrc`, `.env` secrets and kubeconfigs with tokens are usable by anyone who pulls the image.",
    "Revoke the credential, remove the file in the layer that adds it (not a later one), use build secrets.",
    "Dockle CIS-DI-0010, Trivy secret rules (private-key, dockerconfig, …)"
);
check!(
    SECRET_IN_FILE,
    "DD-305",
    High,
    [F],
    "secret in a layer file",
    "A token of a well-known format in a file of the image. Package-owned paths, binaries and files over the size bound are not read. Severity is the rule's.",
    "Revoke the credential and rebuild without it.",
    "Trivy secret scanner, gitleaks rules"
);
check!(
    DELETED_SECRET,
    "DD-306",
    Critical,
    [F],
    "secret deleted by a later layer but still in a lower one",
    "Deleting a file in a later layer only hides it: the lower layer still ships it, and `docker save` plus `tar` recovers it. No peer reports this.",
    "Revoke the credential; never add it in a layer (use `RUN --mount=type=secret`, or squash / multi-stage so it never reaches the final image).",
    "none"
);

/// All checks, in id order.
pub static CHECKS: &[&Check] = &[
    &ROOT_USER,
    &NO_HEALTHCHECK,
    &SSH_PORT,
    &SYSTEM_DIR,
    &SECRET_NAMED_VAR,
    &BUILD_ARG_IN_HISTORY,
    &SECRET_IN_CONFIG,
    &ADD_URL,
    &CURL_PIPE_SH,
    &SUDO,
    &UPDATE_ALONE,
    &CACHE_LEFT,
    &SECRET_BUILD_ARG,
    &LATEST_TAG,
    &NOT_PINNED,
    &RELATIVE_WORKDIR,
    &DUPLICATE_RUNTIME,
    &COPY_FROM_SELF,
    &DUPLICATE_STAGE,
    &PORT_RANGE,
    &SETUID,
    &EMPTY_PASSWORD,
    &SECOND_ROOT,
    &CREDENTIAL_FILE,
    &SECRET_IN_FILE,
    &DELETED_SECRET,
];

/// The check with this id.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

impl Check {
    /// The ids an ignore file may use for this check besides its own: each Trivy peer id in
    /// its three spellings (`DS-0002`, `AVD-DS-0002`, `DS002`). A run of ids is written
    /// `DS-0007/DS-0016` or `DS-0015/0019`; each id in it counts.
    pub fn aliases(&self) -> Vec<String> {
        let mut out = Vec::new();
        for word in self.peers.split([' ', ',', ';']) {
            let Some(run) = word.strip_prefix("DS-") else {
                continue;
            };
            for num in run.split('/') {
                let num = num.strip_prefix("DS-").unwrap_or(num);
                let Ok(n) = num.parse::<u32>() else {
                    continue;
                };
                out.push(format!("DS-{n:04}"));
                out.push(format!("AVD-DS-{n:04}"));
                out.push(format!("DS{n:03}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod alias_tests {
    #[test]
    fn trivy_ids_in_every_spelling() {
        let root = super::check("DD-101").expect("DD-101");
        assert_eq!(root.aliases(), ["DS-0002", "AVD-DS-0002", "DS002"]);
        let hidden = super::check("DD-306").expect("DD-306");
        assert!(hidden.aliases().is_empty(), "no peer reports it");
    }

    /// Every Trivy id the peers column names is an alias of its check, also in a run of ids
    /// (`DS-0007/DS-0016/DS-0023`, `DS-0015/0019/…`).
    #[test]
    fn every_trivy_peer_id_is_an_alias() {
        for c in super::CHECKS {
            let trivy = c
                .peers
                .split("Trivy ")
                .nth(1)
                .map(|t| t.split([',', ' ']).next().unwrap_or_default());
            let Some(ids) = trivy.filter(|t| t.starts_with("DS-")) else {
                continue;
            };
            let aliases = c.aliases();
            for part in ids.split('/') {
                let num = part.trim_start_matches("DS-");
                let n: u32 = num.parse().unwrap_or_else(|_| panic!("{}: `{part}`", c.id));
                for spelling in [
                    format!("DS-{n:04}"),
                    format!("AVD-DS-{n:04}"),
                    format!("DS{n:03}"),
                ] {
                    assert!(
                        aliases.contains(&spelling),
                        "{}: {spelling} in {aliases:?}",
                        c.id
                    );
                }
            }
        }
        let cache = super::check("DD-112").expect("DD-112");
        assert_eq!(cache.aliases().len(), 15, "{:?}", cache.aliases());
        let runtime = super::check("DD-204").expect("DD-204");
        assert!(runtime.aliases().contains(&"DS016".to_string()));
    }
}

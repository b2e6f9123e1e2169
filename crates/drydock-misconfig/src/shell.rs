//! What a RUN command does, as far as the checks care: pipes from downloads into shells,
//! sudo, package-manager updates, installs and cache clean-ups. Shared by the Dockerfile
//! checks and the history checks (which see the same commands after the build).

use std::sync::OnceLock;

use regex::Regex;

/// Findings of one command text, before they get an evidence.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunFacts {
    pub pipe_to_shell: bool,
    pub sudo: bool,
    /// Package managers whose index is updated without an install in the same command.
    pub update_alone: Vec<&'static str>,
    /// Package managers that install and leave their cache.
    pub cache_left: Vec<&'static str>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("the built-in patterns are valid"))
}

/// Analyses a RUN command (shell form, heredoc bodies included).
pub fn analyse(cmd: &str) -> RunFacts {
    static PIPE: OnceLock<Regex> = OnceLock::new();
    static SUBST: OnceLock<Regex> = OnceLock::new();
    static SUDO: OnceLock<Regex> = OnceLock::new();
    let pipe = re(
        &PIPE,
        r"\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(?:\S*/)?(?:ba|da|z|k|a)?sh\b|\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:\S*/)?(?:python[0-9.]*|perl|ruby|node)\b",
    );
    let subst = re(
        &SUBST,
        r#"\b(?:ba|da|z|k|a)?sh\s+(?:-\S+\s+)*["']?(?:\$\(|`|<\()\s*(?:curl|wget)\b"#,
    );
    let sudo = re(&SUDO, r"(?:^|[\s;&|(`])sudo(?:\s|$)");
    let mut f = RunFacts {
        pipe_to_shell: pipe.is_match(cmd) || subst.is_match(cmd),
        sudo: sudo.is_match(cmd),
        ..RunFacts::default()
    };
    let words = words(cmd);
    let has = |mgr: &[&str], verbs: &[&str]| {
        words
            .windows(2)
            .any(|w| mgr.contains(&w[0].as_str()) && verbs.contains(&w[1].as_str()))
            || words.windows(3).any(|w| {
                // `apt-get -y install`, `apk --no-cache add`
                mgr.contains(&w[0].as_str())
                    && w[1].starts_with('-')
                    && verbs.contains(&w[2].as_str())
            })
    };
    let apt = ["apt-get", "apt"];
    if has(&apt, &["update"]) && !has(&apt, &["install", "upgrade", "dist-upgrade"]) {
        f.update_alone.push("apt-get");
    }
    if has(&["apk"], &["update"]) && !has(&["apk"], &["add", "upgrade"]) {
        f.update_alone.push("apk");
    }
    if has(&["zypper"], &["refresh", "ref"]) && !has(&["zypper"], &["install", "in"]) {
        f.update_alone.push("zypper");
    }
    if has(&apt, &["install"]) && !cmd.contains("/var/lib/apt/lists") && !cmd.contains("type=cache")
    {
        f.cache_left.push("apt-get");
    }
    if has(&["apk"], &["add"])
        && !cmd.contains("--no-cache")
        && !cmd.contains("/var/cache/apk")
        && !cmd.contains("type=cache")
    {
        f.cache_left.push("apk");
    }
    for (mgr, name) in [
        (&["yum"][..], "yum"),
        (&["dnf"][..], "dnf"),
        (&["microdnf"][..], "microdnf"),
    ] {
        if has(mgr, &["install"])
            && !words
                .windows(3)
                .any(|w| w[0] == name && w[1] == "clean" && w[2] == "all")
            && !cmd.contains(&format!(
                "/var/cache/{}",
                if name == "yum" { "yum" } else { "dnf" }
            ))
            && !cmd.contains("type=cache")
        {
            f.cache_left.push(name);
        }
    }
    if has(&["zypper"], &["install", "in"]) && !has(&["zypper"], &["clean", "cc"]) {
        f.cache_left.push("zypper");
    }
    f
}

/// Shell words with separators split off, quotes dropped; good enough to find commands and
/// their verbs (`&& apt-get install`), not to run anything.
fn words(cmd: &str) -> Vec<String> {
    cmd.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`'))
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_into_shells() {
        for c in [
            "curl -fsSL https://get.example.sh | sh",
            "wget -qO- https://x/install.sh | sudo -E bash -",
            "curl https://x | /bin/bash -s -- --yes",
            "sh -c \"$(curl -fsSL https://x/install.sh)\"",
            "bash <(curl -s https://x)",
            "curl -s https://bootstrap.pypa.io/get-pip.py | python3",
        ] {
            assert!(analyse(c).pipe_to_shell, "{c}");
        }
        for c in [
            "curl -fsSLo /tmp/i.sh https://x && sha256sum -c sums && sh /tmp/i.sh",
            "curl -s https://x | tar xz",
            "curl -s https://x | shasum",
        ] {
            assert!(!analyse(c).pipe_to_shell, "{c}");
        }
    }

    #[test]
    fn package_managers() {
        assert_eq!(analyse("apt-get update").update_alone, ["apt-get"]);
        assert_eq!(analyse("apk update").update_alone, ["apk"]);
        assert!(
            analyse("apk update && apk add curl")
                .update_alone
                .is_empty()
        );
        assert_eq!(
            analyse("zypper --non-interactive refresh").update_alone,
            ["zypper"]
        );
        // yum and dnf check their metadata's age at install time, so a refreshed index in a
        // cached layer does not pin old versions; `yum update` is an upgrade, not a refresh.
        for c in [
            "yum makecache",
            "dnf makecache --refresh",
            "dnf -y update",
            "yum update -y",
        ] {
            assert!(analyse(c).update_alone.is_empty(), "{c}");
        }
        let f = analyse("apt-get update && apt-get install -y curl");
        assert!(f.update_alone.is_empty());
        assert_eq!(f.cache_left, ["apt-get"]);
        let f = analyse("apt-get update && apt-get -y install curl && rm -rf /var/lib/apt/lists/*");
        assert_eq!(f, RunFacts::default());
        assert_eq!(analyse("apk add curl").cache_left, ["apk"]);
        assert!(analyse("apk add --no-cache curl").cache_left.is_empty());
        assert_eq!(analyse("yum install -y x").cache_left, ["yum"]);
        assert!(
            analyse("yum install -y x && yum clean all")
                .cache_left
                .is_empty()
        );
    }

    #[test]
    fn sudo() {
        assert!(analyse("sudo make install").sudo);
        assert!(analyse("apt-get install -y sudo").sudo);
        assert!(!analyse("echo x > /etc/sudoers.d/app").sudo);
    }
}

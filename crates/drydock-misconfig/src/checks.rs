//! The checks, one module per input: a Dockerfile, an image config with its history, the
//! files of the layers.

pub mod config;
pub mod dockerfile;
pub mod files;

/// Whether a `USER` value means root: empty, `root`, `0`, or any of those with a group.
pub fn is_root_user(user: &str) -> bool {
    let u = user.trim();
    let name = u.split(':').next().unwrap_or(u).trim();
    name.is_empty() || name == "root" || name.trim_start_matches('0').is_empty()
}

/// The port number of an `EXPOSE` word (`80`, `80/tcp`, `8000-8010/udp` gives the range's
/// ends). `None` when the word is not a number (a variable, a typo).
pub fn ports(word: &str) -> Option<Vec<u64>> {
    let p = word.split('/').next().unwrap_or(word);
    p.split('-')
        .map(|n| n.trim().parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()
}

/// Whether a path is /proc, /sys or /dev or under them.
pub fn is_system_dir(path: &str) -> bool {
    let p = path.trim().trim_matches(|c| c == '"' || c == '\'');
    let p = p.trim_end_matches('/');
    ["/proc", "/sys", "/dev"]
        .iter()
        .any(|d| p == *d || p.starts_with(&format!("{d}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users() {
        for u in ["", "root", "0", "0:0", "root:staff", "00", " 0 "] {
            assert!(is_root_user(u), "{u:?}");
        }
        for u in ["app", "1000", "10001:0", "nobody"] {
            assert!(!is_root_user(u), "{u:?}");
        }
    }

    #[test]
    fn port_words() {
        assert_eq!(ports("80/tcp"), Some(vec![80]));
        assert_eq!(ports("8000-8010"), Some(vec![8000, 8010]));
        assert_eq!(ports("$PORT"), None);
        assert!(is_system_dir("/proc/sys"));
        assert!(!is_system_dir("/process"));
    }
}

use serde::{Deserialize, Serialize};

/// A distribution family; decides which advisory feed and version scheme apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    Alpine,
    Wolfi,
    Chainguard,
    Debian,
    Ubuntu,
    Redhat,
    Centos,
    Rocky,
    Alma,
    Fedora,
    Amazon,
    Oracle,
    Suse,
    Mariner,
    Azurelinux,
    Photon,
    /// An `ID=` drydock does not know; kept verbatim.
    #[serde(untagged)]
    Other(String),
}

impl OsFamily {
    /// Maps an os-release `ID` to a family.
    pub fn from_id(id: &str) -> OsFamily {
        match id.trim().to_ascii_lowercase().as_str() {
            "alpine" => OsFamily::Alpine,
            "wolfi" => OsFamily::Wolfi,
            "chainguard" => OsFamily::Chainguard,
            "debian" => OsFamily::Debian,
            "ubuntu" => OsFamily::Ubuntu,
            "rhel" | "redhat" => OsFamily::Redhat,
            "centos" => OsFamily::Centos,
            "rocky" => OsFamily::Rocky,
            "almalinux" | "alma" => OsFamily::Alma,
            "fedora" => OsFamily::Fedora,
            "amzn" | "amazon" => OsFamily::Amazon,
            "ol" | "oracle" => OsFamily::Oracle,
            "sles"
            | "sled"
            | "opensuse"
            | "opensuse-leap"
            | "opensuse-tumbleweed"
            | "suse"
            | "sle-micro" => OsFamily::Suse,
            "mariner" | "cbl-mariner" => OsFamily::Mariner,
            "azurelinux" => OsFamily::Azurelinux,
            "photon" => OsFamily::Photon,
            other => OsFamily::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            OsFamily::Alpine => "alpine",
            OsFamily::Wolfi => "wolfi",
            OsFamily::Chainguard => "chainguard",
            OsFamily::Debian => "debian",
            OsFamily::Ubuntu => "ubuntu",
            OsFamily::Redhat => "redhat",
            OsFamily::Centos => "centos",
            OsFamily::Rocky => "rocky",
            OsFamily::Alma => "alma",
            OsFamily::Fedora => "fedora",
            OsFamily::Amazon => "amazon",
            OsFamily::Oracle => "oracle",
            OsFamily::Suse => "suse",
            OsFamily::Mariner => "cbl-mariner",
            OsFamily::Azurelinux => "azurelinux",
            OsFamily::Photon => "photon",
            OsFamily::Other(s) => s,
        }
    }
}

impl std::fmt::Display for OsFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The distribution of an image: family and version (`alpine` `3.10.4`, `debian` `12.5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    pub family: OsFamily,
    pub version: String,
    /// `PRETTY_NAME` when os-release has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
}

impl Os {
    /// The version as advisory feeds key it: `3.10` for Alpine 3.10.4, `12` for Debian 12.5,
    /// `22.04` for Ubuntu, the major version for the Red Hat family.
    pub fn release(&self) -> String {
        let parts: Vec<&str> = self.version.split('.').collect();
        match self.family {
            OsFamily::Alpine | OsFamily::Ubuntu | OsFamily::Suse | OsFamily::Photon => {
                parts.iter().take(2).copied().collect::<Vec<_>>().join(".")
            }
            OsFamily::Wolfi | OsFamily::Chainguard => String::new(),
            _ => parts.first().copied().unwrap_or_default().to_string(),
        }
    }
}

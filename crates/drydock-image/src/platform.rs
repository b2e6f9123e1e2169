use crate::error::{ImageError, Result};

/// An image platform: `os/arch[/variant]`, as `--platform` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || ImageError::InvalidPlatform(s.to_string());
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: normalize_arch(arch),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: os.to_string(),
                    architecture: normalize_arch(arch),
                    variant: Some(variant.to_string()),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

fn normalize_arch(a: &str) -> String {
    match a {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        other => other.to_string(),
    }
}

impl Platform {
    /// Whether an image of `os/arch/variant` satisfies this request. A request without a
    /// variant accepts any variant; `arm64` without a variant equals `arm64/v8`.
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        if self.os != os || self.architecture != normalize_arch(arch) {
            return false;
        }
        match (&self.variant, variant) {
            (None, _) => true,
            (Some(want), Some(have)) => want == have,
            (Some(want), None) => self.architecture == "arm64" && want == "v8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let p: Platform = "linux/arm64/v8".parse().expect("valid");
        assert!(p.matches("linux", "arm64", None));
        assert!(p.matches("linux", "aarch64", Some("v8")));
        assert!(!p.matches("linux", "amd64", None));
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//".parse::<Platform>().is_err());
        assert_eq!(Platform::default().to_string(), "linux/amd64");
    }
}

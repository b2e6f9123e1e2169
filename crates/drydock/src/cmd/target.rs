//! Flags shared by the commands that read a target (`image`, `fs`, `sbom`), and opening it.

use anyhow::Context;
use clap::Args;
use drydock_image::{Limits, Platform, Target};
use drydock_inventory::InventoryResult;
use drydock_package::ScanWarning;
use drydock_scan::{Registry, TargetSpec};

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// What to scan: a docker-archive (`docker save` output, .tar or .tar.gz), an OCI layout
    /// directory (`LAYOUT` or `LAYOUT:TAG`), an OCI archive, a root filesystem tarball, a
    /// directory, or an image in a registry (`alpine`, `ghcr.io/org/app:1.0`,
    /// `host:5000/app@sha256:…`), pulled without a Docker daemon.
    #[arg(value_name = "TARGET", required_unless_present_any = ["input", "clear_cache", "reset"])]
    pub target: Option<String>,
    /// The target, as Trivy's `--input FILE` names an archive (the same as TARGET).
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub input: Option<String>,
    /// The platform to pick from a multi-platform image, as `os/arch[/variant]`.
    #[arg(
        long,
        value_name = "OS/ARCH",
        default_value = "linux/amd64",
        env = "DRYDOCK_PLATFORM"
    )]
    pub platform: String,
    /// The most a layer may expand to when decompressed (decompression-bomb bound), e.g. `32GiB`, `500MB`.
    #[arg(long, value_name = "SIZE", default_value = "32GiB", value_parser = parse_size)]
    pub max_layer_size: u64,
    /// The most all layers of an image may expand to together, each distinct layer counted
    /// once (also bounds inflating a compressed archive), e.g. `64GiB`.
    #[arg(long, value_name = "SIZE", default_value = "64GiB", value_parser = parse_size)]
    pub max_image_size: u64,
    /// What the target is, when detection should not decide: `docker-archive`, `oci` (a layout
    /// directory or an OCI archive) or `rootfs` (a root filesystem directory or tarball, even
    /// one that holds a `manifest.json`).
    #[arg(long, value_name = "KIND")]
    pub input_kind: Option<drydock_image::InputKind>,
    /// Files larger than this are not analysed (a warning says so).
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = parse_size)]
    pub max_file_size: u64,
    /// The most packages one file may yield (a dpkg status, an rpm database, a lockfile); a
    /// file with more is not read: an error for an OS database, a warning for a lockfile,
    /// e.g. `--max-packages 500000`.
    #[arg(
        long,
        value_name = "N",
        default_value_t = drydock_inventory::limit::MAX_PACKAGES_PER_FILE,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_packages: usize,
    /// The largest JSON or YAML document (`package-lock.json`, `pnpm-lock.yaml`,
    /// `composer.lock`, …) parsed whole, at several times its size in memory; a larger one is
    /// a warning, e.g. `--max-document-size 128MiB`.
    #[arg(long, value_name = "SIZE", default_value = "32MiB", value_parser = parse_size)]
    pub max_document_size: u64,
    /// Treat warnings (a malformed lockfile, a skipped file) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Where pulled images and the layer cache live (default `$XDG_CACHE_HOME/drydock`, else
    /// `~/.cache/drydock`).
    #[arg(
        long,
        value_name = "DIR",
        env = "DRYDOCK_CACHE_DIR",
        help_heading = "Cache"
    )]
    pub cache_dir: Option<std::path::PathBuf>,
    /// Read every layer: neither use nor fill the layer cache. Without it, a layer whose blob
    /// file is unchanged since drydock last verified it is not read again.
    #[arg(long, help_heading = "Cache")]
    pub no_cache: bool,
    /// Read and hash every layer blob the cache has not verified itself. Without it, a layer in
    /// a file drydock has not seen (another archive, a fresh pull) whose config `diff_id` was
    /// walked and verified before is taken from the cache, as Trivy does.
    #[arg(long, help_heading = "Cache", conflicts_with = "no_cache")]
    pub verify_layers: bool,
    /// Registry user name (else `DRYDOCK_USERNAME`, else Docker's `config.json` and helpers).
    #[arg(
        long,
        value_name = "USER",
        env = "DRYDOCK_USERNAME",
        help_heading = "Registry"
    )]
    pub username: Option<String>,
    /// Read the registry password from stdin (else `DRYDOCK_PASSWORD`).
    #[arg(long, requires = "username", help_heading = "Registry")]
    pub password_stdin: bool,
    /// Allow plain HTTP and HTTPS without certificate verification for the registry.
    #[arg(long, help_heading = "Registry")]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file for the registry.
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub registry_ca: Option<std::path::PathBuf>,
    /// Empty the image and layer caches and exit without scanning (Trivy's `--clear-cache`;
    /// the same as `drydock cache clean`).
    #[arg(long, help_heading = "Cache", conflicts_with_all = ["target", "input"])]
    pub clear_cache: bool,
    /// Empty the image and layer caches, remove the vulnerability DB, and exit without
    /// scanning (Trivy's `--reset`; the same as `drydock cache clean --all`).
    #[arg(long, help_heading = "Cache", conflicts_with_all = ["target", "input", "clear_cache"])]
    pub reset: bool,
    /// Bound the image cache and the layer cache each to this size after the scan; least
    /// recently used blobs and layer records go first.
    #[arg(long, value_name = "SIZE", env = "DRYDOCK_CACHE_MAX_SIZE", value_parser = parse_size, help_heading = "Cache")]
    pub cache_max_size: Option<u64>,
}

/// Parses `123`, `10KB`, `5MiB`, `32GiB`, `1G` (binary multiples for `K/M/G`, `Ki/Mi/Gi`,
/// decimal for `KB/MB/GB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size `{s}`"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "invalid size unit in `{s}` (use B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

/// Credentials given on the command line: `--username` with the password from stdin
/// (`--password-stdin`) or `DRYDOCK_PASSWORD`; `None` without a user name.
pub fn explicit_credentials(
    username: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<
    Option<(
        drydock_registry::Credentials,
        drydock_registry::CredentialSource,
    )>,
> {
    let Some(user) = username else {
        return Ok(None);
    };
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        std::env::var("DRYDOCK_PASSWORD").map_err(|_| {
            anyhow::anyhow!("a user name needs a password: --password-stdin or DRYDOCK_PASSWORD")
        })?
    };
    Ok(Some((
        drydock_registry::Credentials::new(user.to_string(), password),
        drydock_registry::CredentialSource::Explicit,
    )))
}

impl TargetArgs {
    /// Trivy's `--clear-cache` and `--reset`: empties the caches (and with `--reset` removes
    /// the DB at `db`), reporting to stderr. `true` when one was given: the command then stops
    /// without scanning, as Trivy does.
    pub fn clear_caches(&self, db: &super::db::DbPath) -> anyhow::Result<bool> {
        if !(self.clear_cache || self.reset) {
            return Ok(false);
        }
        let root = super::cache::CacheDir {
            cache_dir: self.cache_dir.clone(),
        }
        .root()?;
        super::cache::clean_scan_caches(&root, &mut std::io::stderr())?;
        if self.reset {
            super::cache::remove_db(db, &mut std::io::stderr())?;
        }
        Ok(true)
    }

    /// The resolved target settings the scan pipeline takes.
    pub fn spec(&self, platform_explicit: bool) -> anyhow::Result<TargetSpec> {
        if self.clear_cache || self.reset {
            anyhow::bail!(
                "`--clear-cache` and `--reset` empty the caches without scanning, with `drydock image` or `drydock fs`; here use `drydock cache clean` (`--all` for the DB too)"
            );
        }
        let platform: Platform = self.platform.parse()?;
        // The analyzers read their per-file bounds from the process (see `set_bounds`).
        drydock_inventory::limit::set_bounds(drydock_inventory::limit::Bounds {
            max_packages: self.max_packages,
            max_document_size: usize::try_from(self.max_document_size).unwrap_or(usize::MAX),
        });
        let credentials =
            super::target::explicit_credentials(self.username.as_deref(), self.password_stdin)?;
        let target = self
            .target
            .clone()
            .or_else(|| self.input.clone())
            .context("no TARGET given (or `--input FILE`)")?;
        Ok(TargetSpec {
            target,
            platform,
            platform_explicit,
            limits: Limits {
                max_layer_size: self.max_layer_size,
                max_image_size: self.max_image_size,
                max_file_size: self.max_file_size,
            },
            input_kind: self.input_kind,
            cache_dir: self.cache_dir.clone(),
            no_cache: self.no_cache,
            verify_layers: self.verify_layers,
            cache_max_size: self.cache_max_size,
            strict: self.strict,
            registry: Registry {
                credentials,
                insecure: self.insecure,
                ca_file: self.registry_ca.clone(),
            },
        })
    }
}

/// Opens and inventories the target; with `--strict`, warnings are errors.
pub fn inventory(
    args: &TargetArgs,
    platform_explicit: bool,
) -> anyhow::Result<(Target, InventoryResult)> {
    let spec = args.spec(platform_explicit)?;
    let target = drydock_scan::open(&spec)?;
    let result = drydock_scan::inventory(&spec, &target)?;
    Ok((target, result))
}

pub fn warnings_of(result: &InventoryResult) -> Vec<ScanWarning> {
    result.inventory.warnings.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("7"), Ok(7));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }
}

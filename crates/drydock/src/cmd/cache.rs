//! `drydock cache clean|prune|info`: the image cache registry pulls fill, and the layer cache
//! scans fill (`layers/`).

use std::process::ExitCode;

use clap::Subcommand;
use drydock_image::LayerCache;
use drydock_registry::Cache;

use super::target::parse_size;

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Empty the image cache and the layer cache (the vulnerability DB stays).
    Clean,
    /// Remove least recently used blobs until the image cache is at most SIZE, and least
    /// recently used layer records until the layer cache is at most SIZE.
    Prune {
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: u64,
    },
    /// Show where the image and layer caches are and how large they are.
    Info,
}

pub fn run(c: CacheCommand) -> anyhow::Result<ExitCode> {
    let cache = Cache::open(Cache::default_root()?)?;
    let layers = LayerCache::new(cache.root().join("layers"));
    match c {
        CacheCommand::Clean => {
            let r = cache.clean()?;
            println!(
                "removed {} blobs ({} bytes) and {} layouts from `{}`",
                r.blobs,
                r.bytes,
                r.layouts,
                cache.root().display()
            );
            let l = layers.clean()?;
            println!(
                "removed {} layer cache records ({} bytes) from `{}`",
                l.files,
                l.bytes,
                layers.root().display()
            );
        }
        CacheCommand::Prune { max_size } => {
            let r = cache.prune(max_size)?;
            println!(
                "removed {} blobs ({} bytes) and {} layouts; {} bytes left",
                r.blobs,
                r.bytes,
                r.layouts,
                cache.size()?
            );
            let l = layers.prune(max_size)?;
            println!(
                "removed {} layer cache records ({} bytes); {} bytes left",
                l.files,
                l.bytes,
                layers.usage()?.bytes
            );
        }
        CacheCommand::Info => {
            println!("{}\t{} bytes", cache.root().display(), cache.size()?);
            let l = layers.usage()?;
            println!(
                "{}\t{} bytes in {} records",
                layers.root().display(),
                l.bytes,
                l.files
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

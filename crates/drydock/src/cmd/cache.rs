//! `drydock cache clean|prune|info`: the image cache registry pulls fill.

use std::process::ExitCode;

use clap::Subcommand;
use drydock_registry::Cache;

use super::target::parse_size;

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Empty the image cache (pulled blobs and layouts; the vulnerability DB stays).
    Clean,
    /// Remove least recently used blobs until the cache is at most SIZE.
    Prune {
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: u64,
    },
    /// Show where the image cache is and how large it is.
    Info,
}

pub fn run(c: CacheCommand) -> anyhow::Result<ExitCode> {
    let cache = Cache::open(Cache::default_root()?)?;
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
        }
        CacheCommand::Info => {
            println!("{}\t{} bytes", cache.root().display(), cache.size()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! Reading what the layer walk does not hand out: the image config document, and, for the
//! rare secret hidden by a later layer, which lower layer still holds it.
//!
//! drydock-image reads the config but keeps only a few fields; until it exposes the
//! document, this module finds the config blob by its digest in the layout directory or
//! archive the target was opened from, and checks that digest.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::Error;

/// Largest config document read.
const MAX_CONFIG: u64 = 16 << 20;

/// The path part of a target argument (`LAYOUT:TAG` → `LAYOUT`).
pub fn source_path(target: &str) -> PathBuf {
    let p = Path::new(target);
    if p.exists() {
        return p.to_path_buf();
    }
    match target.rsplit_once(':') {
        Some((head, _)) if Path::new(head).exists() => PathBuf::from(head),
        _ => p.to_path_buf(),
    }
}

fn open_maybe_compressed(path: &Path) -> io::Result<Box<dyn Read>> {
    let mut r = BufReader::new(File::open(path)?);
    let head = r.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::Decoder::with_buffer(r)?)
    } else {
        Box::new(r)
    })
}

fn clean(name: &Path) -> String {
    name.to_string_lossy()
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// Reads the config blob `digest` (`sha256:…`) from an OCI layout directory, a
/// docker-archive or an OCI archive at `path`, and checks its digest.
pub fn read_config(path: &Path, digest: &str) -> Result<serde_json::Value, Error> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let io_err = |e: io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let bytes = if path.is_dir() {
        let blob = path.join("blobs/sha256").join(hex);
        let mut b = Vec::new();
        File::open(&blob)
            .map_err(io_err)?
            .take(MAX_CONFIG)
            .read_to_end(&mut b)
            .map_err(io_err)?;
        Some(b)
    } else {
        let mut archive = tar::Archive::new(open_maybe_compressed(path).map_err(io_err)?);
        let mut found = None;
        for entry in archive.entries().map_err(io_err)? {
            let mut entry = entry.map_err(io_err)?;
            let name = clean(&entry.path().map_err(io_err)?);
            let base = name.rsplit('/').next().unwrap_or(&name);
            if base == hex || base == format!("{hex}.json") {
                let mut b = Vec::new();
                (&mut entry)
                    .take(MAX_CONFIG)
                    .read_to_end(&mut b)
                    .map_err(io_err)?;
                found = Some(b);
                break;
            }
        }
        found
    };
    let bytes = bytes.ok_or_else(|| Error::Config {
        path: path.to_path_buf(),
        reason: format!("config blob `{digest}` not found"),
    })?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != hex {
        return Err(Error::Config {
            path: path.to_path_buf(),
            reason: format!("config blob `{digest}` has digest `sha256:{actual}`"),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        reason: format!("config `{digest}` is not JSON: {e}"),
    })
}

/// One layer as the locator needs it.
#[derive(Debug, Clone)]
pub struct LayerKey {
    pub blob_digest: Option<String>,
}

/// For each wanted `(path, sha256)`, the lowest layer index whose tar holds that path with
/// that content. Reads layers in order, stops when all are found. Used only for secrets a
/// later layer hid, so its cost is paid only when there is something to report.
pub fn locate(
    path: &Path,
    layers: &[LayerKey],
    wanted: &[(String, [u8; 32])],
    max_file: u64,
) -> Result<BTreeMap<(String, [u8; 32]), usize>, Error> {
    let mut found = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(found);
    }
    let io_err = |e: io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let scan_layer =
        |i: usize, r: Box<dyn Read + '_>, found: &mut BTreeMap<_, _>| -> io::Result<()> {
            let mut inner = BufReader::new(r);
            let head = inner.fill_buf()?;
            let r: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
                Box::new(flate2::read::MultiGzDecoder::new(inner))
            } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                Box::new(zstd::Decoder::with_buffer(inner)?)
            } else {
                Box::new(inner)
            };
            let mut tar = tar::Archive::new(r);
            for e in tar.entries()? {
                let mut e = e?;
                let name = clean(&e.path()?);
                if e.header().entry_type() != tar::EntryType::Regular
                    || e.size() > max_file
                    || !wanted.iter().any(|(p, _)| *p == name)
                {
                    continue;
                }
                let mut b = Vec::new();
                e.read_to_end(&mut b)?;
                let sha: [u8; 32] = Sha256::digest(&b).into();
                if wanted.iter().any(|(p, s)| *p == name && *s == sha) {
                    found
                        .entry((name, sha))
                        .and_modify(|v: &mut usize| *v = (*v).min(i))
                        .or_insert(i);
                }
            }
            Ok(())
        };
    if path.is_dir() {
        for (i, l) in layers.iter().enumerate() {
            let Some(d) = &l.blob_digest else { continue };
            let blob = path
                .join("blobs/sha256")
                .join(d.strip_prefix("sha256:").unwrap_or(d));
            let f = File::open(&blob).map_err(io_err)?;
            scan_layer(i, Box::new(f), &mut found).map_err(io_err)?;
            if found.len() == wanted.len() {
                break;
            }
        }
        return Ok(found);
    }
    // An archive: docker-archive's manifest.json names the layer entries in order; OCI
    // archives and newer docker-archives store them as blobs/sha256/<hex>.
    let mut names: Vec<Option<String>> = layers
        .iter()
        .map(|l| {
            l.blob_digest
                .as_ref()
                .map(|d| format!("blobs/sha256/{}", d.strip_prefix("sha256:").unwrap_or(d)))
        })
        .collect();
    {
        let mut archive = tar::Archive::new(open_maybe_compressed(path).map_err(io_err)?);
        for entry in archive.entries().map_err(io_err)? {
            let mut entry = entry.map_err(io_err)?;
            if clean(&entry.path().map_err(io_err)?) == "manifest.json" {
                let mut b = Vec::new();
                (&mut entry)
                    .take(MAX_CONFIG)
                    .read_to_end(&mut b)
                    .map_err(io_err)?;
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b)
                    && let Some(ls) = v
                        .get(0)
                        .and_then(|m| m.get("Layers"))
                        .and_then(|l| l.as_array())
                    && ls.len() == layers.len()
                {
                    names = ls
                        .iter()
                        .map(|l| l.as_str().map(|s| s.trim_start_matches("./").to_string()))
                        .collect();
                }
                break;
            }
        }
    }
    let mut archive = tar::Archive::new(open_maybe_compressed(path).map_err(io_err)?);
    for entry in archive.entries().map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let name = clean(&entry.path().map_err(io_err)?);
        if let Some(i) = names
            .iter()
            .position(|n| n.as_deref() == Some(name.as_str()))
        {
            scan_layer(i, Box::new(entry), &mut found).map_err(io_err)?;
        }
    }
    Ok(found)
}

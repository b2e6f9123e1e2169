//! A directory as a single layer: a checkout, or an unpacked root filesystem. Symlinks are
//! never followed on disk; wanted links are resolved inside the directory like image links.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{ImageError, Result};
use crate::walk::LayerWalk;
use crate::{EntryKind, FileMeta, FileVisitor, LayerInfo, Limits, Scan, WalkWarning};

pub(crate) fn scan<V: FileVisitor>(
    root: &Path,
    visitor: &V,
    limits: &Limits,
) -> Result<Scan<V::Output>> {
    let mut walk = LayerWalk::empty();
    let root_dev = fs::metadata(root)
        .map_err(|e| ImageError::io(root, e))?
        .dev();
    let mut stack = vec![String::new()];
    let mut buf = Vec::new();
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if rel.is_empty() => return Err(ImageError::io(&dir, e)),
            Err(e) => {
                walk.warnings.push(WalkWarning {
                    path: rel.clone(),
                    message: format!("cannot list: {e}"),
                });
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = fs::symlink_metadata(entry.path()) else {
                continue;
            };
            walk.paths.insert(path.clone());
            let ft = meta.file_type();
            if ft.is_dir() {
                // Stay on one filesystem (no /proc, /sys when scanning `/`).
                if meta.dev() == root_dev && !visitor.skip_dir(&path) {
                    stack.push(path);
                }
            } else if ft.is_symlink() {
                let target = fs::read_link(entry.path())
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let fm = FileMeta {
                    size: 0,
                    mode: 0o777,
                    kind: EntryKind::Symlink,
                };
                if visitor.wants(&path, &fm) {
                    walk.wanted_links.push((path.clone(), fm));
                }
                walk.symlinks.insert(path, target);
            } else if ft.is_file() {
                let fm = FileMeta {
                    size: meta.len(),
                    mode: meta.permissions().mode(),
                    kind: EntryKind::File,
                };
                if !visitor.wants(&path, &fm) {
                    continue;
                }
                if meta.len() > limits.max_file_size {
                    walk.warnings.push(WalkWarning {
                        path: path.clone(),
                        message: format!(
                            "skipped: {} bytes is over the {} byte bound for analysed files",
                            meta.len(),
                            limits.max_file_size
                        ),
                    });
                    continue;
                }
                match read_bounded(&entry.path(), limits.max_file_size, &mut buf) {
                    Ok(()) => {
                        walk.size += buf.len() as u64;
                        let out = visitor.visit(&path, &fm, &buf);
                        walk.files.push((path, out));
                    }
                    Err(e) => walk.warnings.push(WalkWarning {
                        path,
                        message: format!("cannot read: {e}"),
                    }),
                }
            }
        }
    }
    let layers = vec![LayerInfo {
        index: 0,
        digest: None,
        diff_id: None,
        media_type: None,
        created_by: None,
        size: walk.size,
        from_cache: false,
    }];
    crate::finish(vec![walk], layers, |_, wanted| {
        let mut out = Vec::new();
        for (target, aliases) in wanted {
            // `target` is resolved through our own symlink map, so no component is a link.
            if read_bounded(&root.join(target), limits.max_file_size, &mut buf).is_ok() {
                for (alias, meta) in aliases {
                    let meta = FileMeta {
                        size: buf.len() as u64,
                        ..*meta
                    };
                    out.push((alias.clone(), visitor.visit(alias, &meta, &buf)));
                }
            }
        }
        Ok(out)
    })
}

fn read_bounded(path: &Path, limit: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let f = fs::File::open(path)?;
    f.take(limit + 1).read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::other("over the size bound"));
    }
    Ok(())
}

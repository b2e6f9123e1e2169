//! A directory as a single layer: a checkout, or an unpacked root filesystem. Symlinks are
//! never followed on disk; wanted links are resolved inside the directory like image links.
//! Only regular files are opened, non-blocking and without following a final symlink, so a
//! FIFO or device put where a wanted file should be is skipped, never waited on. Paths longer
//! than `PATH_MAX` cannot be opened by path; they are counted in one warning, not skipped
//! silently.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{ImageError, Result};
use crate::walk::{LayerWalk, PathMeta};
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
    // Entries whose full path is too long to stat or open: (count, first path).
    let mut too_long: (u64, Option<String>) = (0, None);
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
            // `DirEntry::metadata` stats relative to the open directory, so it works whatever
            // the path's length; opening by path does not.
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    walk.warnings.push(WalkWarning {
                        path: path.clone(),
                        message: format!("cannot stat: {e}"),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if path.len() + root.as_os_str().len() >= crate::merge::MAX_PATH {
                too_long.0 += 1;
                too_long.1.get_or_insert(path);
                continue;
            }
            walk.paths.insert(
                path.clone(),
                if ft.is_dir() {
                    PathMeta::Dir
                } else if ft.is_file() {
                    PathMeta::File(FileMeta {
                        size: meta.len(),
                        mode: meta.permissions().mode(),
                        kind: EntryKind::File,
                    })
                } else {
                    PathMeta::Other
                },
            );
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
    if let (n, Some(first)) = too_long {
        // A directory past the bound is not walked: what is under it is not counted one by one.
        walk.warnings.push(WalkWarning {
            path: crate::text::shown_max(&first, 120).into_owned(),
            message: format!(
                "{n} path(s) longer than PATH_MAX ({} bytes) were not read, nor anything under \
                 them (this is the first, cut)",
                crate::merge::MAX_PATH
            ),
        });
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
    crate::finish(visitor, vec![walk], layers, |_, wanted| {
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

/// Reads a regular file, at most `limit` bytes. Opened non-blocking and without following a
/// final symlink, then checked: a FIFO, socket or device is refused, never read or waited on.
fn read_bounded(path: &Path, limit: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use rustix::fs::{FileType, Mode, OFlags};
    buf.clear();
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(std::io::Error::other("not a regular file"));
    }
    // Sized at once (growing by doubling could reserve twice the file).
    buf.reserve_exact(usize::try_from(st.st_size.clamp(0, limit as i64)).unwrap_or(0));
    let f = fs::File::from(fd);
    f.take(limit + 1).read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::other("over the size bound"));
    }
    Ok(())
}

//! Applying layers in order: whiteouts and opaque directories hide lower content; a path
//! written again replaces what was below it.

use std::collections::{BTreeMap, HashSet};

use crate::FileMeta;

use crate::walk::{LayerWalk, PathMeta};

/// What is visible at a path in the merged view.
#[derive(Debug)]
pub(crate) enum Node<O> {
    /// A regular file written by `layer`; `output` is `Some` when the visitor read it.
    File {
        layer: usize,
        output: Option<O>,
    },
    Symlink {
        layer: usize,
        target: String,
    },
    Hardlink {
        layer: usize,
        target: String,
    },
    /// Anything else (a file not read, a directory, a device), with what it is.
    Other {
        layer: usize,
        meta: PathMeta,
    },
}

impl<O> Node<O> {
    pub fn layer(&self) -> usize {
        match self {
            Node::File { layer, .. }
            | Node::Symlink { layer, .. }
            | Node::Hardlink { layer, .. }
            | Node::Other { layer, .. } => *layer,
        }
    }
}

/// Removes `dir` itself (when `with_self`) and everything below it.
fn remove_tree<O>(map: &mut BTreeMap<String, Node<O>>, dir: &str, with_self: bool) {
    if dir.is_empty() {
        map.clear();
        return;
    }
    if with_self {
        map.remove(dir);
    }
    let prefix = format!("{dir}/");
    let keys: Vec<String> = map
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        map.remove(&k);
    }
}

/// Merges walked layers (in order) into the visible tree.
pub(crate) fn merge<O>(
    layers: Vec<LayerWalk<O>>,
) -> (BTreeMap<String, Node<O>>, Vec<LayerWalk<O>>) {
    let mut tree: BTreeMap<String, Node<O>> = BTreeMap::new();
    let mut rest = Vec::with_capacity(layers.len());
    for (i, mut layer) in layers.into_iter().enumerate() {
        for dir in &layer.opaque_dirs {
            remove_tree(&mut tree, dir, false);
        }
        for path in &layer.whiteouts {
            remove_tree(&mut tree, path, true);
        }
        // A path written again replaces the lower entry; directories merge.
        for path in layer.paths.keys() {
            if let Some(node) = tree.get(path)
                && node.layer() < i
            {
                tree.remove(path);
            }
        }
        for (path, meta) in layer.paths.drain() {
            tree.entry(path).or_insert(Node::Other { layer: i, meta });
        }
        for (path, output) in layer.files.drain(..) {
            tree.insert(
                path,
                Node::File {
                    layer: i,
                    output: Some(output),
                },
            );
        }
        for (path, target) in std::mem::take(&mut layer.symlinks) {
            tree.insert(path, Node::Symlink { layer: i, target });
        }
        for (path, target) in std::mem::take(&mut layer.hardlinks) {
            tree.insert(path, Node::Hardlink { layer: i, target });
        }
        rest.push(layer);
    }
    (tree, rest)
}

/// The most symlinks one resolution follows (Linux's limit).
pub(crate) const MAX_LINK_HOPS: usize = 40;

/// The longest path or link target kept (Linux's `PATH_MAX`): a longer one cannot be opened on
/// a running system, and bounding it keeps resolution linear.
pub(crate) const MAX_PATH: usize = 4096;

/// Why a path could not be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// More than [`MAX_LINK_HOPS`] links: a loop, or a chain made to be one.
    Loop,
    /// A link target or the resolved path is longer than [`MAX_PATH`].
    TooLong,
}

/// Resolves `path` inside the image root through the merged symlinks: absolute targets are
/// relative to the image root and `..` never climbs above it. Linear in the bytes looked at,
/// which are bounded by [`MAX_LINK_HOPS`] links of at most [`MAX_PATH`] bytes each.
pub(crate) fn resolve<O>(
    tree: &BTreeMap<String, Node<O>>,
    path: &str,
) -> Result<String, Unresolved> {
    if path.len() > MAX_PATH {
        return Err(Unresolved::TooLong);
    }
    // Components still to walk, last first, so a link's target is pushed in front cheaply.
    let mut pending: Vec<&str> = path.rsplit('/').collect();
    // The resolved prefix, and where each of its components starts.
    let mut out = String::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        match comp {
            "" | "." => continue,
            ".." => {
                if let Some(s) = starts.pop() {
                    out.truncate(s);
                }
                continue;
            }
            _ => {}
        }
        let start = out.len();
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(comp);
        if out.len() > MAX_PATH {
            return Err(Unresolved::TooLong);
        }
        if let Some(Node::Symlink { target, .. }) = tree.get(&out) {
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(Unresolved::Loop);
            }
            if target.len() > MAX_PATH {
                return Err(Unresolved::TooLong);
            }
            out.truncate(start);
            if target.starts_with('/') {
                out.clear();
                starts.clear();
            }
            pending.extend(target.rsplit('/'));
        } else {
            starts.push(start);
        }
    }
    Ok(out)
}

/// The most tree paths [`through_dir_links`] looks at: enough for every directory symlink of a
/// real image many times over, while a tree of links to `/` cannot make it run for long.
pub(crate) const ALIAS_BUDGET: usize = 4 << 20;

/// How many directory symlinks deep an alias may go (`lib` → `usr/lib`, then
/// `usr/lib/apk` → `/opt/apk` is two).
const ALIAS_DEPTH: usize = 8;

/// A wanted path that exists only through a directory symlink, and the file it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Alias {
    pub path: String,
    pub real: String,
    pub layer: usize,
    pub meta: FileMeta,
}

#[derive(Debug, Default)]
pub(crate) struct Through {
    pub aliases: Vec<Alias>,
    /// [`ALIAS_BUDGET`] ran out before every directory symlink was looked through.
    pub budget_spent: bool,
}

/// The directory a symlink at `path` leads to, inside the root, if it leads to one.
fn dir_target<O>(tree: &BTreeMap<String, Node<O>>, path: &str) -> Option<String> {
    let target = resolve(tree, path).ok()?;
    if target.is_empty() {
        return Some(target); // the root
    }
    let is_dir = matches!(
        tree.get(&target),
        Some(Node::Other {
            meta: PathMeta::Dir,
            ..
        })
    ) || tree
        .range(format!("{target}/")..)
        .next()
        .is_some_and(|(k, _)| {
            k.starts_with(&target) && k.as_bytes().get(target.len()) == Some(&b'/')
        });
    is_dir.then_some(target)
}

/// Finds files that were not read under their own path but are wanted under a path that
/// reaches them through directory symlinks, as the merged filesystem would show them: an apk
/// database under `lib/apk` → `../opt/apk`, or under `lib/` in a merged-/usr image whose real
/// files are in `usr/lib/`. A file is visited under its first wanted alias only, so a package
/// is never counted twice.
pub(crate) fn through_dir_links<O>(
    tree: &BTreeMap<String, Node<O>>,
    wants: impl Fn(&str, &FileMeta) -> bool,
) -> Through {
    let mut work: Vec<(String, String, usize)> = tree
        .iter()
        .filter(|(_, n)| matches!(n, Node::Symlink { .. }))
        .filter_map(|(p, _)| dir_target(tree, p).map(|d| (p.clone(), d, 1)))
        .collect();
    work.reverse(); // popped in path order
    let mut out = Through::default();
    let mut aliased: HashSet<&str> = HashSet::new();
    let mut looked = 0usize;
    'work: while let Some((alias_dir, real_dir, depth)) = work.pop() {
        let prefix = if real_dir.is_empty() {
            String::new()
        } else {
            format!("{real_dir}/")
        };
        for (key, node) in tree.range(prefix.clone()..) {
            if !key.starts_with(&prefix) {
                break;
            }
            looked += 1;
            if looked > ALIAS_BUDGET {
                out.budget_spent = true;
                break 'work;
            }
            let alias = format!("{alias_dir}/{}", &key[prefix.len()..]);
            if alias.len() > MAX_PATH || tree.contains_key(&alias) {
                continue;
            }
            match node {
                Node::Other {
                    layer,
                    meta: PathMeta::File(meta),
                } if !aliased.contains(key.as_str()) && wants(&alias, meta) => {
                    aliased.insert(key);
                    out.aliases.push(Alias {
                        path: alias,
                        real: key.clone(),
                        layer: *layer,
                        meta: *meta,
                    });
                }
                Node::Symlink { .. } if depth < ALIAS_DEPTH => {
                    if let Some(d) = dir_target(tree, key) {
                        work.push((alias, d, depth + 1));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(t: &str) -> Node<()> {
        Node::Symlink {
            layer: 0,
            target: t.to_string(),
        }
    }

    #[test]
    fn resolves_inside_root() {
        let mut tree = BTreeMap::new();
        tree.insert("etc/os-release".to_string(), link("../usr/lib/os-release"));
        tree.insert("lib".to_string(), link("usr/lib"));
        tree.insert("etc/passwd-link".to_string(), link("/etc/passwd"));
        tree.insert("escape".to_string(), link("../../../../etc/shadow"));
        tree.insert("a".to_string(), link("b"));
        tree.insert("b".to_string(), link("a"));
        let ok = |p: &str| resolve(&tree, p).ok();
        assert_eq!(ok("etc/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(ok("lib/x/y").as_deref(), Some("usr/lib/x/y"));
        assert_eq!(ok("etc/passwd-link").as_deref(), Some("etc/passwd"));
        assert_eq!(ok("escape").as_deref(), Some("etc/shadow"));
        assert_eq!(resolve(&tree, "a"), Err(Unresolved::Loop));
    }

    /// Issue 14 case 5: a link target of 300,000 components took minutes (quadratic). Now a
    /// target past `PATH_MAX` is refused, and resolution is linear in what it looks at.
    #[test]
    fn issue14_long_link_targets_are_bounded() {
        let mut tree = BTreeMap::new();
        tree.insert("huge".to_string(), link(&"a/".repeat(150_000)));
        assert_eq!(resolve(&tree, "huge/x"), Err(Unresolved::TooLong));
        // 40 hops, each a maximal target of `../` and `./` components.
        let filler = "./".repeat((MAX_PATH - 8) / 2);
        for i in 0..MAX_LINK_HOPS {
            tree.insert(format!("l{i}"), link(&format!("{filler}l{}", i + 1)));
        }
        tree.insert(
            format!("l{MAX_LINK_HOPS}"),
            Node::Other {
                layer: 0,
                meta: PathMeta::Dir,
            },
        );
        assert_eq!(
            resolve(&tree, "l0").as_deref(),
            Ok(&*format!("l{MAX_LINK_HOPS}"))
        );
        tree.insert(format!("l{MAX_LINK_HOPS}"), link("l0"));
        assert_eq!(resolve(&tree, "l0"), Err(Unresolved::Loop));
    }
}

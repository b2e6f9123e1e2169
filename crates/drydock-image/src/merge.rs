//! Applying layers in order: whiteouts and opaque directories hide lower content; a path
//! written again replaces what was below it.

use std::collections::BTreeMap;

use crate::walk::LayerWalk;

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
    Other {
        layer: usize,
    },
}

impl<O> Node<O> {
    pub fn layer(&self) -> usize {
        match self {
            Node::File { layer, .. }
            | Node::Symlink { layer, .. }
            | Node::Hardlink { layer, .. }
            | Node::Other { layer } => *layer,
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
        for path in &layer.paths {
            if let Some(node) = tree.get(path)
                && node.layer() < i
            {
                tree.remove(path);
            }
        }
        for path in layer.paths.drain() {
            tree.entry(path).or_insert(Node::Other { layer: i });
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

/// Resolves `path` inside the image root through the merged symlinks: absolute targets are
/// relative to the image root and `..` never climbs above it. Returns `None` on a loop
/// (more than 40 links, as Linux's limit).
pub(crate) fn resolve<O>(tree: &BTreeMap<String, Node<O>>, path: &str) -> Option<String> {
    let mut queue: std::collections::VecDeque<String> =
        path.split('/').map(str::to_string).collect();
    let mut out: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(comp) = queue.pop_front() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => {}
        }
        let mut candidate = out.join("/");
        if !candidate.is_empty() {
            candidate.push('/');
        }
        candidate.push_str(&comp);
        if let Some(Node::Symlink { target, .. }) = tree.get(&candidate) {
            hops += 1;
            if hops > 40 {
                return None;
            }
            if target.starts_with('/') {
                out.clear();
            }
            for c in target.split('/').rev() {
                queue.push_front(c.to_string());
            }
        } else {
            out.push(comp);
        }
    }
    Some(out.join("/"))
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
        assert_eq!(
            resolve(&tree, "etc/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(resolve(&tree, "lib/x/y").as_deref(), Some("usr/lib/x/y"));
        assert_eq!(
            resolve(&tree, "etc/passwd-link").as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(resolve(&tree, "escape").as_deref(), Some("etc/shadow"));
        assert_eq!(resolve(&tree, "a"), None);
    }
}

//! Two visitors in one walk: every layer is read, inflated and hashed once, and each entry is
//! offered to both (the vulnerability inventory and the misconfiguration/secret checks share
//! the walk this way).

use crate::{FileMeta, FileVisitor, FoundFile, Scan};

/// Walks with `first` and `second` at once. An entry is read when either wants it, and each
/// visitor's `visit` is called only for entries that visitor wants — so `wants` is asked again
/// at visit time and must give the same answer for the same path and metadata (keep it free
/// of effects that must happen once). [`Scan::unzip`] splits the result back in two.
///
/// The pair has no [`FileVisitor::cache_key`]: its walks are never cached.
#[derive(Debug)]
pub struct Pair<'a, A, B> {
    pub first: &'a A,
    pub second: &'a B,
}

impl<'a, A, B> Pair<'a, A, B> {
    pub fn new(first: &'a A, second: &'a B) -> Self {
        Pair { first, second }
    }
}

impl<A: FileVisitor, B: FileVisitor> FileVisitor for Pair<'_, A, B> {
    type Output = (Option<A::Output>, Option<B::Output>);

    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        // Both are asked (no short circuit): each may note what it sees.
        let a = self.first.wants(path, meta);
        let b = self.second.wants(path, meta);
        a || b
    }

    fn visit(&self, path: &str, meta: &FileMeta, content: &[u8]) -> Self::Output {
        (
            self.first
                .wants(path, meta)
                .then(|| self.first.visit(path, meta, content)),
            self.second
                .wants(path, meta)
                .then(|| self.second.visit(path, meta, content)),
        )
    }

    /// A directory is skipped only when neither wants anything in it.
    fn skip_dir(&self, path: &str) -> bool {
        self.first.skip_dir(path) && self.second.skip_dir(path)
    }
}

impl<A, B> Scan<(Option<A>, Option<B>)> {
    /// Splits a [`Pair`] walk into each visitor's scan: the files each visited, the layers and
    /// the walk warnings in both.
    pub fn unzip(self) -> (Scan<A>, Scan<B>) {
        let mut first = Vec::new();
        let mut second = Vec::new();
        for f in self.files {
            let (a, b) = f.output;
            if let Some(output) = a {
                first.push(FoundFile {
                    path: f.path.clone(),
                    layer: f.layer,
                    output,
                });
            }
            if let Some(output) = b {
                second.push(FoundFile {
                    path: f.path,
                    layer: f.layer,
                    output,
                });
            }
        }
        (
            Scan {
                files: first,
                layers: self.layers.clone(),
                warnings: self.warnings.clone(),
            },
            Scan {
                files: second,
                layers: self.layers,
                warnings: self.warnings,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntryKind;

    struct Named(&'static str);
    impl FileVisitor for Named {
        type Output = String;
        fn wants(&self, path: &str, _: &FileMeta) -> bool {
            path.ends_with(self.0)
        }
        fn visit(&self, path: &str, _: &FileMeta, content: &[u8]) -> String {
            format!("{}:{path}:{}", self.0, content.len())
        }
    }

    #[test]
    fn each_visitor_sees_only_what_it_wants() {
        let (a, b) = (Named("passwd"), Named("shadow"));
        let pair = Pair::new(&a, &b);
        let meta = FileMeta {
            size: 3,
            mode: 0o644,
            kind: EntryKind::File,
        };
        assert!(pair.wants("etc/passwd", &meta));
        assert!(pair.wants("etc/shadow", &meta));
        assert!(!pair.wants("etc/group", &meta));
        let out = pair.visit("etc/shadow", &meta, b"abc");
        assert_eq!(out, (None, Some("shadow:etc/shadow:3".to_string())));
        let scan = Scan {
            files: vec![
                FoundFile {
                    path: "etc/passwd".into(),
                    layer: 0,
                    output: pair.visit("etc/passwd", &meta, b"x"),
                },
                FoundFile {
                    path: "etc/shadow".into(),
                    layer: 1,
                    output: out,
                },
            ],
            layers: Vec::new(),
            warnings: Vec::new(),
        };
        let (sa, sb) = scan.unzip();
        assert_eq!(sa.files.len(), 1);
        assert_eq!(sa.files[0].path, "etc/passwd");
        assert_eq!(sb.files.len(), 1);
        assert_eq!(sb.files[0].layer, 1);
    }
}

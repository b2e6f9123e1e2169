//! sha256 digests and a reader that hashes what passes through it.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::error::{ImageError, Result};

/// A content digest as OCI writes it: `sha256:<64 hex>`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl TryFrom<String> for Digest {
    type Error = ImageError;
    fn try_from(s: String) -> Result<Digest> {
        Digest::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.0
    }
}

impl Digest {
    /// Parses `sha256:<hex>`; other algorithms are refused (drydock must be able to verify).
    pub fn parse(s: &str) -> Result<Digest> {
        match s.split_once(':') {
            Some(("sha256", hex))
                if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Ok(Digest(s.to_ascii_lowercase()))
            }
            _ => Err(ImageError::UnsupportedDigest(s.to_string())),
        }
    }

    pub fn from_sha256(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", hex::encode(bytes)))
    }

    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_sha256(&Sha256::digest(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex part, as blob file names use it.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or(&self.0, |(_, h)| h)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hashes (and counts) every byte read through it.
/// Hashing can be off, to count only (an uncompressed layer's two digests are the same).
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R, hash: bool) -> Self {
        HashingReader {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
        }
    }

    pub fn finish(self) -> (Option<Digest>, u64) {
        (
            self.hasher.map(|h| Digest::from_sha256(&h.finalize())),
            self.count,
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Fails with `ErrorKind::FileTooLarge`-like error once more than `limit` bytes pass.
pub(crate) struct LimitReader<R> {
    inner: R,
    remaining: u64,
}

/// Marker payload of the io::Error a [`LimitReader`] returns, so callers can tell a bomb from
/// a genuine I/O failure.
#[derive(Debug)]
pub(crate) struct LimitExceeded;

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("size limit exceeded")
    }
}
impl std::error::Error for LimitExceeded {}

pub(crate) fn is_limit_exceeded(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LimitExceeded>())
}

impl<R: Read> LimitReader<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        LimitReader {
            inner,
            remaining: limit,
        }
    }
}

impl<R: Read> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::other(LimitExceeded));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Uncompressed bytes all layers of one image may expand to together, shared by the threads
/// that walk them.
#[derive(Debug)]
pub(crate) struct Budget {
    used: std::sync::atomic::AtomicU64,
    limit: u64,
}

/// Marker payload of the io::Error a [`Budget`] trips with.
#[derive(Debug)]
pub(crate) struct BudgetSpent;

impl std::fmt::Display for BudgetSpent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("image size limit exceeded")
    }
}
impl std::error::Error for BudgetSpent {}

pub(crate) fn is_budget_spent(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BudgetSpent>())
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            used: std::sync::atomic::AtomicU64::new(0),
            limit,
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    fn spend(&self, n: u64) -> io::Result<()> {
        let before = self.used.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        if before.saturating_add(n) > self.limit {
            return Err(io::Error::other(BudgetSpent));
        }
        Ok(())
    }
}

/// Charges every byte read through it to a [`Budget`].
pub(crate) struct BudgetReader<'a, R> {
    pub inner: R,
    pub budget: &'a Budget,
}

impl<R: Read> Read for BudgetReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.spend(n as u64)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_digest() {
        let d = Digest::of(b"");
        assert_eq!(
            d.hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(d.as_str()).ok(), Some(d));
        assert!(Digest::parse("sha512:abcd").is_err());
        assert!(Digest::parse("sha256:../../etc/passwd").is_err());
    }

    #[test]
    fn limit_reader_stops() {
        let data = [0u8; 100];
        let mut r = LimitReader::new(&data[..], 10);
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).expect_err("limit must trip");
        assert!(is_limit_exceeded(&err));
    }
}

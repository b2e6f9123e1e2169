//! ECDSA P-256 keys in the files users have: a PKCS#8 PEM private key (`openssl genpkey
//! -algorithm EC -pkeyopt ec_paramgen_curve:P-256`), a SEC1 one (`openssl ecparam -genkey`),
//! and an SPKI PEM public key (the shape of cosign's `cosign.pub`).
//!
//! Signatures are SHA-256 ECDSA with RFC 6979 nonces, so the same key and message always give
//! the same bytes; they are written as ASN.1 DER, as cosign writes them. Verification takes DER
//! or the 64-byte `r‖s` form.

use std::path::Path;

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature as P256Signature};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};

use crate::dsse;
use crate::error::{AttestError, Result};

/// A P-256 private key that signs DSSE envelopes. Its `Debug` never shows the key.
pub struct SigningKey {
    inner: p256::ecdsa::SigningKey,
    keyid: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.verifying_key())
            .finish_non_exhaustive()
    }
}

/// A P-256 public key that verifies DSSE envelopes.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    inner: p256::ecdsa::VerifyingKey,
    keyid: Option<String>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey(sha256:{})", self.fingerprint())
    }
}

fn key_error(path: &Path, reason: impl Into<String>) -> AttestError {
    AttestError::Key {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn read_pem(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| key_error(path, e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| key_error(path, "not a PEM file (not UTF-8 text)"))
}

impl SigningKey {
    /// Reads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`).
    pub fn from_pem_file(path: &Path) -> Result<SigningKey> {
        SigningKey::from_pem(&read_pem(path)?).map_err(|reason| key_error(path, reason))
    }

    /// Parses a PEM private key; the error says what kind of file it is instead.
    pub fn from_pem(pem: &str) -> std::result::Result<SigningKey, String> {
        let label = pem_label(pem).ok_or("no PEM block (`-----BEGIN …-----`)")?;
        let inner = match label {
            "PRIVATE KEY" => p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
                .map_err(|e| format!("not a PKCS#8 P-256 private key: {e}"))?,
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_pem(pem)
                .map(p256::ecdsa::SigningKey::from)
                .map_err(|e| format!("not a SEC1 P-256 private key: {e}"))?,
            "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => {
                return Err(
                    "cosign's encrypted key files are not supported yet; export the key as \
                     PKCS#8 (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`)"
                        .into(),
                );
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err("an encrypted PKCS#8 key: decrypt it first (`openssl pkcs8`)".into());
            }
            "PUBLIC KEY" => return Err("a public key, where a private key is needed".into()),
            other => return Err(format!("a `{other}` PEM block, not a private key")),
        };
        Ok(SigningKey { inner, keyid: None })
    }

    /// Sets the `keyid` written into envelopes (none by default, like cosign).
    pub fn with_keyid(mut self, keyid: Option<String>) -> SigningKey {
        self.keyid = keyid;
        self
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            inner: *self.inner.verifying_key(),
            keyid: self.keyid.clone(),
        }
    }
}

impl dsse::Signer for SigningKey {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: P256Signature = self.inner.sign(message);
        sig.to_der().as_bytes().to_vec()
    }

    fn keyid(&self) -> Option<String> {
        self.keyid.clone()
    }
}

impl VerifyingKey {
    /// Reads an SPKI PEM public key (`BEGIN PUBLIC KEY`), or takes the public half of a private
    /// key file.
    pub fn from_pem_file(path: &Path) -> Result<VerifyingKey> {
        let pem = read_pem(path)?;
        match pem_label(&pem) {
            Some("PUBLIC KEY") => p256::ecdsa::VerifyingKey::from_public_key_pem(&pem)
                .map(|inner| VerifyingKey { inner, keyid: None })
                .map_err(|e| key_error(path, format!("not a P-256 public key: {e}"))),
            _ => SigningKey::from_pem(&pem)
                .map(|k| k.verifying_key())
                .map_err(|reason| key_error(path, reason)),
        }
    }

    /// The key as SPKI PEM (what `cosign.pub` holds).
    pub fn to_pem(&self) -> String {
        self.inner
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .expect("a P-256 point always encodes")
    }

    /// SHA-256 of the SPKI DER, hex: how the CLI names a key in messages.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let der = self
            .inner
            .to_public_key_der()
            .expect("a P-256 point always encodes");
        hex::encode(sha2::Sha256::digest(der.as_bytes()))
    }
}

impl dsse::Verifier for VerifyingKey {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let sig = match DerSignature::try_from(signature) {
            Ok(der) => P256Signature::try_from(der),
            Err(_) => P256Signature::from_slice(signature),
        };
        sig.is_ok_and(|s| self.inner.verify(message, &s).is_ok())
    }

    fn keyid(&self) -> Option<String> {
        self.keyid.clone()
    }
}

/// The label of the first PEM block (`PRIVATE KEY` of `-----BEGIN PRIVATE KEY-----`).
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let end = pem[start..].find("-----")?;
    Some(&pem[start..start + end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::{Signer as _, Verifier as _};

    // A throwaway test key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).
    const PKCS8: &str = include_str!("../tests/data/test-key.pem");
    const SPKI: &str = include_str!("../tests/data/test-key.pub");

    #[test]
    fn signs_deterministically_and_verifies() {
        let key = SigningKey::from_pem(PKCS8).expect("test key");
        let a = key.sign(b"message");
        assert_eq!(a, key.sign(b"message"), "RFC 6979: same bytes each time");
        let public = p256::ecdsa::VerifyingKey::from_public_key_pem(SPKI).expect("public key");
        let vk = VerifyingKey {
            inner: public,
            keyid: None,
        };
        assert_eq!(vk, key.verifying_key());
        assert!(vk.verify(b"message", &a));
        assert!(!vk.verify(b"messagf", &a));
        assert!(!vk.verify(b"message", b"not a signature"));
    }

    #[test]
    fn names_the_wrong_kind_of_file() {
        let e = SigningKey::from_pem(SPKI).expect_err("a public key");
        assert!(e.contains("public key"), "{e}");
        let e = SigningKey::from_pem("hello").expect_err("no PEM");
        assert!(e.contains("no PEM block"), "{e}");
    }
}

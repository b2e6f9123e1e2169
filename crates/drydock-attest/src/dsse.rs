//! DSSE envelopes (the `secure-systems-lab/dsse` protocol): the pre-authentication encoding
//! (PAE) every signature covers, the JSON envelope, signing and threshold verification.
//!
//! The verifier follows the protocol: the payload type is checked against the types the caller
//! supports *before* any signature is looked at; base64 of either alphabet is accepted; a
//! `keyid` is a hint that only skips keys whose own id differs; a key counts once however many
//! signatures it made.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::{Deserialize, Serialize};

use crate::error::{AttestError, Rejection, Result};

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
/// decimal byte counts (of the UTF-8 type, not its characters).
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + body.len() + 32);
    out.extend_from_slice(format!("DSSEv1 {} ", payload_type.len()).as_bytes());
    out.extend_from_slice(payload_type.as_bytes());
    out.extend_from_slice(format!(" {} ", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// A DSSE envelope in its JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The body, base64 (standard alphabet when drydock writes it).
    pub payload: String,
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// A hint to which key made it; cosign writes `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// The signature bytes, base64.
    pub sig: String,
}

/// Something that signs a PAE.
pub trait Signer {
    /// The signature of `message` (for ECDSA P-256: ASN.1 DER, as cosign writes it).
    fn sign(&self, message: &[u8]) -> Vec<u8>;
    /// The key id to put into the envelope, if any.
    fn keyid(&self) -> Option<String> {
        None
    }
}

/// Something that checks a signature over a PAE.
pub trait Verifier {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
    /// The key's id; a signature with a different non-empty `keyid` is not tried with it.
    fn keyid(&self) -> Option<String> {
        None
    }
}

/// Decodes base64 in the standard or the URL-safe alphabet (the protocol asks verifiers to take
/// either).
pub fn decode_base64(what: &str, s: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .map_err(|e| AttestError::Malformed {
            what: what.to_string(),
            reason: format!("not base64: {e}"),
        })
}

impl Envelope {
    /// Signs `body` of `payload_type` with `signer`.
    pub fn sign(payload_type: &str, body: &[u8], signer: &dyn Signer) -> Envelope {
        let sig = signer.sign(&pae(payload_type, body));
        Envelope {
            payload_type: payload_type.to_string(),
            payload: STANDARD.encode(body),
            signatures: vec![Signature {
                keyid: Some(signer.keyid().unwrap_or_default()),
                sig: STANDARD.encode(sig),
            }],
        }
    }

    /// Parses an envelope from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope> {
        serde_json::from_slice(bytes).map_err(|e| AttestError::Malformed {
            what: "DSSE envelope".into(),
            reason: e.to_string(),
        })
    }

    /// The envelope as compact JSON (what cosign stores as a layer).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an envelope of strings always serializes")
    }

    /// The decoded body, unverified.
    pub fn body(&self) -> Result<Vec<u8>> {
        decode_base64("envelope payload", &self.payload)
    }

    /// Verifies the envelope: its payload type must be one of `supported`, and at least
    /// `threshold` distinct keys of `keys` (named) must have signed the PAE. Returns the body
    /// and the names of the keys that verified.
    pub fn verify(
        &self,
        supported: &[&str],
        keys: &[(&str, &dyn Verifier)],
        threshold: usize,
    ) -> Result<Verified> {
        if !supported.contains(&self.payload_type.as_str()) {
            return Err(Rejection::PayloadType {
                found: self.payload_type.clone(),
                expected: supported.join("` or `"),
            }
            .into());
        }
        let body = self.body()?;
        let message = pae(&self.payload_type, &body);
        let mut signers: Vec<String> = Vec::new();
        for s in &self.signatures {
            // A signature that is not base64 verifies with no key; others may still.
            let Ok(sig) = decode_base64("signature", &s.sig) else {
                continue;
            };
            let hint = s.keyid.as_deref().filter(|k| !k.is_empty());
            for (name, key) in keys {
                if let (Some(h), Some(k)) = (hint, key.keyid())
                    && !k.is_empty()
                    && h != k
                {
                    continue;
                }
                if key.verify(&message, &sig) {
                    if !signers.iter().any(|n| n == name) {
                        signers.push((*name).to_string());
                    }
                    break;
                }
            }
        }
        if threshold == 0 || signers.len() < threshold {
            let detail = if threshold > 1 {
                format!("s: {} of the {threshold} needed verified", signers.len())
            } else {
                String::new()
            };
            return Err(Rejection::Signature(detail).into());
        }
        Ok(Verified { body, signers })
    }
}

/// What [`Envelope::verify`] vouches for.
#[derive(Debug, Clone)]
pub struct Verified {
    pub body: Vec<u8>,
    /// The names of the keys whose signatures verified.
    pub signers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_protocol_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert!(pae("ä", b"x").starts_with(b"DSSEv1 2 "));
    }
}

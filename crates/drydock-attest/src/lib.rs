//! Signed scan attestations: what `drydock attest` writes and `drydock verify-attestation`
//! checks.
//!
//! - [`statement`]: an in-toto Statement (v1; v0.1 on request) about an image digest, whose
//!   predicate is cosign's vulnerability predicate
//!   (`https://cosign.sigstore.dev/attestation/vuln/v1`) with a Trivy-shaped `scanner.result`
//!   made from a drydock [`Report`](drydock_report::Report).
//! - [`dsse`]: the DSSE envelope around it, signatures over the protocol's PAE.
//! - [`key`]: ECDSA P-256 / SHA-256 keys from PEM files (PKCS#8 or SEC1 private, SPKI public),
//!   with deterministic (RFC 6979) signatures in DER, as cosign writes them.
//! - [`verify`]: what an admission policy checks — signature, statement and predicate type,
//!   subject digest, age of the scan, denied severities — each failure a typed [`Rejection`].
//! - [`oci`]: storing and reading attestations in a registry in cosign's classic
//!   `sha256-<hex>.att` layout.
//!
//! ```no_run
//! use drydock_attest::{dsse::Envelope, key::SigningKey, statement};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let report: drydock_report::Report = serde_json::from_slice(&std::fs::read("report.json")?)?;
//! let subject: statement::SubjectRef = "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".parse()?;
//! let st = statement::vuln_statement(&report, &subject, &Default::default())?;
//! let key = SigningKey::from_pem_file("cosign.key".as_ref())?;
//! let envelope = Envelope::sign(drydock_attest::dsse::IN_TOTO_PAYLOAD_TYPE, &serde_json::to_vec(&st)?, &key);
//! std::fs::write("report.att.json", envelope.to_json())?;
//! # Ok(()) }
//! ```

pub mod dsse;
mod error;
pub mod key;
pub mod oci;
pub mod statement;
pub mod verify;

pub use error::{AttestError, Rejection, Result};

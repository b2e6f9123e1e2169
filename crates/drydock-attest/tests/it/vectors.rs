//! The DSSE protocol's published test vectors (`tests/data/dsse-vectors.json`): every PAE must
//! match byte for byte, and `Envelope::verify` must accept and reject as the vectors say.

use drydock_attest::dsse::{Envelope, Verifier, pae};
use ed25519_dalek::Verifier as _;

struct Ed25519 {
    name: String,
    key: ed25519_dalek::VerifyingKey,
}

impl Verifier for Ed25519 {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ed25519_dalek::Signature::from_slice(signature)
            .is_ok_and(|s| self.key.verify(message, &s).is_ok())
    }
    fn keyid(&self) -> Option<String> {
        Some(self.name.clone())
    }
}

fn vectors() -> serde_json::Value {
    let bytes = std::fs::read(crate::data("dsse-vectors.json")).expect("vectors");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[test]
fn every_vector_gives_the_expected_pae_and_verdict() {
    let doc = vectors();
    let keys: Vec<Ed25519> = doc["keys"]
        .as_object()
        .expect("keys")
        .iter()
        .map(|(name, k)| {
            let public: [u8; 32] = hex::decode(k["public"].as_str().expect("public"))
                .expect("hex")
                .try_into()
                .expect("32 bytes");
            Ed25519 {
                name: name.clone(),
                key: ed25519_dalek::VerifyingKey::from_bytes(&public).expect("key"),
            }
        })
        .collect();
    let vectors = doc["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 9);
    let (mut accepted, mut rejected) = (0, 0);
    for v in vectors {
        let id = v["id"].as_str().expect("id");
        let envelope: Envelope =
            serde_json::from_value(v["envelope"].clone()).expect("an envelope");
        let body = envelope.body().expect("base64 body");
        // `pae` is what the signatures cover: the envelope's own PAE where it is accepted.
        if v["expect"] == "accept" {
            assert_eq!(
                hex::encode(pae(&envelope.payload_type, &body)),
                v["pae"].as_str().expect("pae"),
                "{id}: PAE"
            );
        }
        let trusted: Vec<&str> = v["trustedKeys"]
            .as_array()
            .expect("trustedKeys")
            .iter()
            .map(|k| k.as_str().expect("name"))
            .collect();
        let verifiers: Vec<(&str, &dyn Verifier)> = keys
            .iter()
            .filter(|k| trusted.contains(&k.name.as_str()))
            .map(|k| (k.name.as_str(), k as &dyn Verifier))
            .collect();
        let supported: Vec<&str> = v["supportedPayloadTypes"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| t.as_str().expect("type"))
            .collect();
        let threshold = v["threshold"].as_u64().expect("threshold") as usize;
        // A signature binds the payload type through the PAE: a swapped type fails it even
        // where the verifier supports both types.
        let result = envelope.verify(&supported, &verifiers, threshold);
        match v["expect"].as_str() {
            Some("accept") => {
                let ok = result.unwrap_or_else(|e| panic!("{id}: rejected: {e}"));
                assert_eq!(ok.body, body, "{id}");
                assert!(ok.signers.len() >= threshold, "{id}");
                accepted += 1;
            }
            Some("reject") => {
                assert!(result.is_err(), "{id}: accepted");
                rejected += 1;
            }
            other => panic!("{id}: expect {other:?}"),
        }
    }
    assert_eq!((accepted, rejected), (6, 3));
}

//! Attestations in a registry, in cosign's classic layout: the image `repo@sha256:<hex>` has its
//! attestations in the manifest tagged `sha256-<hex>.att` in the same repository, one layer per
//! DSSE envelope (media type `application/vnd.dsse.envelope.v1+json`, annotations
//! `dev.cosignproject.cosign/signature: ""` and `predicateType`). A push appends to the layers
//! already there; the same envelope twice is stored once.

use drydock_image::Digest;
use drydock_registry::{ClientOptions, Reference, Repository};
use serde_json::{Value, json};

use crate::dsse::Envelope;
use crate::error::{AttestError, Rejection, Result};

/// The media type of an envelope layer.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// An envelope larger than this is not read (a scan result of a huge image is a few MiB).
const ENVELOPE_LIMIT: u64 = 64 << 20;

/// The tag of the attestations of the manifest `digest`: `sha256-<hex>.att`.
pub fn att_tag(digest: &Digest) -> String {
    format!("{}.att", digest.as_str().replace(':', "-"))
}

/// The manifest or index the tag of `reference` names now.
fn named_now(
    repo: &mut Repository,
    reference: &Reference,
) -> Result<drydock_registry::FetchedManifest> {
    repo.manifest(&reference.manifest_ref())?
        .ok_or_else(|| AttestError::Subject {
            subject: reference.to_string(),
            reason: "no such image in the registry".into(),
        })
}

/// Whether the image index `bytes` lists the manifest `digest`.
fn index_lists(bytes: &[u8], digest: &Digest) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|doc| {
        doc["manifests"].as_array().is_some_and(|ms| {
            ms.iter()
                .any(|m| m["digest"].as_str() == Some(digest.as_str()))
        })
    })
}

/// The subject digest of a scan of `reference` whose image manifest was `scanned`: the digest
/// pods pull. A pinned digest is that digest (the pull checked it); a tag is resolved now, and
/// must name `scanned` or an index listing it (the index digest is the subject) — else the tag
/// moved since the scan, and the attestation would be about another image.
pub fn scanned_subject(
    reference: &Reference,
    scanned: &Digest,
    opts: &ClientOptions,
) -> Result<Digest> {
    if let Some(d) = reference.digest() {
        return Ok(d.clone());
    }
    let mut repo = Repository::open(reference, opts)?;
    let now = named_now(&mut repo, reference)?;
    if now.digest == *scanned || index_lists(&now.bytes, scanned) {
        return Ok(now.digest);
    }
    Err(AttestError::Subject {
        subject: reference.to_string(),
        reason: format!(
            "the tag names `{}` now, neither the scanned manifest `{scanned}` nor an index listing it: it moved during the scan (scan by digest)",
            now.digest
        ),
    })
}

/// The subject digest of a scan of an OCI layout directory whose image manifest was
/// `scanned`: the index in the layout's `index.json` that lists it (a multi-platform image),
/// else `scanned` itself.
pub fn layout_subject(layout: &std::path::Path, scanned: &Digest) -> Digest {
    let blob = |d: &str| {
        let hex = d.strip_prefix("sha256:")?;
        std::fs::read(layout.join("blobs/sha256").join(hex)).ok()
    };
    let top: Option<Value> = std::fs::read(layout.join("index.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    for desc in top
        .iter()
        .flat_map(|t| t["manifests"].as_array().into_iter().flatten())
    {
        let Some(d) = desc["digest"].as_str() else {
            continue;
        };
        // Only a blob whose bytes match its digest counts.
        if let (Some(bytes), Ok(digest)) = (blob(d), Digest::parse(d))
            && Digest::of(&bytes) == digest
            && index_lists(&bytes, scanned)
        {
            return digest;
        }
    }
    scanned.clone()
}

/// What a push stored.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `host/repo:sha256-<hex>.att`.
    pub tag: String,
    pub manifest_digest: Digest,
    /// How many attestations the tag holds now, and whether this one was already there.
    pub layers: usize,
    pub already_there: bool,
}

/// Stores `envelope` (of statement `predicate_type`) as an attestation of `subject`, which must
/// name a digest.
pub fn push(
    subject: &Reference,
    envelope: &Envelope,
    predicate_type: &str,
    opts: &ClientOptions,
) -> Result<Pushed> {
    let digest = subject.digest().ok_or_else(|| AttestError::Subject {
        subject: subject.to_string(),
        reason: "pushing needs the digest the attestation is about (`REF@sha256:…`)".into(),
    })?;
    let tag = att_tag(digest);
    let mut repo = Repository::open(subject, opts)?;
    let mut layers: Vec<Value> = match repo.manifest(&tag)? {
        Some(m) => {
            let doc: Value =
                serde_json::from_slice(&m.bytes).map_err(|e| AttestError::Malformed {
                    what: format!("manifest `{tag}`"),
                    reason: e.to_string(),
                })?;
            doc["layers"].as_array().cloned().unwrap_or_default()
        }
        None => Vec::new(),
    };
    let body = envelope.to_json();
    let layer_digest = repo.put_blob(&body)?;
    let already_there = layers
        .iter()
        .any(|l| l["digest"].as_str() == Some(layer_digest.as_str()));
    if !already_there {
        layers.push(json!({
            "mediaType": DSSE_MEDIA_TYPE,
            "size": body.len(),
            "digest": layer_digest.as_str(),
            "annotations": {
                SIGNATURE_ANNOTATION: "",
                "predicateType": predicate_type,
            },
        }));
    }
    // An image config in the shape cosign's (go-containerregistry's) empty image has, listing
    // the layers as diff_ids (envelopes are stored uncompressed).
    let diff_ids: Vec<&str> = layers.iter().filter_map(|l| l["digest"].as_str()).collect();
    let history: Vec<Value> = diff_ids
        .iter()
        .map(|_| json!({"created": "0001-01-01T00:00:00Z"}))
        .collect();
    let config = json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    });
    let config = serde_json::to_vec(&config).expect("JSON values serialize");
    let config_digest = repo.put_blob(&config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": config.len(), "digest": config_digest.as_str()},
        "layers": layers,
    });
    let manifest = serde_json::to_vec(&manifest).expect("JSON values serialize");
    let manifest_digest = repo.put_manifest(&tag, OCI_MANIFEST, &manifest)?;
    Ok(Pushed {
        tag: format!("{}/{}:{tag}", subject.registry(), subject.repository()),
        manifest_digest,
        layers: layers.len(),
        already_there,
    })
}

/// The digest `reference` names (its pinned digest, else the manifest or index its tag names
/// now) and the envelopes stored for it. No attestation tag is [`Rejection::Missing`].
pub fn fetch(reference: &Reference, opts: &ClientOptions) -> Result<(Digest, Vec<Envelope>)> {
    let mut repo = Repository::open(reference, opts)?;
    let digest = match reference.digest() {
        Some(d) => d.clone(),
        None => named_now(&mut repo, reference)?.digest,
    };
    let tag = att_tag(&digest);
    let Some(manifest) = repo.manifest(&tag)? else {
        return Err(Rejection::Missing(format!("{reference} ({digest})")).into());
    };
    let doc: Value =
        serde_json::from_slice(&manifest.bytes).map_err(|e| AttestError::Malformed {
            what: format!("manifest `{tag}`"),
            reason: e.to_string(),
        })?;
    let mut envelopes = Vec::new();
    for layer in doc["layers"].as_array().into_iter().flatten() {
        if layer["mediaType"].as_str() != Some(DSSE_MEDIA_TYPE) {
            continue;
        }
        let d = layer["digest"]
            .as_str()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| AttestError::Malformed {
                what: format!("manifest `{tag}`"),
                reason: "a layer without a valid `digest`".into(),
            })?;
        let bytes = repo.blob(&d, ENVELOPE_LIMIT)?;
        envelopes.push(Envelope::from_json(&bytes)?);
    }
    if envelopes.is_empty() {
        return Err(Rejection::Missing(format!("{reference} ({digest})")).into());
    }
    Ok((digest, envelopes))
}

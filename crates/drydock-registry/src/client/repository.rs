//! Reading and writing one repository's manifests and blobs by hand, for artifacts stored
//! beside images (cosign's `sha256-<hex>.att` attestation manifests) rather than pulled as
//! images: GET a manifest or blob, upload a blob (monolithic POST + PUT, skipped when the
//! registry has it), PUT a manifest under a tag.
//!
//! Authentication is the client's: a registry asks for a push token with a new challenge on
//! the first write, and the client answers it as it answers pull challenges.

use drydock_image::Digest;
use ureq::http::Response;

use super::{Client, ClientOptions, read_small};
use crate::auth;
use crate::error::{RegistryError, Result};
use crate::reference::Reference;

/// A manifest as the registry serves it.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    /// The `Content-Type` without parameters (empty when the registry sent none).
    pub media_type: String,
    /// The sha256 of `bytes`.
    pub digest: Digest,
}

/// Read and write access to one repository (see the module docs).
pub struct Repository {
    client: Client,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.client.reference())
    }
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

enum Method<'a> {
    Get(Option<&'a str>),
    Head,
    Post,
    Put(&'a str, &'a [u8]),
}

impl Repository {
    /// Connects to the repository `reference` names (its tag or digest do not matter).
    pub fn open(reference: &Reference, opts: &ClientOptions) -> Result<Repository> {
        Ok(Repository {
            client: Client::new(reference, opts)?,
        })
    }

    pub fn reference(&self) -> &Reference {
        self.client.reference()
    }

    /// The manifest named by `tag_or_digest`, or `None` when the registry has none (404).
    /// A digest asked for must match the bytes.
    pub fn manifest(&mut self, tag_or_digest: &str) -> Result<Option<FetchedManifest>> {
        let url = self.client.url(&format!("manifests/{tag_or_digest}"));
        let mut resp = match self.request(&url, Method::Get(Some(MANIFEST_ACCEPT))) {
            Ok(r) => r,
            Err(RegistryError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
            .unwrap_or_default();
        let bytes = read_small(&mut resp, crate::MANIFEST_LIMIT, self.reference(), &url)?;
        let digest = Digest::of(&bytes);
        if let Ok(want) = Digest::parse(tag_or_digest)
            && want != digest
        {
            return Err(self.mismatch("manifest", &want, &digest));
        }
        Ok(Some(FetchedManifest {
            bytes,
            media_type,
            digest,
        }))
    }

    /// A blob of at most `limit` bytes, its digest checked.
    pub fn blob(&mut self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let url = self.client.url(&format!("blobs/{digest}"));
        let mut resp = self.request(&url, Method::Get(None))?;
        let bytes = read_small(&mut resp, limit, self.reference(), &url)?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(self.mismatch("blob", digest, &actual));
        }
        Ok(bytes)
    }

    /// Uploads `bytes` as a blob unless the repository has it: its digest.
    pub fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::of(bytes);
        let url = self.client.url(&format!("blobs/{digest}"));
        match self.request(&url, Method::Head) {
            Ok(_) => return Ok(digest),
            Err(RegistryError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let start = self.client.url("blobs/uploads/");
        let resp = self.request(&start, Method::Post)?;
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Malformed {
                reference: self.reference().to_string(),
                what: format!("answer from `{start}`"),
                reason: "no `Location` for the upload".into(),
            })?;
        let mut put = if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{}{location}", self.client.base)
        };
        put.push(if put.contains('?') { '&' } else { '?' });
        put.push_str(&format!("digest={}", digest.as_str().replace(':', "%3A")));
        self.request(&put, Method::Put("application/octet-stream", bytes))?;
        Ok(digest)
    }

    /// PUTs `bytes` as a manifest of `media_type` under `tag`: its digest.
    pub fn put_manifest(&mut self, tag: &str, media_type: &str, bytes: &[u8]) -> Result<Digest> {
        let url = self.client.url(&format!("manifests/{tag}"));
        self.request(&url, Method::Put(media_type, bytes))?;
        Ok(Digest::of(bytes))
    }

    fn mismatch(&self, what: &'static str, expected: &Digest, actual: &Digest) -> RegistryError {
        RegistryError::DigestMismatch {
            reference: self.reference().to_string(),
            what,
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }

    fn send(&self, url: &str, method: &Method<'_>) -> Result<Response<ureq::Body>> {
        let c = &self.client;
        let auth_header = match &c.auth {
            super::AuthState::Header(h) => Some(h.expose().to_string()),
            super::AuthState::None => None,
        };
        c.retrying(url, || match method {
            Method::Get(accept) => {
                let mut r = c.agent.get(url);
                if let Some(a) = accept {
                    r = r.header("Accept", *a);
                }
                if let Some(h) = &auth_header {
                    r = r.header("Authorization", h);
                }
                r.call()
            }
            Method::Head => {
                let mut r = c.agent.head(url);
                if let Some(h) = &auth_header {
                    r = r.header("Authorization", h);
                }
                r.call()
            }
            Method::Post => {
                let mut r = c.agent.post(url);
                if let Some(h) = &auth_header {
                    r = r.header("Authorization", h);
                }
                r.send_empty()
            }
            Method::Put(content_type, body) => {
                let mut r = c.agent.put(url).header("Content-Type", *content_type);
                if let Some(h) = &auth_header {
                    r = r.header("Authorization", h);
                }
                r.send(*body)
            }
        })
    }

    /// Sends with authentication (answering one challenge); non-2xx answers become errors.
    fn request(&mut self, url: &str, method: Method<'_>) -> Result<Response<ureq::Body>> {
        let mut resp = self.send(url, &method)?;
        if resp.status().as_u16() == 401 {
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(auth::parse_challenge);
            if let Some(ch) = challenge {
                self.client.authenticate(&ch)?;
                resp = self.send(url, &method)?;
            }
        }
        let c = &self.client;
        match resp.status().as_u16() {
            200..=299 => Ok(resp),
            401 => Err(c.unauthorized(401)),
            403 => Err(RegistryError::Forbidden {
                reference: c.name(),
                url: url.to_string(),
            }),
            404 => Err(RegistryError::NotFound {
                reference: c.name(),
                url: url.to_string(),
            }),
            s => Err(RegistryError::Status {
                reference: c.name(),
                url: url.to_string(),
                status: s,
            }),
        }
    }
}

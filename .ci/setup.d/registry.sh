# Issue 7 (drydock-registry): a real registry on loopback (`docker-registry`, i.e. CNCF
# distribution), `skopeo` to push images into it, `htpasswd` for its basic-auth variant and
# `openssl` for the certificates of its TLS variant.
# Used by crates/drydock/tests/it/registry.rs, which fails when these are missing and CI is set.
apt_need docker-registry docker-registry
apt_need skopeo skopeo
apt_need htpasswd apache2-utils
apt_need openssl openssl

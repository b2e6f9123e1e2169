#!/usr/bin/env bash
# scripts/oci-layout.sh BINARY OUT_DIR [TAG]: drydock's container image as an OCI image layout,
# without a Docker daemon (the Dockerfile's image, assembled from a built binary).
#
# One layer: /usr/local/bin/drydock, /etc/passwd and /etc/group with the `nonroot` user (65532),
# the host's CA bundle at /etc/ssl/certs/ca-certificates.crt, and an empty /cache owned by
# nonroot (the DB and image cache live there, never in the image). The config runs as 65532 with
# drydock as the entrypoint. Timestamps come from SOURCE_DATE_EPOCH (default 0), so the same
# binary gives the same digests. Push with `skopeo copy oci:OUT_DIR:TAG docker://REGISTRY/…`.
# The binary should be static (x86_64-unknown-linux-musl): the layer carries no libc.
set -euo pipefail
bin=${1:?usage: oci-layout.sh BINARY OUT_DIR [TAG]}
out=${2:?usage: oci-layout.sh BINARY OUT_DIR [TAG]}
tag=${3:-latest}
epoch=${SOURCE_DATE_EPOCH:-0}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
ca=/etc/ssl/certs/ca-certificates.crt
[ -x "$bin" ] || { echo "oci-layout.sh: \`$bin\` is not an executable" >&2; exit 2; }
[ -f "$ca" ] || { echo "oci-layout.sh: no CA bundle at $ca (Debian package ca-certificates)" >&2; exit 2; }
version=$("$bin" --version | awk 'NR==1 {print $2}')
arch=$(case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/cache" "$root/tmp"
install -m 0755 "$bin" "$root/usr/local/bin/drydock"
cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"

layer="$work/layer.tar"
# Owners by number: root for the system files, nonroot for /cache.
tar --sort=name --mtime="@$epoch" --numeric-owner --owner=0 --group=0 --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$layer" --exclude=./cache etc tmp usr
tar --sort=name --mtime="@$epoch" --numeric-owner --owner=65532 --group=65532 --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -rf "$layer" cache
gzip -n -6 -c "$layer" > "$layer.gz"
diff_id=$(sha256sum "$layer" | cut -d' ' -f1)
layer_digest=$(sha256sum "$layer.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$layer.gz")

mkdir -p "$out/blobs/sha256"
cp "$layer.gz" "$out/blobs/sha256/$layer_digest"
blob() { # blob FILE → digest size, and the file stored as a blob
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  cp "$1" "$out/blobs/sha256/$d"
  echo "$d $s"
}
cat > "$work/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"$created","config":{"User":"65532:65532","Entrypoint":["/usr/local/bin/drydock"],"Cmd":["--help"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","DRYDOCK_CACHE_DIR=/cache/images","DRYDOCK_DB=/cache/db/drydock.db","XDG_CACHE_HOME=/cache","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"Volumes":{"/cache":{}},"Healthcheck":{"Test":["NONE"]},"Labels":{"org.opencontainers.image.title":"drydock","org.opencontainers.image.version":"$version"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"$created","created_by":"scripts/oci-layout.sh (drydock $version)"}]}
JSON
read -r config_digest config_size < <(blob "$work/config.json")
cat > "$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer_digest","size":$layer_size}],"annotations":{"org.opencontainers.image.version":"$version","org.opencontainers.image.created":"$created"}}
JSON
read -r manifest_digest manifest_size < <(blob "$work/manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
cat > "$out/index.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest_digest","size":$manifest_size,"platform":{"architecture":"$arch","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"$tag"}}]}
JSON
echo "sha256:$manifest_digest"

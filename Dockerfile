# drydock's container image: a static (musl) binary on distroless/static, run as the non-root
# `nonroot` user (65532). The vulnerability DB is not baked in: mount a cache (or let
# `drydock db update` fill it) at /cache, e.g.
#   docker run --rm -v drydock-cache:/cache ghcr.io/drydock/drydock db update
#   docker run --rm -v drydock-cache:/cache ghcr.io/drydock/drydock image alpine:3.20
# Without a Docker daemon, scripts/oci-layout.sh assembles the same image as an OCI layout from a
# release binary.
FROM rust:1.90-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p drydock --target x86_64-unknown-linux-musl \
 && install -D target/x86_64-unknown-linux-musl/release/drydock /out/drydock

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/drydock /usr/local/bin/drydock
ENV DRYDOCK_CACHE_DIR=/cache/images \
    DRYDOCK_DB=/cache/db/drydock.db \
    XDG_CACHE_HOME=/cache
VOLUME ["/cache"]
USER 65532:65532
# A CLI: nothing to probe.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/drydock"]
CMD ["--help"]

# The corpus image (../shared/corpus/build-images.sh): a multi-layer Debian image with old
# Python, npm, Go and Rust packages and a whiteout layer. Built once into $CACHE (~3 min cold:
# debootstrap, pip, npm, go, cargo-auditable); later runs reuse it.
export DRYDOCK_CORPUS="$CACHE/corpus"
if [ ! -f "$DRYDOCK_CORPUS/debian-app/oci/index.json" ]; then
  echo "building the corpus image into $DRYDOCK_CORPUS"
  "$SHARED/corpus/build-images.sh" "$DRYDOCK_CORPUS" > "$CACHE/corpus-build.log" 2>&1 \
    || { tail -30 "$CACHE/corpus-build.log"; exit 1; }
fi

# Issue 12 (drydock-fleet): the test fleet, 77 images (65 distinct) in three releases, built
# from the corpus image's layers (corpus.sh, sourced before this file) and ../shared/data/images
# by crates/drydock-fleet/tests/fixtures/make_fleet.py, with its known answers in expected.json.
# Rerun every time: it reuses the compressed layers and takes ~2 s warm (~15 s cold).
# Pushing part of it to a loopback registry needs docker-registry and skopeo (registry.sh).
export DRYDOCK_FLEET="$CACHE/fleet"
python3 crates/drydock-fleet/tests/fixtures/make_fleet.py "$DRYDOCK_FLEET" \
  --corpus "$DRYDOCK_CORPUS" --images "$SHARED/data/images" > "$CACHE/fleet-build.log" 2>&1 \
  || { tail -20 "$CACHE/fleet-build.log"; exit 1; }

# A Trivy vulnerability DB built from ../shared/data/advisories (../shared/peers/trivy-db.sh), so the
# end-to-end test compares drydock's findings with Trivy's on exactly the same data, offline.
export DRYDOCK_TRIVY_CACHE="$CACHE/trivy-cache"
if [ ! -f "$DRYDOCK_TRIVY_CACHE/db/trivy.db" ]; then
  "$SHARED/peers/trivy-db.sh" "$SHARED/data/advisories" "$DRYDOCK_TRIVY_CACHE" >/dev/null
fi

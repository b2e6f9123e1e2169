#!/usr/bin/env bash
# Issue 12, benchmark 2: history at scale, synthetic (crates/drydock-fleet/examples/history_scale.rs).
# IMAGES images × RUNS daily runs × FINDINGS findings per image, CHURN per mille replaced per run,
# into a SQLite store (and PostgreSQL when PG_URL is set). Prints the median ingest time of one
# run, the store size, a whole-fleet diff of the last two runs and one image's history.
#
#   bench/history.sh [IMAGES] [RUNS] [FINDINGS] [CHURN‰]      (the issue's goal: 1000 365 200 10)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ARGS=("${1:-1000}" "${2:-365}" "${3:-200}" "${4:-10}")
cargo run --release -q --manifest-path "$ROOT/Cargo.toml" -p drydock-fleet --example history_scale -- "$TMP/h.db" "${ARGS[@]}"
if [ -n "${PG_URL:-}" ]; then
  cargo run --release -q --manifest-path "$ROOT/Cargo.toml" -p drydock-fleet --example history_scale -- "$PG_URL" "${ARGS[@]}"
fi

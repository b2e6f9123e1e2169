#!/usr/bin/env bash
# Issue 17: `drydock serve` on a large store. Builds a synthetic history with the fleet's
# history_scale example (IMAGES images × RUNS daily runs × FINDINGS findings per image, 1 %
# churn per run, all in release v1), serves it, and requests every page and its API twin N times
# one after another (after one untimed warm-up request each). Prints, per URL, the median and
# the slowest server time (from drydock's own request log: handler and store query, no network)
# and the median client time (curl's time_total on loopback). The goal: every page < 200 ms
# server time. There is no peer to compare with (no other tool serves this store).
#
#   bench/serve.sh [IMAGES] [RUNS] [FINDINGS]        (default 1000 30 200; N=20 requests each)
#   STORE=path/h.db bench/serve.sh …                 (keep, or reuse, the store)
#   STORE=postgres://USER@HOST:PORT/DB bench/serve.sh …  (PostgreSQL: an empty database is
#                                                    filled, one with runs is reused)
#   DRYDOCK=path/to/drydock bench/serve.sh …         (a release binary already built)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGES=${1:-1000} RUNS=${2:-30} FINDINGS=${3:-200} N=${N:-20}
TMP=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
STORE=${STORE:-$TMP/history.db}

if [ -z "${DRYDOCK:-}" ]; then
  cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p drydock
  DRYDOCK="$ROOT/target/release/drydock"
fi
case "$STORE" in
  postgres://*|postgresql://*)
    BACKEND=PostgreSQL
    FILL=$("$DRYDOCK" history runs --store "$STORE" --limit 1 --format json | python3 -c \
      'import json, sys; print("no" if json.load(sys.stdin) else "yes")') ;;
  *)
    BACKEND=SQLite
    FILL=$([ -f "$STORE" ] && echo no || echo yes) ;;
esac
if [ "$FILL" = yes ]; then
  echo "building the store: $IMAGES images × $RUNS runs × $FINDINGS findings" >&2
  t0=$(date +%s)
  cargo run --release -q --manifest-path "$ROOT/Cargo.toml" -p drydock-fleet --example history_scale -- \
    "$STORE" "$IMAGES" "$RUNS" "$FINDINGS" 10 >&2
  if [ "$BACKEND" = SQLite ]; then size=$(du -h "$STORE" | cut -f1); else size="$BACKEND"; fi
  echo "store built in $(( $(date +%s) - t0 )) s: $size" >&2
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
RUST_LOG=drydock_serve::access=info "$DRYDOCK" serve --store "$STORE" --listen "127.0.0.1:$PORT" \
  2> "$TMP/log" &
SERVER=$!
for _ in $(seq 200); do curl -fs "$BASE/healthz" > /dev/null && break; sleep 0.1; done
curl -fs "$BASE/healthz" > /dev/null || { cat "$TMP/log"; exit 1; }

IMAGE="registry.example%2Fteam%2Fapp-0007%3A1"
# The newest finding of app-0007 (churn replaces the oldest, ceil(FINDINGS × 1 %) per run, so
# after many runs none of the first FINDINGS is left).
VULN="CVE-2026-$(printf %06d $(( 7 * 1000000 + FINDINGS - 1 + (RUNS - 1) * ((FINDINGS * 10 + 999) / 1000) )))"
URLS=(
  "/" "/runs" "/releases/v1" "/readiness/v1" "/image?ref=$IMAGE" "/findings" "/needs-triage"
  "/new" "/expiring" "/findings/$VULN" "/findings?severity=CRITICAL&sort=package"
  "/api/overview" "/api/runs" "/api/releases/v1" "/api/readiness/v1" "/api/image?ref=$IMAGE"
  "/api/findings" "/api/findings?per_page=500" "/api/needs-triage" "/api/new" "/api/expiring"
  "/api/findings/$VULN"
)
: > "$TMP/client"
for u in "${URLS[@]}"; do
  curl -fs -o /dev/null "$BASE$u" || { echo "GET $u failed" >&2; tail -5 "$TMP/log" >&2; exit 1; }
  for _ in $(seq "$N"); do
    printf '%s %s\n' "$u" "$(curl -fs -o /dev/null -w '%{time_total}' "$BASE$u")" >> "$TMP/client"
  done
done
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

python3 - "$TMP/log" "$TMP/client" "$N" "$IMAGES" "$RUNS" "$FINDINGS" "$BACKEND" "${URLS[@]}" <<'PY'
import re, statistics, sys
log, client, n, images, runs, findings, backend, *urls = sys.argv[1:]
n = int(n)
# Server times in request order: one untimed warm-up, then n timed requests per URL.
server = [float(m.group(2)) for m in re.finditer(r'path=(\S+) status=\d+ ms="?([\d.]+)', open(log).read())
          if m.group(1) != "/healthz"]
assert len(server) == len(urls) * (n + 1), f"{len(server)} logged requests, expected {len(urls) * (n + 1)}"
clients = {}
for line in open(client):
    u, t = line.rsplit(" ", 1)
    clients.setdefault(u, []).append(float(t) * 1000)
print(f"drydock serve, {images} images × {runs} runs × {findings} findings ({backend}), {n} requests per URL\n")
print("| URL | server median (ms) | server max (ms) | client median (ms) | < 200 ms |")
print("|---|---|---|---|---|")
for i, u in enumerate(urls):
    s = server[i * (n + 1) + 1:(i + 1) * (n + 1)]
    med = statistics.median(s)
    print(f"| `{u}` | {med:.1f} | {max(s):.1f} | {statistics.median(clients[u]):.1f} | {'yes' if max(s) < 200 else 'NO'} |")
PY

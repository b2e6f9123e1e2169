# Shared by bench/inventory.sh and bench/scan.sh (sourced). The script sets TMP and RUNS and
# defines `fresh_caches`, which empties the caches the tools are given.

# measure cold|warm NAME KIND CMD... → RUNS lines `NAME KIND MODE seconds KiB`. Cold: fresh
# caches before every run. Warm: fresh caches and one untimed run to fill them, then RUNS runs.
# Wall time from the shell's nanosecond clock (GNU time rounds to 10 ms), peak RSS from GNU time.
measure() {
  local mode=$1 name=$2 kind=$3 t0 t1; shift 3
  fresh_caches
  [ "$mode" = warm ] && { "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }; }
  for _ in $(seq "$RUNS"); do
    [ "$mode" = cold ] && fresh_caches
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$TMP/t" "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    t1=$(date +%s%N)
    echo "$name $kind $mode $(( (t1 - t0) / 1000 ))e-6 $(cat "$TMP/t")"
  done
}

# summarize RUNS_FILE TITLE MODE_COLUMN TOOL... → a Markdown table of medians, ratios to trivy.
summarize() {
  python3 - "$RUNS" "$@" <<'PY'
import sys, statistics
from collections import defaultdict
runs_count, runs_file, title, mode_column, *tools = sys.argv[1:]
runs = defaultdict(list)
for line in open(runs_file):
    name, kind, mode, secs, kb = line.split()
    runs[(name, kind, mode)].append((float(secs), int(kb)))
print(f"{title}, {runs_count} runs each, medians\n")
print(f"| target | {mode_column} | tool | wall time (s) | peak RSS (MiB) | time / trivy | memory / trivy |")
print("|---|---|---|---|---|---|---|")
for mode in ("cold", "warm"):
    for kind in ("oci", "docker-archive"):
        trivy = runs[("trivy", kind, mode)]
        t, m = statistics.median(s for s, _ in trivy), statistics.median(k for _, k in trivy)
        for name in tools:
            if (name, kind, mode) not in runs:
                continue
            s = statistics.median(x for x, _ in runs[(name, kind, mode)])
            k = statistics.median(y for _, y in runs[(name, kind, mode)])
            print(f"| {kind} | {mode} | {name} | {s:.3f} | {k/1024:.1f} | {s/t:.3f} | {k/m:.3f} |")
PY
}

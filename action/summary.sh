#!/usr/bin/env bash
# summary.sh REPORT.json FINDINGS.md EXIT_CODE: the job summary of one scan, in Markdown — a
# severity table per target from drydock's JSON report, then drydock's findings tables.
set -euo pipefail
report=$1 findings=$2 code=$3
if [ ! -s "$report" ]; then
  echo "### drydock: the scan failed (exit code $code), no report"
  exit 0
fi
verdict="passed"
[ "$code" != 0 ] && verdict="**failed** (exit code $code)"
jq -r --arg verdict "$verdict" '
  "### drydock: \(.targets | map("`" + .name + "`") | join(", ")) — \($verdict)",
  "",
  "| target | CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN | suppressed |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  (.targets[] | . as $t
    | [$t.findings[] | select(.verdict == "fail" or .verdict == "report")] as $r
    | "| `\($t.name)` | \([$r[] | select(.severity == "CRITICAL")] | length) | \([$r[] | select(.severity == "HIGH")] | length) | \([$r[] | select(.severity == "MEDIUM")] | length) | \([$r[] | select(.severity == "LOW")] | length) | \([$r[] | select(.severity == "UNKNOWN")] | length) | \([$t.findings[] | select(.verdict == "suppressed")] | length) |"),
  ""' "$report"
if [ -s "$findings" ]; then
  echo "<details><summary>Findings</summary>"
  echo
  cat "$findings"
  echo
  echo "</details>"
fi

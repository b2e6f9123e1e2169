#!/usr/bin/env bash
# Step 2 of the drydock action: map trivy-action's inputs (INPUT_*) onto drydock's flags, scan,
# write a Markdown summary to GITHUB_STEP_SUMMARY, and exit with drydock's exit code.
set -uo pipefail

die() { echo "::error title=drydock::$*" >&2; exit 2; }
truthy() { case "${1:-}" in true | True | TRUE | 1 | yes) return 0 ;; *) return 1 ;; esac; }
: "${RUNNER_TEMP:?}" "${GITHUB_OUTPUT:?}"
drydock=${DRYDOCK_BIN:-drydock}

args=()
case "${INPUT_SCAN_TYPE:-image}" in
  image)
    cmd=image
    if [ -n "${INPUT_INPUT:-}" ]; then target=$INPUT_INPUT
    elif [ -n "${INPUT_IMAGE_REF:-}" ]; then target=$INPUT_IMAGE_REF
    else die "scan-type image needs image-ref or input"
    fi ;;
  fs | filesystem | rootfs) cmd=fs; target=${INPUT_SCAN_REF:-.} ;;
  sbom) cmd=image; target=${INPUT_SCAN_REF:-} ;;
  *) die "scan-type \`${INPUT_SCAN_TYPE}\` is not supported (image, fs, rootfs, sbom)" ;;
esac
[ -n "$target" ] || die "nothing to scan: set image-ref, input or scan-ref"

# format: trivy-action's names → drydock's.
format=${INPUT_FORMAT:-table}
template=${INPUT_TEMPLATE:-}
case "$format" in
  template)
    case "$template" in
      *sarif.tpl) format=sarif ;;
      *html.tpl) format=html ;;
      *junit.tpl) format=junit ;;
      *) die "template \`$template\`: drydock has no template engine; use format sarif, html or junit" ;;
    esac ;;
  json) format=trivy-json ;;          # Trivy's JSON shape, for tools that parse it
  drydock-json) format=json ;;
  spdx) die "format spdx (tag-value) is not supported; use spdx-json" ;;
  github | cosign-vuln) die "format $format is not supported (for cosign-vuln use \`drydock attest\`)" ;;
esac

severity=${INPUT_SEVERITY:-}
if [ "$format" = sarif ] && ! truthy "${INPUT_LIMIT_SEVERITIES_FOR_SARIF:-}"; then
  severity=""   # as trivy-action: SARIF carries every severity unless asked otherwise
fi
[ -n "$severity" ] && args+=(--severity "$severity")
[ -n "${INPUT_EXIT_CODE:-}" ] && args+=(--exit-code "$INPUT_EXIT_CODE")
truthy "${INPUT_IGNORE_UNFIXED:-}" && args+=(--ignore-unfixed)
pkg_types=${INPUT_PKG_TYPES:-${INPUT_VULN_TYPE:-}}
[ -n "$pkg_types" ] && args+=(--pkg-types "$pkg_types")
IFS=',' read -r -a ignores <<< "${INPUT_TRIVYIGNORES:-}"
for f in "${ignores[@]}"; do
  f=$(echo "$f" | xargs)
  [ -n "$f" ] && args+=(--ignore-file "$f")
done
[ -n "${INPUT_SKIP_DIRS:-}" ] && args+=(--skip-dirs "$INPUT_SKIP_DIRS")
[ -n "${INPUT_SKIP_FILES:-}" ] && args+=(--skip-files "$INPUT_SKIP_FILES")
[ -n "${INPUT_TIMEOUT:-}" ] && args+=(--timeout "$INPUT_TIMEOUT")
if [ -n "${INPUT_FAIL_ON:-}" ]; then
  args+=(--fail-on "$INPUT_FAIL_ON")
  # fail-on without an exit code means "fail": 1, unless exit-code says otherwise.
  [ "${INPUT_EXIT_CODE:-0}" = 0 ] && args+=(--exit-code 1)
fi
truthy "${INPUT_FIXABLE_ONLY:-}" && args+=(--fixable-only)
[ -n "${INPUT_ENV_PROFILE:-}" ] && args+=(--env-profile "$INPUT_ENV_PROFILE")
IFS=',' read -r -a vexes <<< "${INPUT_VEX:-}"
for f in "${vexes[@]}"; do
  f=$(echo "$f" | xargs)
  [ -n "$f" ] && args+=(--vex "$f")
done

if ! truthy "${INPUT_SKIP_DB_UPDATE:-}"; then
  "$drydock" db update || echo "::warning title=drydock::DB update failed; scanning with the cached DB"
fi

report="$RUNNER_TEMP/drydock-report.json"
summary="$RUNNER_TEMP/drydock-summary.md"
formats=(--format "json=$report" --format "markdown=$summary")
if [ -n "${INPUT_OUTPUT:-}" ]; then
  formats+=(--format "$format=$INPUT_OUTPUT")
else
  formats+=(--format "$format")
fi

echo "drydock $cmd $target ${args[*]}"
"$drydock" "$cmd" "$target" "${args[@]}" "${formats[@]}"
code=$?

findings=0
if [ -s "$report" ] && command -v jq >/dev/null; then
  findings=$(jq '[.targets[].findings[] | select(.verdict == "fail" or .verdict == "report")] | length' "$report")
fi
{
  echo "exit-code=$code"
  echo "report=$report"
  echo "summary=$summary"
  echo "findings=$findings"
  echo "target=$target"
} >> "$GITHUB_OUTPUT"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  bash "$(dirname "$0")/summary.sh" "$report" "$summary" "$code" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$code"

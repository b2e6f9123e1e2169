#!/usr/bin/env bash
# Runs drydock's composite action (action.yml) under a fake runner environment (runner.py plays
# the runner), against a local release archive made from the built binary instead of a download:
#   A. the trivy-action step of issue 18 with only `uses:` changed (image from a loopback
#      docker-registry): SARIF written, job summary table, exit-code output;
#   B. a failing gate (exit-code 1) with on-fail-issue: the step fails, `gh issue create` is called;
#   C. a release archive whose sha256 does not match is refused.
# Needs: DRYDOCK_BIN (default target/debug/drydock), DRYDOCK_SHARED (../shared), DRYDOCK_CI_TOOLS
# (.ci/setup.d/ci-files.sh), jq, docker-registry and skopeo. Prints `N passed, N failed`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${DRYDOCK_BIN:-$repo/target/debug/drydock}")
shared=$(realpath "${DRYDOCK_SHARED:-$repo/../shared}")
python="${DRYDOCK_CI_TOOLS:?set DRYDOCK_CI_TOOLS}/bin/python"
work=$(mktemp -d)
registry_pid=""
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
passed=0 failed=0
check() { # check DESCRIPTION COMMAND... (on failure, the case's runner log is shown)
  if "${@:2}" > /dev/null; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

case "$(uname -m)" in x86_64) arch=X64 target=x86_64-unknown-linux-musl ;; aarch64) arch=ARM64 target=aarch64-unknown-linux-musl ;; esac
# The release archive as a release job publishes it: drydock-<target>.tar.gz + .sha256.
mkdir -p "$work/dist/drydock-$target"
cp "$bin" "$work/dist/drydock-$target/drydock"
tar -czf "$work/drydock-$target.tar.gz" -C "$work/dist" "drydock-$target"
(cd "$work" && sha256sum "drydock-$target.tar.gz" > "drydock-$target.tar.gz.sha256")

# One fake runner per case; the DB is where actions/cache would restore it.
new_runner() { # new_runner NAME → sets R
  R="$work/$1"
  mkdir -p "$R/temp/drydock/db" "$R/workspace"
  cp "$work/db/drydock.db" "$R/temp/drydock/db/drydock.db"
  : > "$R/summary.md"
}
mkdir -p "$work/db"
"$bin" db build --feeds "$shared/data/advisories" --db "$work/db/drydock.db" >/dev/null 2>&1
run_action() { # run_action WITH_JSON → stdout: the outputs JSON; exit: the job's
  (cd "$R/workspace" && env -i PATH="$PATH" HOME="$HOME" \
    RUNNER_OS=Linux RUNNER_ARCH="$arch" RUNNER_TEMP="$R/temp" \
    GITHUB_ACTIONS=true GITHUB_WORKSPACE="$R/workspace" GITHUB_REPOSITORY=my-organization/my-app \
    GITHUB_SHA=0123abcd GITHUB_SERVER_URL=https://github.com GITHUB_RUN_ID=42 \
    GITHUB_STEP_SUMMARY="$R/summary.md" "$python" "$repo/action/test/runner.py" "$repo" "$1" 2> "$R/log") | tail -n1
}

# --- A: the trivy-action step, image from a loopback registry ---------------------------------
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
gunzip -c "$shared/data/images/alpine-3.10.docker-archive.tar.gz" > "$work/alpine.tar"
image="127.0.0.1:$port/my-organization/my-app:0123abcd"
skopeo --insecure-policy copy --quiet --dest-tls-verify=false "docker-archive:$work/alpine.tar" "docker://$image"

new_runner a
with=$(jq -nc --arg image "$image" --arg archive "$work/drydock-$target.tar.gz" '{
  "image-ref": $image, "exit-code": "1", "ignore-unfixed": true, "vuln-type": "os,library",
  "format": "template", "template": "@/contrib/sarif.tpl", "output": "trivy-results.sarif",
  "severity": "CRITICAL,HIGH", "release-archive": $archive, "skip-db-update": true}')
out=$(run_action "$with") || true
check "A: the job succeeds" jq -e '._failed == false and ."exit-code" == "0"' <<< "$out"
check "A: SARIF 2.1.0 with a per-image automation id" jq -e \
  '.version == "2.1.0" and (.runs[0].automationDetails.id | startswith("drydock/"))' "$R/workspace/trivy-results.sarif"
check "A: the summary has the severity table" grep -q '^| target | CRITICAL | HIGH' "$R/summary.md"
check "A: the install checked the sha256" grep -q "installed drydock .* sha256 " "$R/log"
check "A: actions/cache keyed by date" grep -qE 'uses actions/cache@v4 with .*"key": "drydock-Linux-[A-Z0-9]+-[0-9]{4}-[0-9]{2}-[0-9]{2}"' "$R/log"

# --- B: a failing gate with on-fail-issue ------------------------------------------------------
new_runner b
mkdir -p "$R/fakebin"
cat > "$R/fakebin/gh" <<SH
#!/usr/bin/env bash
echo "gh \$*" >> "$R/gh.log"
SH
chmod +x "$R/fakebin/gh"
with=$(jq -nc --arg input "$shared/data/images/alpine-3.7.3-minirootfs.tar.gz" \
  --arg archive "$work/drydock-$target.tar.gz" '{
  "input": $input, "exit-code": "1", "severity": "CRITICAL,HIGH", "format": "json",
  "output": "results.json", "on-fail-issue": true, "release-archive": $archive,
  "skip-db-update": true}')
out=$(PATH="$R/fakebin:$PATH" run_action "$with") && code=0 || code=$?
check "B: the job fails" test "$code" = 1
check "B: exit-code output 1, 2 findings" jq -e '."exit-code" == "1" and .findings == "2"' <<< "$out"
check "B: Trivy-shaped JSON with CVE-2019-14697" jq -e \
  '[.Results[].Vulnerabilities[].VulnerabilityID] | index("CVE-2019-14697") != null' "$R/workspace/results.json"
check "B: the summary says failed" grep -q 'failed\*\* (exit code 1)' "$R/summary.md"
check "B: an issue is created for the target" grep -q "gh issue create --repo my-organization/my-app --title drydock: vulnerabilities in" "$R/gh.log"

# --- C: a tampered release archive ------------------------------------------------------------
new_runner c
cp "$work/drydock-$target.tar.gz" "$work/tampered.tar.gz"
printf '0%.0s' $(seq 64) > "$work/tampered.tar.gz.sha256"
with=$(jq -nc --arg archive "$work/tampered.tar.gz" '{"scan-ref": ".", "scan-type": "fs", "release-archive": $archive}')
run_action "$with" > /dev/null && code=0 || code=$?
check "C: the job fails" test "$code" = 1
check "C: sha256 mismatch, nothing installed" grep -q "sha256 mismatch" "$R/log"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Step 3 of the drydock action (on-fail-issue): when the gate failed, keep one open issue per
# target with the findings: create it, or comment on the one already open. Uses the GitHub CLI
# (`gh`, on every hosted runner) with GH_TOKEN.
set -euo pipefail
: "${DRYDOCK_TARGET:?}" "${GITHUB_REPOSITORY:?}"
title="drydock: vulnerabilities in ${DRYDOCK_TARGET}"
body="$RUNNER_TEMP/drydock-issue.md"
{
  echo "The drydock gate failed for \`${DRYDOCK_TARGET}\` in ${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID:-0}."
  echo
  if [ -s "${DRYDOCK_SUMMARY:-}" ]; then cat "$DRYDOCK_SUMMARY"; fi
} > "$body"
existing=$(gh issue list --repo "$GITHUB_REPOSITORY" --state open --search "\"$title\" in:title" \
  --json number,title --jq ".[] | select(.title == \"$title\") | .number" | head -n1)
if [ -n "$existing" ]; then
  gh issue comment "$existing" --repo "$GITHUB_REPOSITORY" --body-file "$body"
  echo "commented on issue #$existing"
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --body-file "$body"
fi

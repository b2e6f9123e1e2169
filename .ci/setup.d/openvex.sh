# A second OpenVEX implementation for the triage export test
# (crates/drydock-triage/tests/it/vex.rs): PyPI's `vexipy` (pydantic models of OpenVEX v0.2.0,
# with the spec's rules: an `affected` statement needs an action statement, a `not_affected` one
# a justification or impact statement) reads what `drydock triage export --format openvex`
# writes. Pinned, in a venv in $CACHE so the step is idempotent; the test finds its Python
# through DRYDOCK_OPENVEX_PYTHON. (The `openvex` crate reads the pre-0.2.0 shape only: its
# `vulnerability` is a string, its products are strings.)
OPENVEX_READER_VERSION=0.3.0
OPENVEX_READER_VENV="$CACHE/openvex-reader"
if ! "$OPENVEX_READER_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('vexipy') != '$OPENVEX_READER_VERSION')" 2>/dev/null; then
  python3 -m venv "$OPENVEX_READER_VENV"
  "$OPENVEX_READER_VENV/bin/pip" install --quiet "vexipy==$OPENVEX_READER_VERSION"
fi
export DRYDOCK_OPENVEX_PYTHON="$OPENVEX_READER_VENV/bin/python"

# drydock-attest: an independent DSSE/ECDSA implementation to verify drydock's envelopes with
# (crates/drydock/tests/it/attest.rs): PyPI `securesystemslib` (its `dsse.Envelope.verify`) on
# `cryptography`. A venv in $CACHE keeps it idempotent; the test finds it through
# DRYDOCK_ATTEST_PYTHON. `openssl` makes the keys the tests sign with (as users make theirs).
ATTEST_SSLIB=1.6.0
ATTEST_VENV="$CACHE/attest-python"
if ! "$ATTEST_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('securesystemslib') != '$ATTEST_SSLIB')" 2>/dev/null; then
  python3 -m venv "$ATTEST_VENV"
  "$ATTEST_VENV/bin/pip" install --quiet "securesystemslib[crypto]==$ATTEST_SSLIB"
fi
export DRYDOCK_ATTEST_PYTHON="$ATTEST_VENV/bin/python"
apt_need openssl openssl

# drydock-report: the official JSON schemas its tests validate the sarif, cyclonedx and
# spdx-json outputs against, and Python's `jsonschema` to validate with (Chromium for the HTML
# screenshot tests: chromium.sh). Schemas come from registry packages that ship them:
# - CycloneDX 1.6 (+ the spdx and jsf schemas it references): PyPI `cyclonedx-python-lib`
# - SPDX 2.3: the crate `serde-spdx` (its `schemas/spdx_2_3.json` is spdx-spec's schema)
# - SARIF 2.1.0: the crate `serde-sarif` (its `src/schema.json` is OASIS's final schema)
# Crates are fetched with cargo into a throwaway manifest and unpacked from cargo's cache; no
# crate is built. The tests find everything through the exported variables.
REPORT_DIR="$CACHE/report-schemas"
REPORT_CDX_LIB=11.12.0
REPORT_JSONSCHEMA=4.26.0
mkdir -p "$REPORT_DIR"
if ! "$REPORT_DIR/venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('jsonschema') != '$REPORT_JSONSCHEMA')" 2>/dev/null; then
  python3 -m venv "$REPORT_DIR/venv"
  "$REPORT_DIR/venv/bin/pip" install --quiet "jsonschema==$REPORT_JSONSCHEMA"
fi
if [ ! -s "$REPORT_DIR/cyclonedx/bom-1.6.schema.json" ]; then
  rm -rf "$REPORT_DIR/wheel" && mkdir -p "$REPORT_DIR/wheel" "$REPORT_DIR/cyclonedx"
  "$REPORT_DIR/venv/bin/pip" download --quiet --no-deps "cyclonedx-python-lib==$REPORT_CDX_LIB" -d "$REPORT_DIR/wheel"
  "$REPORT_DIR/venv/bin/python" - "$REPORT_DIR" <<'PY'
import glob, sys, zipfile
root = sys.argv[1]
wheel = glob.glob(f"{root}/wheel/cyclonedx_python_lib-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("bom-1.6", "spdx", "jsf-0.82"):
        data = z.read(f"cyclonedx/schema/_res/{name}.SNAPSHOT.schema.json")
        open(f"{root}/cyclonedx/{name}.schema.json", "wb").write(data)
PY
fi
if [ ! -s "$REPORT_DIR/spdx-2.3.schema.json" ] || [ ! -s "$REPORT_DIR/sarif-2.1.0.schema.json" ]; then
  mkdir -p "$REPORT_DIR/fetch/src"
  cat > "$REPORT_DIR/fetch/Cargo.toml" <<'TOML'
[package]
name = "drydock-report-schema-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
serde-spdx = "=0.10.0"
serde-sarif = "=0.8.0"
TOML
  : > "$REPORT_DIR/fetch/src/lib.rs"
  (cd "$REPORT_DIR/fetch" && cargo fetch --quiet)
  CRATES="${CARGO_HOME:-$HOME/.cargo}/registry/cache"
  tar -xzf "$(ls "$CRATES"/*/serde-spdx-0.10.0.crate | head -n1)" -O serde-spdx-0.10.0/schemas/spdx_2_3.json > "$REPORT_DIR/spdx-2.3.schema.json"
  tar -xzf "$(ls "$CRATES"/*/serde-sarif-0.8.0.crate | head -n1)" -O serde-sarif-0.8.0/src/schema.json > "$REPORT_DIR/sarif-2.1.0.schema.json"
fi
export DRYDOCK_SCHEMA_PYTHON="$REPORT_DIR/venv/bin/python"
export DRYDOCK_CYCLONEDX_SCHEMA_DIR="$REPORT_DIR/cyclonedx"
export DRYDOCK_SPDX_SCHEMA="$REPORT_DIR/spdx-2.3.schema.json"
export DRYDOCK_SARIF_SCHEMA="$REPORT_DIR/sarif-2.1.0.schema.json"

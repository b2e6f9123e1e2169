# drydock-forge: GitHub's published REST description and recorded api.github.com exchanges,
# the contract the fake forge's GitHub dialect and drydock's requests are checked against
# (crates/drydock-forge/tests/it/octokit.rs). Both are npm packages, pinned; they install into
# $CACHE/forge-npm once. The tests find them through DRYDOCK_OCTOKIT_DIR (its node_modules).
apt_need node nodejs
apt_need npm npm
apt_install_needed
FORGE_OPENAPI=23.0.2
FORGE_FIXTURES=23.1.2
FORGE_NPM="$CACHE/forge-npm"
if [ "$(node -p "require('$FORGE_NPM/node_modules/@octokit/openapi/package.json').version" 2>/dev/null)" != "$FORGE_OPENAPI" ] \
  || [ "$(node -p "require('$FORGE_NPM/node_modules/@octokit/fixtures/package.json').version" 2>/dev/null)" != "$FORGE_FIXTURES" ]; then
  mkdir -p "$FORGE_NPM"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$FORGE_NPM" \
    "@octokit/openapi@$FORGE_OPENAPI" "@octokit/fixtures@$FORGE_FIXTURES" >/dev/null
fi
export DRYDOCK_OCTOKIT_DIR="$FORGE_NPM/node_modules/@octokit"

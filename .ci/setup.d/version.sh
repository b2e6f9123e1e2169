# drydock-version: the reference implementations its differential tests compare against
# (crates/drydock-version/tests/it/differential.rs). Each test fails under CI when its tool is
# missing, so every install here is needed.
apt_need dpkg dpkg
apt_need rpm rpm                 # rpm.vercmp through `rpm --eval '%{lua: …}'`
apt_need unzip unzip             # reads the OSV feed zips
apt_need node nodejs
apt_need npm npm
apt_need java default-jre-headless
apt_need mvn maven               # ships maven-artifact (ComparableVersion)
/usr/bin/python3 -c 'import apt_pkg' 2>/dev/null || APT_NEEDED+=(python3-apt)  # dpkg's algorithm, batched
apt_install_needed

VERSION_PACKAGING=25.0
VERSION_NPM_SEMVER=7.7.3
VERSION_VENV="$CACHE/version-packaging"
if ! "$VERSION_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('packaging') != '$VERSION_PACKAGING')" 2>/dev/null; then
  python3 -m venv "$VERSION_VENV"
  "$VERSION_VENV/bin/pip" install --quiet "packaging==$VERSION_PACKAGING"
fi
export DRYDOCK_PACKAGING_PYTHON="$VERSION_VENV/bin/python"

if [ "$(node -p "require('$CACHE/npm/node_modules/semver/package.json').version" 2>/dev/null)" != "$VERSION_NPM_SEMVER" ]; then
  npm install --silent --prefix "$CACHE/npm" "semver@$VERSION_NPM_SEMVER" >/dev/null
fi
export DRYDOCK_NPM_SEMVER="$CACHE/npm"

export DRYDOCK_APT_PYTHON=/usr/bin/python3
export DRYDOCK_MAVEN_ARTIFACT=/usr/share/maven/lib/maven-artifact-3.x.jar

# The Debian status file of the corpus image (every version in it is a test input).
VERSION_CORPUS="$CACHE/corpus"
if [ ! -f "$VERSION_CORPUS/work/l1-debian/var/lib/dpkg/status" ]; then
  "$SHARED/corpus/build-images.sh" "$VERSION_CORPUS" >/dev/null
fi
export DRYDOCK_DEBIAN_STATUS="$VERSION_CORPUS/work/l1-debian/var/lib/dpkg/status"

# Sourced by .ci/run (and usable by hand: `SHARED=../shared CACHE=/tmp/x . .ci/setup.sh`): installs
# the Debian packages, PyPI/npm packages and peer tools the tests use, builds fixtures once into
# $CACHE, and exports where the tests find them. Every step is idempotent, so a warm machine skips
# the slow ones. One file per concern in .ci/setup.d/, sourced in name order.
APT_NEEDED=()
apt_need() { # apt_need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || APT_NEEDED+=("$2")
}
apt_install_needed() {
  if [ ${#APT_NEEDED[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_NEEDED[@]}" >/dev/null
    APT_NEEDED=()
  fi
}
"$SHARED/peers/install.sh" "$CACHE/peers" >/dev/null
export DRYDOCK_PEERS="$CACHE/peers"
export DRYDOCK_SHARED="$SHARED"
for f in .ci/setup.d/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck disable=SC1090
  . "$f"
done
apt_install_needed

# Sourced by .ci/run (and usable by hand): installs the Debian packages and peer tools the tests
# use, builds the corpus image once into $CACHE, and exports where the tests find them.
# Every step is idempotent, so a warm machine skips the slow ones.
need_apt=()
command -v dpkg >/dev/null || need_apt+=(dpkg)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
"$SHARED/peers/install.sh" "$CACHE/peers" >/dev/null
export DRYDOCK_PEERS="$CACHE/peers"

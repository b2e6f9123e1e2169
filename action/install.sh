#!/usr/bin/env bash
# Step 1 of the drydock action: install the release binary for this runner and say where the
# caches live. Reads RUNNER_OS/RUNNER_ARCH/RUNNER_TEMP and the GITHUB_* files a runner sets;
# inputs come as INPUT_* (see action.yml). The archive's sha256 is checked against the
# `.sha256` file published beside it before anything is unpacked.
set -euo pipefail

die() { echo "::error title=drydock::$*" >&2; exit 1; }

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  *) die "no drydock release for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?} (Linux and macOS, X64 and ARM64)" ;;
esac
: "${RUNNER_TEMP:?RUNNER_TEMP is not set (not on a GitHub runner?)}"
: "${GITHUB_OUTPUT:?}" "${GITHUB_ENV:?}" "${GITHUB_PATH:?}"

asset="drydock-${target}.tar.gz"
work="$RUNNER_TEMP/drydock-install"
rm -rf "$work" && mkdir -p "$work/bin"

if [ -n "${INPUT_RELEASE_ARCHIVE:-}" ]; then
  [ -f "$INPUT_RELEASE_ARCHIVE" ] || die "release-archive \`$INPUT_RELEASE_ARCHIVE\` does not exist"
  [ -f "$INPUT_RELEASE_ARCHIVE.sha256" ] || die "no \`$INPUT_RELEASE_ARCHIVE.sha256\` beside the release archive"
  cp "$INPUT_RELEASE_ARCHIVE" "$work/$asset"
  cp "$INPUT_RELEASE_ARCHIVE.sha256" "$work/$asset.sha256"
else
  repo="${ACTION_REPOSITORY:-${GITHUB_REPOSITORY:-}}"
  [ -n "$repo" ] || die "cannot tell which repository publishes drydock releases"
  base="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases"
  case "${INPUT_VERSION:-latest}" in
    latest) url="$base/latest/download/$asset" ;;
    *) url="$base/download/$INPUT_VERSION/$asset" ;;
  esac
  curl --fail --silent --show-error --location --retry 3 -o "$work/$asset" "$url" \
    || die "downloading $url failed"
  curl --fail --silent --show-error --location --retry 3 -o "$work/$asset.sha256" "$url.sha256" \
    || die "downloading $url.sha256 failed"
fi

expected=$(awk 'NR==1 {print $1}' "$work/$asset.sha256")
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$asset" | awk '{print $1}')
else
  actual=$(shasum -a 256 "$work/$asset" | awk '{print $1}')
fi
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "\`$asset.sha256\` holds no sha256"
[ "$expected" = "$actual" ] || die "sha256 mismatch for $asset: expected $expected, got $actual (not installed)"

tar -xzf "$work/$asset" -C "$work/bin" --strip-components=1 || die "cannot unpack $asset"
[ -x "$work/bin/drydock" ] || die "$asset holds no drydock binary"
version=$("$work/bin/drydock" --version | awk 'NR==1 {print $2}')
echo "$work/bin" >> "$GITHUB_PATH"

# The DB and the layer cache live in one directory, cached between runs by actions/cache.
cache="$RUNNER_TEMP/drydock"
mkdir -p "$cache/db" "$cache/cache"
{
  echo "DRYDOCK_CACHE_DIR=$cache/cache"
  echo "DRYDOCK_DB=$cache/db/drydock.db"
} >> "$GITHUB_ENV"
{
  echo "version=$version"
  echo "cache-dir=$cache"
  echo "date=$(date -u +%Y-%m-%d)"
  echo "bin=$work/bin/drydock"
} >> "$GITHUB_OUTPUT"
echo "installed drydock $version ($target, sha256 $actual)"

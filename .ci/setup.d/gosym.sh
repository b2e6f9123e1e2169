# drydock-gosym's tests compare its function tables with `go tool nm` (Debian's Go, which the
# corpus build installs too) and docs/reachability.md compares verdicts with Debian's
# govulncheck (binary mode).
apt_need go golang-go
apt_need govulncheck govulncheck
# The Rust symbol tests build cargo-auditable binaries (tests/fixtures/make_rust_binaries.sh).
command -v cargo-auditable >/dev/null || cargo install -q --locked cargo-auditable

# drydock-gosym's tests compare its function tables with `go tool nm` (Debian's Go, which the
# corpus build installs too) and docs/reachability.md compares verdicts with Debian's
# govulncheck (binary mode).
apt_need go golang-go
apt_need govulncheck govulncheck

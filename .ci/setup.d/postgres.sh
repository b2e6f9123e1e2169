# The history store's PostgreSQL backend (drydock-store, drydock-fleet, triage, forge, serve tests):
# Debian's `postgresql` server binaries. Each test process starts its own throwaway cluster
# (initdb + pg_ctl as the `postgres` user on a free loopback port, see
# crates/drydock-store/tests/pg_cluster.rs); nothing runs between test runs.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  APT_NEEDED+=(postgresql)
fi
apt_need psql postgresql-client
apt_need runuser util-linux

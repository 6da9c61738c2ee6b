#!/usr/bin/env bash
# For CI and for anyone who wants the PostgreSQL half of `make test`: installs PostgreSQL from
# Debian when it is missing, starts its cluster, and makes the role the tests use
# (TEST_POSTGRES_URL in the Makefile). Safe to run again.
set -euo pipefail
ROLE=startrip_test
PASSWORD=startrip_test
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
  echo "installing from Debian: postgresql"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main "; then
  $SUDO pg_createcluster "$version" main
fi
if ! pg_lsclusters -h | grep -q "^$version main .* online "; then
  $SUDO pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
# The tests make a database per test from a template: the role needs CREATEDB, nothing more.
# Not pg_signal_backend either: tests/databases.py drops a database with a plain DROP DATABASE,
# which ends autovacuum workers in it by itself (WITH (FORCE) would need that role to do so).
# synchronous_commit off for this role only: a test server need not wait for the disk at each
# commit (a crash may lose the last commits, never consistency).
as_postgres psql -q -v ON_ERROR_STOP=1 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
ALTER ROLE $ROLE SET synchronous_commit = off;
SQL
echo "PostgreSQL $version is ready for the tests on 127.0.0.1:5432"

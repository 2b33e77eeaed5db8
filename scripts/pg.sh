#!/usr/bin/env bash
# The project-local PostgreSQL + PostGIS cluster: data in var/pgdata, socket in var/run, no TCP.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user; anyone
# else runs it as themselves. Local socket connections are trusted: the socket directory is the
# only door, and it lives inside the checkout.
#
#   scripts/pg.sh start        initdb if needed, start, create role + database + extensions
#   scripts/pg.sh stop         stop the server
#   scripts/pg.sh status       is it running?
#   scripts/pg.sh psql [args]  a psql shell on the project database
#   scripts/pg.sh dropdb       drop the project database (make demo rebuilds it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PGDATA=$ROOT/var/pgdata
PGRUN=$ROOT/var/run
PGLOG=$ROOT/var/log/postgres.log
DB=${GRIDATLAS_DB_NAME:-gridatlas}
ROLE=${GRIDATLAS_DB_USER:-gridatlas}

PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -n "$PGBIN" ] || PGBIN=$(dirname "$(command -v pg_ctl)")

if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PGUSER_OS=$(id -un)
  as_pg() { "$@"; }
fi

ensure_dirs() {
  mkdir -p "$ROOT/var" "$PGRUN" "$(dirname "$PGLOG")"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$PGUSER_OS" "$PGRUN" "$(dirname "$PGLOG")"
    # postgres must be able to walk into the checkout to reach var/.
    d=$ROOT; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
}

running() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  ensure_dirs
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "==> initialising the local PostgreSQL cluster in var/pgdata"
    mkdir -p "$PGDATA"
    [ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PGDATA/postgresql.conf" <<CONF
# GridAtlas: socket only, sized for a 2-core developer machine.
listen_addresses = ''
unix_socket_directories = '$PGRUN'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
fsync = off               # a disposable development cluster; never for production data
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! running; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null
  fi
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'" | grep -q 1 \
    || psql_admin -qc "CREATE ROLE $ROLE LOGIN SUPERUSER"   # superuser: CREATE EXTENSION postgis, test DBs
  psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
    || psql_admin -qc "CREATE DATABASE $DB OWNER $ROLE"
  psql_admin -d "$DB" -qc "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm;"
}

psql_admin() { "$PGBIN/psql" -h "$PGRUN" -U postgres -v ON_ERROR_STOP=1 "$@"; }

case "${1:-}" in
  start) start ;;
  stop) if running; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi; echo "PostgreSQL stopped" ;;
  status) if running; then echo "running (socket $PGRUN)"; else echo "stopped"; exit 3; fi ;;
  psql) shift; start; exec "$PGBIN/psql" -h "$PGRUN" -U "$ROLE" -d "$DB" "$@" ;;
  dropdb) start; psql_admin -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; start ;;
  *) echo "usage: scripts/pg.sh start|stop|status|psql|dropdb" >&2; exit 2 ;;
esac

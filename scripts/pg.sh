#!/usr/bin/env bash
# The project-local PostgreSQL + PostGIS cluster: data in var/pgdata, socket in var/run, no TCP.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user; anyone
# else runs it as themselves.
#
# Other OS users on the machine are kept out twice: the socket directory (and var/log, var/pgdata,
# var/secrets) is 0700, owned by the server's OS user (root, running the app, passes anyway), and
# nothing is trusted: the admin role `postgres` answers only to the server's OS user (peer), the
# app role only to its password (scram-sha-256), generated once into var/secrets/db_password
# (0600), where geo/settings.py reads it. The app role is no superuser: LOGIN and CREATEDB (pytest
# creates its test databases), owner of its database; postgis and pg_trgm are created here by the
# admin, in template1 too, so that every database the app role creates has them.
#
# `start` also upgrades a cluster made by the older script (trust auth, a superuser app role, a
# socket open to all): run it again at any time, it only changes what is not as described above.
#
#   scripts/pg.sh start        initdb if needed, start, secure, create role + database + extensions
#   scripts/pg.sh stop         stop the server
#   scripts/pg.sh status       is it running?
#   scripts/pg.sh psql [args]  a psql shell on the project database, as the app role
#   scripts/pg.sh admin [args] a psql shell as the admin role (extensions, roles)
#   scripts/pg.sh dropdb       drop the project database (make demo rebuilds it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR=$ROOT/var
PGDATA=$VAR/pgdata
PGRUN=$VAR/run
PGLOG=$VAR/log/postgres.log
SECRETS=${GRIDATLAS_SECRETS_DIR:-$VAR/secrets}
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
  mkdir -p "$VAR" "$PGRUN" "$(dirname "$PGLOG")"
  chmod 700 "$PGRUN" "$(dirname "$PGLOG")"
  [ ! -f "$PGLOG" ] || chmod 600 "$PGLOG"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$PGUSER_OS" "$PGRUN" "$(dirname "$PGLOG")"
    [ ! -f "$PGLOG" ] || chown "$PGUSER_OS" "$PGLOG"
    # postgres must be able to walk into the checkout to reach var/pgdata: search (x) only, on
    # var/ too; what lies behind is closed by the 0700 directories and by the authentication.
    chmod 711 "$VAR"
    d=$ROOT; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
}

running() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

# Writes $1 (a file in PGDATA, as the server's OS user) when its content differs from stdin;
# returns 0 when it changed.
conf_put() {
  local file=$PGDATA/$1 new
  new=$(cat)
  if [ -f "$file" ] && [ "$(cat "$file")" = "$new" ]; then return 1; fi
  printf '%s\n' "$new" | as_pg tee "$file" >/dev/null
  chmod 600 "$file"
}

# Authentication, on a new cluster and on one made by the older script (which trusted every
# local connection). Only the unix socket exists (listen_addresses = ''), hence no host lines.
secure_auth() {
  local changed=1
  conf_put pg_hba.conf <<HBA && changed=0
# GridAtlas (scripts/pg.sh writes this file): unix socket only, nothing trusted.
# TYPE  DATABASE  USER      METHOD
local   all       postgres  peer map=gridatlas_admin
local   all       all       scram-sha-256
HBA
  conf_put pg_ident.conf <<IDENT && changed=0
# GridAtlas (scripts/pg.sh writes this file): the OS user that runs the server is the admin.
# MAPNAME         SYSTEM-USERNAME  PG-USERNAME
gridatlas_admin   $PGUSER_OS       postgres
IDENT
  return $changed
}

start() {
  ensure_dirs
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "==> initialising the local PostgreSQL cluster in var/pgdata"
    mkdir -p "$PGDATA"
    [ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=reject \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat <<CONF | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
# GridAtlas: socket only, sized for a 2-core developer machine.
listen_addresses = ''
unix_socket_directories = '$PGRUN'
password_encryption = scram-sha-256
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
fsync = off               # a disposable development cluster; never for production data
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if secure_auth && running; then
    echo "==> authentication changed (peer for the admin, a password for $ROLE): reloading"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" reload >/dev/null
  fi
  if ! running; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null
  fi
  bash scripts/secrets.sh db_password
  roles_and_databases
}

# Idempotent: creates what is missing and demotes an app role the older script made superuser.
# Fed on stdin, so the password never appears in a process list.
roles_and_databases() {
  local password
  password=$(cat "$SECRETS/db_password")
  psql_admin -q -d postgres <<SQL
SET client_min_messages = warning;
SELECT 'CREATE ROLE $ROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD '$password';
SELECT 'CREATE DATABASE $DB OWNER $ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
ALTER DATABASE $DB OWNER TO $ROLE;
\c template1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
\c $DB
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
}

# The admin role by peer authentication: as the server's OS user.
psql_admin() { as_pg "$PGBIN/psql" -h "$PGRUN" -U postgres -v ON_ERROR_STOP=1 "$@"; }

case "${1:-}" in
  start) start ;;
  stop) if running; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi; echo "PostgreSQL stopped" ;;
  status) if running; then echo "running (socket $PGRUN)"; else echo "stopped"; exit 3; fi ;;
  psql)
    shift; start
    PGPASSWORD=$(cat "$SECRETS/db_password") exec "$PGBIN/psql" -h "$PGRUN" -U "$ROLE" -d "$DB" "$@" ;;
  admin) shift; start; psql_admin -d "$DB" "$@" ;;
  dropdb) start; psql_admin -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; start ;;
  *) echo "usage: scripts/pg.sh start|stop|status|psql|admin|dropdb" >&2; exit 2 ;;
esac

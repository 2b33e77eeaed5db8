#!/usr/bin/env bash
# The secrets GridAtlas generates for itself, one file each in var/secrets/ (or
# $GRIDATLAS_SECRETS_DIR): the directory 0700 and every file 0600, owned by the user that runs the
# app, made once and then kept (a new SECRET_KEY would sign everyone out; a new database password
# would have to be given to the server too). geo/settings.py reads them.
#
#   scripts/secrets.sh              ensure secret_key (Django's SECRET_KEY)
#   scripts/secrets.sh NAME...      ensure these (scripts/pg.sh asks for db_password)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${GRIDATLAS_SECRETS_DIR:-var/secrets}
umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"
[ $# -gt 0 ] || set -- secret_key
for name in "$@"; do
  file=$DIR/$name
  if [ ! -s "$file" ]; then
    # 48 random bytes as 64 URL-safe characters: no quote, colon or slash to escape in SQL,
    # a pgpass line or a DATABASE_URL. Written beside, then hard-linked into place: never seen
    # half-written, and when two processes race (app and worker containers) the first one wins.
    tmp=$(mktemp "$DIR/.$name.XXXXXX")
    head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' >"$tmp"
    ln "$tmp" "$file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  chmod 600 "$file"
done

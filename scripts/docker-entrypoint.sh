#!/usr/bin/env bash
# The app image's entrypoint (Dockerfile): unless DJANGO_SECRET_KEY is given, the SECRET_KEY is
# generated on the first start into $GRIDATLAS_SECRETS_DIR (a volume in docker-compose.yml, so it
# survives rebuilds and the worker shares it), then the command runs.
set -euo pipefail
[ -n "${DJANGO_SECRET_KEY:-}" ] || bash "$(dirname "$0")/secrets.sh" secret_key
exec "$@"

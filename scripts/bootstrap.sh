#!/usr/bin/env bash
# Installs what GridAtlas needs on a Debian 12 machine and builds the virtualenv.
# Idempotent and quick on a second run: each step checks before it works.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib
  gdal-bin libgdal32 libgeos-c1v5 libproj25   # the C libraries GeoDjango loads by ctypes
  nodejs npm                                   # vendors OpenLayers/MapLibre from npm; node --test runs tests/js
  chromium fonts-noto-cjk                      # browser tests and readable Chinese in screenshots
  gettext                                      # msgfmt: compilemessages builds the Chinese UI
)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# node/npm may come from elsewhere (nvm, nodesource): only ask apt when the commands are missing.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.installed-pyproject
if [ ! -f "$stamp" ] || ! cmp -s pyproject.toml "$stamp"; then
  echo "==> installing Python packages into .venv"
  .venv/bin/pip install -q -U pip
  .venv/bin/pip install -q -e ".[test]"
  cp pyproject.toml "$stamp"
fi

bash scripts/vendor_js.sh

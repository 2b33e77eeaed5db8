#!/usr/bin/env bash
# Copies the browser libraries from the npm registry into static files, so that no page ever loads
# from a CDN: government intranets have none. Versions are pinned in package.json/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=geo/static/vendor
stamp=$dest/.package-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then exit 0; fi
echo "==> vendoring browser libraries from npm"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$dest/ol" "$dest/maplibre-gl" "$dest/leaflet"
cp node_modules/ol/dist/ol.js "$dest/ol/ol.js"
cp node_modules/ol/ol.css "$dest/ol/ol.css"
cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css \
   node_modules/maplibre-gl/LICENSE.txt "$dest/maplibre-gl/"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
   node_modules/leaflet/LICENSE "$dest/leaflet/"
# Terra Draw (MIT; the npm packages ship no licence file, their package.json says so).
mkdir -p "$dest/terra-draw"
cp node_modules/terra-draw/dist/terra-draw.umd.js \
   node_modules/terra-draw-maplibre-gl-adapter/dist/terra-draw-maplibre-gl-adapter.umd.js "$dest/terra-draw/"
for pkg in terra-draw terra-draw-maplibre-gl-adapter; do
  node -e "const p=require('./node_modules/$pkg/package.json');console.log(p.name+' '+p.version+': '+p.license+' licence, '+(p.author||'')+' '+(p.repository&&p.repository.url||''))"
done > "$dest/terra-draw/LICENSE.txt"
cp package-lock.json "$stamp"

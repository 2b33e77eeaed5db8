/* MapLibre on GridAtlas's own style with nothing from the internet, for every map page.
 * style.json names a glyphs URL (the style spec wants one for text) that serves nothing: it is
 * dropped here, so MapLibre draws every label with the browser's fonts (CJK through
 * localIdeographFontFamily) instead of asking for glyph ranges that 404. The served style is
 * validated as is by the tests. `layers(styleLayers)`, if given, adapts the style's layers. */
window.gridatlasOfflineMap = function (options, styleUrl, layers) {
  "use strict";
  const map = new maplibregl.Map({
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', " +
      "'Microsoft YaHei', 'Source Han Sans SC', sans-serif",
    attributionControl: { compact: true },
    ...options,
  });
  map.setStyle(styleUrl, {
    validate: false,
    transformStyle: (_previous, next) => ({
      ...next,
      glyphs: undefined,
      layers: layers ? layers(next.layers) : next.layers,
    }),
  });
  return map;
};

/* The maps' home view (the city profile's centre and zoom, geo/city_profile.py) from the map
 * element's data-map-centre="lon,lat" and data-map-zoom, as MapLibre options: the page data,
 * never restated in a script. */
window.gridatlasMapHome = function (el) {
  "use strict";
  const centre = (el.dataset.mapCentre || "").split(",").map(Number);
  const zoom = Number(el.dataset.mapZoom);
  if (centre.length !== 2 || !centre.every(Number.isFinite) || !el.dataset.mapZoom || !Number.isFinite(zoom)) {
    throw new Error(`the map needs data-map-centre and data-map-zoom, got ${el.dataset.mapCentre} and ${el.dataset.mapZoom}`);
  }
  return { center: centre, zoom };
};

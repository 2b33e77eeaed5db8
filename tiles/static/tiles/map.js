/* GridAtlas map page: MapLibre on /tiles/style.json, with search-as-you-type, zoom-to, a
 * legend built from the style's metadata groups, hover and click cards. Same-origin only. */
(function () {
  "use strict";

  const el = document.getElementById("map");
  const T = JSON.parse(document.getElementById("map-strings").textContent);
  const SOURCE = "gridatlas";
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  const status = (text) => { document.getElementById("map-status").textContent = text || ""; };

  const bounds = JSON.parse(el.dataset.bounds);
  // Layers a pointer can pick, topmost first (layers/catalogue.py PICK_ORDER).
  const PICK_ORDER = JSON.parse(el.dataset.pickOrder);
  const map = gridatlasOfflineMap({
    container: el,
    bounds: bounds[0] > -180 ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    fitBoundsOptions: { padding: 24 },
    hash: true,
  }, el.dataset.styleUrl);
  window.gridatlasMap = map; // for tests and the console
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");

  /* ---- legend and toggles, from the style's metadata groups ---- */
  function buildLegend() {
    const groups = (map.getStyle().metadata || {})["gridatlas:groups"] || [];
    const styleLayers = map.getStyle().layers;
    const list = document.getElementById("legend");
    list.replaceChildren();
    for (const g of groups) {
      const ids = styleLayers
        .filter((l) => (l.metadata || {})["gridatlas:group"] === g.key)
        .map((l) => l.id);
      if (!ids.length) continue;
      const li = document.createElement("li");
      li.dataset.group = g.key;
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", () => {
        for (const id of ids) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
      });
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = g.color;
      const name = document.createElement("span");
      name.textContent = T.layers[g.key] || g.title;
      const zoom = document.createElement("small");
      const minzoom = Math.min(...styleLayers.filter((l) => ids.includes(l.id)).map((l) => l.minzoom || 0));
      zoom.textContent = "z" + minzoom + "+";
      zoom.title = "zoom ≥ " + minzoom;
      label.append(box, swatch, name, zoom);
      li.append(label);
      list.append(li);
    }
    updateLegendZoom();
  }
  function updateLegendZoom() {
    const z = map.getZoom();
    for (const li of document.querySelectorAll("#legend li")) {
      const min = parseInt(li.querySelector("small").textContent.slice(1), 10);
      li.classList.toggle("out-of-zoom", z < min);
    }
  }

  /* ---- picking: hover tooltip and click card ---- */
  function pickable() {
    return map.getStyle().layers.filter((l) => l.source === SOURCE && l.type !== "symbol" &&
      l.type !== "line" && map.getLayoutProperty(l.id, "visibility") !== "none").map((l) => l.id);
  }
  function topFeature(point) {
    const found = map.queryRenderedFeatures(point, { layers: pickable() });
    let best = null;
    for (const f of found) {
      const rank = PICK_ORDER.indexOf(f.sourceLayer);
      if (rank >= 0 && (best === null || rank < best.rank)) best = { rank, f };
    }
    return best && best.f;
  }
  const tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 12,
    className: "map-tooltip", maxWidth: "260px" });
  function tooltipText(f) {
    const p = f.properties;
    const title = T.layers[f.sourceLayer] || f.sourceLayer;
    const name = p.name || T.zoomForName;
    let line = title + " · " + name;
    if (p.households !== undefined) line += " · " + fmt(T.households, { n: p.households });
    if (p.load) line += " · " + (T.load[p.load] || p.load);
    return line;
  }
  map.on("mousemove", (e) => {
    const f = topFeature(e.point);
    map.getCanvas().style.cursor = f ? "pointer" : "";
    if (!f) { tooltip.remove(); return; }
    tooltip.setLngLat(e.lngLat).setText(tooltipText(f)).addTo(map);
  });
  map.on("mouseout", () => tooltip.remove());
  map.on("click", (e) => {
    const f = topFeature(e.point);
    if (!f) { closeCard(); return; }
    select(f.sourceLayer, f.id);
  });

  /* ---- selection: highlight + card from the API ---- */
  const HIGHLIGHT = "selection-highlight";
  function highlight(kind, id) {
    if (map.getLayer(HIGHLIGHT)) map.removeLayer(HIGHLIGHT);
    if (kind === null) return;
    const point = kind === "stations" || kind === "units";
    map.addLayer(point ? {
      id: HIGHLIGHT, type: "circle", source: SOURCE, "source-layer": kind,
      filter: ["==", ["id"], id],
      paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#ffd400",
        "circle-stroke-width": 3 },
    } : {
      id: HIGHLIGHT, type: "line", source: SOURCE, "source-layer": kind,
      filter: ["==", ["id"], id],
      paint: { "line-color": "#ffd400", "line-width": 4, "line-opacity": 0.95 },
    });
  }
  const card = document.getElementById("feature-card");
  const part = (role) => card.querySelector(`[data-role="${role}"]`);
  function closeCard() {
    card.hidden = true;
    highlight(null);
  }
  part("close").addEventListener("click", closeCard);
  function factValue(key, value) {
    if (key === "load") return T.load[value] || value;
    if (value === true) return T.yes;
    if (value === false) return T.no;
    if (typeof value === "number") return value.toLocaleString();
    return value === "" ? "—" : String(value);
  }
  async function select(kind, id, { fit = false } = {}) {
    highlight(kind, id);
    card.hidden = false;
    part("kind").textContent = T.layers[kind] || kind;
    part("name").textContent = T.loading;
    part("code").textContent = "";
    part("parents").replaceChildren();
    part("facts").replaceChildren();
    const url = el.dataset.featureUrl.replace("KIND", kind).replace(/0$/, String(id));
    let body;
    try {
      const r = await fetch(url, { headers: { Accept: "application/json" } });
      body = await r.json();
      if (!r.ok) throw new Error(body.error || r.statusText);
    } catch (err) {
      part("name").textContent = fmt(T.cardFailed, { error: err.message });
      return;
    }
    card.dataset.kind = kind;
    card.dataset.id = String(id);
    part("name").textContent = body.name;
    part("code").textContent = body.code;
    for (const p of body.parents) {
      const li = document.createElement("li");
      li.textContent = p.name;
      li.title = (T.layers[p.kind] || p.kind) + " " + p.code;
      part("parents").append(li);
    }
    for (const [key, value] of Object.entries(body.facts)) {
      const dt = document.createElement("dt");
      dt.textContent = T.facts[key] || key;
      const dd = document.createElement("dd");
      dd.textContent = factValue(key, value);
      if (key === "load") dd.className = "fact-load-" + value;
      part("facts").append(dt, dd);
    }
    if (fit && body.bbox) flyToBBox(body.bbox);
  }
  function flyToBBox(b) {
    const point = b[0] === b[2] && b[1] === b[3];
    if (point) map.flyTo({ center: [b[0], b[1]], zoom: Math.max(map.getZoom(), 16) });
    else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 17 });
  }

  /* ---- search-as-you-type ---- */
  const input = document.getElementById("place-search");
  const results = document.getElementById("search-results");
  let searchSeq = 0;
  let searchTimer = null;
  let active = -1;
  function showResults(items, q) {
    results.replaceChildren();
    active = -1;
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "search-empty";
      li.textContent = fmt(T.noResults, { q });
      results.append(li);
    }
    items.forEach((hit, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "search-hit-" + i;
      li.dataset.kind = hit.kind;
      li.dataset.id = hit.id;
      li.innerHTML = '<span class="hit-kind"></span><span class="hit-name"></span>' +
        '<span class="hit-context"></span>';
      li.querySelector(".hit-kind").textContent = T.layers[hit.kind] || hit.kind;
      li.querySelector(".hit-name").textContent = hit.name;
      li.querySelector(".hit-context").textContent = hit.context + " · " + hit.code;
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(hit); });
      results.append(li);
    });
    results.hidden = false;
    results._hits = items;
  }
  function choose(hit) {
    results.hidden = true;
    input.value = hit.name;
    flyToBBox(hit.bbox);
    select(hit.kind, hit.id);
  }
  async function runSearch() {
    const q = input.value.trim();
    const seq = ++searchSeq;
    if (!q) { results.hidden = true; return; }
    try {
      const r = await fetch(el.dataset.searchUrl + "?q=" + encodeURIComponent(q));
      const body = await r.json();
      if (seq !== searchSeq) return; // a newer keystroke won
      if (!r.ok) throw new Error(body.error || r.statusText);
      showResults(body.results, q);
    } catch (err) {
      if (seq === searchSeq) status(fmt(T.searchFailed, { error: err.message }));
    }
  }
  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  });
  input.addEventListener("keydown", (e) => {
    const items = [...results.querySelectorAll("[role=option]")];
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) return;
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      input.setAttribute("aria-activedescendant", items[active].id);
    } else if (e.key === "Enter") {
      const hits = results._hits || [];
      if (hits.length) { e.preventDefault(); choose(hits[Math.max(active, 0)]); }
    } else if (e.key === "Escape") {
      results.hidden = true;
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { results.hidden = true; }, 150));

  /* ---- zoom to street / community ---- */
  const streetSelect = document.getElementById("street-select");
  const communitySelect = document.getElementById("community-select");
  const boxes = new Map();
  function fillSelect(select, rows, label) {
    select.length = 1;
    for (const row of rows) {
      boxes.set(row.code, row.bbox);
      select.add(new Option(label(row), row.code));
    }
  }
  fetch(el.dataset.divisionsUrl).then((r) => r.json()).then((body) => {
    fillSelect(streetSelect, body.divisions, (s) => s.district + " · " + s.name);
  });
  streetSelect.addEventListener("change", async () => {
    const code = streetSelect.value;
    communitySelect.length = 1;
    communitySelect.disabled = !code;
    if (!code) return;
    flyToBBox(boxes.get(code));
    const r = await fetch(el.dataset.divisionsUrl + "?street=" + encodeURIComponent(code));
    const body = await r.json();
    fillSelect(communitySelect, body.divisions, (c) => c.name);
  });
  communitySelect.addEventListener("change", () => {
    if (communitySelect.value) flyToBBox(boxes.get(communitySelect.value));
  });

  /* ---- download: the chosen layer, format and CRS, scoped to the zoom-to choice ---- */
  const dl = {
    layer: document.getElementById("download-layer"),
    format: document.getElementById("download-format"),
    crs: document.getElementById("download-crs"),
    link: document.getElementById("download-link"),
    scope: document.getElementById("download-scope"),
  };
  function updateDownload() {
    // KML is WGS84 by definition; GCJ-02 has no CRS a Shapefile or GeoPackage could declare.
    const kml = dl.format.value === "kml";
    if (kml) dl.crs.value = "wgs84";
    dl.crs.disabled = kml;
    const noGcj = ["shp", "gpkg"].includes(dl.format.value);
    dl.crs.querySelector("option[value=gcj02]").disabled = noGcj;
    if (noGcj && dl.crs.value === "gcj02") dl.crs.value = "wgs84";
    const params = new URLSearchParams({ crs: dl.crs.value });
    const chosen = communitySelect.value ? communitySelect : streetSelect;
    if (chosen.value) params.set(chosen === communitySelect ? "community" : "street", chosen.value);
    dl.scope.textContent = chosen.value
      ? chosen.options[chosen.selectedIndex].text : dl.link.dataset.city;
    dl.link.href = dl.link.dataset.url.replace("LAYER", dl.layer.value)
      .replace("FMT", dl.format.value) + "?" + params;
  }
  for (const select of [dl.layer, dl.format, dl.crs, streetSelect, communitySelect]) {
    select.addEventListener("change", updateDownload);
  }
  updateDownload();

  map.on("load", () => {
    buildLegend();
    el.dataset.ready = "true";
  });
  map.on("zoomend", updateLegendZoom);
  map.on("error", (e) => status(e.error && e.error.message));
})();

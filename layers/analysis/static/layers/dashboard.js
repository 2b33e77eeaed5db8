/* The coverage dashboard: headline figures, a coverage table, a map (community choropleth, the
 * uncovered-households heatmap, proposed sites) and the gap lists, all from /api/analysis/…,
 * re-read when a filter changes. Same-origin requests only. */
(function () {
  "use strict";

  const root = document.getElementById("dashboard");
  const T = JSON.parse(document.getElementById("dashboard-strings").textContent);
  const API = root.dataset.api;
  // Rows a gap tab lists (GRIDATLAS_DASHBOARD_LIST_ROWS); its count is always the server's total.
  const LIST_ROWS = Number(root.dataset.listRows) || 500;
  const $ = (id) => document.getElementById(id);
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
  const pct = (p) => (p === null || p === undefined ? "—" : p.toFixed(1) + "%");
  // Coverage classes (share of households within walking distance), as the legend shows them.
  const CLASSES = [[90, "#1a9850"], [75, "#91cf60"], [50, "#fee08b"], [25, "#fc8d59"], [0, "#d73027"]];
  const classColour = (p) => (CLASSES.find(([floor]) => p >= floor) || CLASSES[4])[1];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c));
    return node;
  }
  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }
  function filters() {
    const f = { distance: $("f-distance").value };
    if ($("f-level").value) f.level = $("f-level").value;
    if ($("f-street").value) f.street = $("f-street").value;
    else if ($("f-district").value) f.district = $("f-district").value;
    return f;
  }
  const query = (extra) => new URLSearchParams({ ...filters(), ...(extra || {}) }).toString();

  /* ---- the map ---- */
  const bounds = JSON.parse(root.dataset.bounds);
  // The dashboard shows boundaries and stations only (grids unfilled), under its own layers.
  const map = gridatlasOfflineMap({
    container: "dash-map",
    bounds: bounds[0] > -180 ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    fitBoundsOptions: { padding: 20 },
  }, root.dataset.styleUrl, (layers) => layers
    .filter((l) => !/^(buildings|compounds|roads|units|microgrids)-/.test(l.id))
    .map((l) => (l.id === "grids-fill" ? { ...l, paint: { ...l.paint, "fill-opacity": 0 } } : l)));
  window.gridatlasDashboardMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  const mapReady = new Promise((resolve) => map.on("load", resolve));
  mapReady.then(() => {
    map.addSource("heatmap", { type: "image", url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
      coordinates: [[0, 1], [1, 1], [1, 0], [0, 0]] });
    map.addSource("sites", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const before = map.getLayer("grids-line") ? "grids-line" : undefined;
    map.addLayer({ id: "coverage-fill", type: "fill", source: "gridatlas", "source-layer": "communities",
      paint: { "fill-color": "#cccccc", "fill-opacity": 0.55 } }, before);
    map.addLayer({ id: "heatmap-image", type: "raster", source: "heatmap",
      paint: { "raster-opacity": 0.75, "raster-resampling": "nearest" } }, before);
    map.addLayer({ id: "sites-circle", type: "circle", source: "sites",
      paint: { "circle-radius": 9, "circle-color": "#1565c0", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "sites-rank", type: "symbol", source: "sites",
      layout: { "text-field": ["to-string", ["get", "rank"]], "text-size": 11, "text-allow-overlap": true },
      paint: { "text-color": "#ffffff" } });
    for (const [box, layers] of [["t-choropleth", ["coverage-fill"]], ["t-heatmap", ["heatmap-image"]],
      ["t-siting", ["sites-circle", "sites-rank"]]]) {
      $(box).addEventListener("change", () => {
        for (const id of layers) map.setLayoutProperty(id, "visibility", $(box).checked ? "visible" : "none");
      });
    }
    root.dataset.mapReady = "true";
  });
  function flyTo(b) {
    if (b[0] === b[2] && b[1] === b[3]) map.flyTo({ center: [b[0], b[1]], zoom: 16 });
    else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 16 });
  }
  async function zoomToCode(code) {
    const body = await getJSON("/api/search?" + new URLSearchParams({ q: code, limit: 1 }));
    if (body.results.length) flyTo(body.results[0].bbox);
  }
  function legend(heat) {
    const box = $("dash-legend");
    box.replaceChildren(el("div", { class: "row" }, el("b", {}, fmt(T.coverageWithin, { m: filters().distance }))));
    for (const [floor, colour] of CLASSES) {
      box.append(el("div", { class: "row" }, el("span", { class: "sw", style: "background:" + colour }), "≥ " + floor + "%"));
    }
    if (heat) {
      box.append(el("div", { class: "row" }, el("span", { class: "ramp" }),
        fmt(T.heatmapMax, { n: num(Math.round(heat.max)) })));
    }
    box.append(el("div", { class: "row" }, el("span", { class: "sw", style: "background:#1565c0;border-radius:50%" }), T.proposedSite));
  }

  /* ---- headline figures ---- */
  const levelLabel = (v) => ([...$("f-level").options].find((o) => o.value === v) || { text: v }).text;
  function figures(h) {
    const box = $("figures");
    const items = [
      [num(h.communities), T.fig.communities],
      [num(h.grids), T.fig.grids],
      [num(h.compounds_party) + " / " + num(h.compounds), T.fig.compoundsParty, pct(h.compounds_party_percent),
        h.compounds_party_percent < 80],
      [num(h.stations.total), T.fig.stations, h.coverage_levels.length < $("f-level").options.length - 1
        ? h.coverage_levels.map((l) => levelLabel(l) + " " + num(h.stations[l])).join(" · ")
        : fmt(T.fig.stationLevels, h.stations)],
      [num(h.units_paired), T.fig.units, fmt(T.fig.pairings, { n: num(h.pairings) })],
      [num(h.registered_members), T.fig.members],
      [pct(h.households_covered_percent), fmt(T.fig.covered, { m: h.coverage_distance_m }),
        fmt(T.fig.ofHouseholds, { n: num(h.households_covered), total: num(h.households) }) +
          (h.coverage_levels.length < $("f-level").options.length - 1
            ? " · " + fmt(T.fig.levelsCounted, { levels: h.coverage_levels.map(levelLabel).join(", ") }) : ""),
        h.households_covered_percent < 90],
    ];
    box.replaceChildren(...items.map(([v, l, s, warn]) => el("div",
      { class: "dash-figure" + (warn ? " warn" : "") }, el("span", { class: "v" }, v),
      el("span", { class: "l" }, l), ...(s ? [el("span", { class: "s" }, s)] : []))));
  }

  /* ---- the coverage table ---- */
  let tableRows = [];
  let sortKey = "percent";
  let sortAsc = true;
  function renderTable(body, by) {
    $("table-title").textContent = by === "community" ? T.byCommunity : T.byStreet;
    tableRows = body.rows;
    const table = $("coverage-table");
    const cols = [["name", T.col.name], ["households_total", T.col.households],
      ["percent", T.col.percent], ["households_uncovered", T.col.uncovered],
      ["buildings_uncovered", T.col.buildingsUncovered]];
    const head = el("tr", {}, ...cols.map(([k, label]) => el("th", { onclick: () => {
      sortAsc = sortKey === k ? !sortAsc : k === "name" || k === "percent";
      sortKey = k;
      renderTable(body, by);
    } }, label + (sortKey === k ? (sortAsc ? " ▲" : " ▼") : ""))));
    const rows = [...tableRows].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const c = typeof x === "string" ? x.localeCompare(y, "zh") : x - y;
      return sortAsc ? c : -c;
    });
    const cell = (r) => [el("td", {}, r.name),
      el("td", {}, num(r.households_total)),
      el("td", {}, el("span", { class: "pct" }, el("span", { class: "pct-bar" },
        el("i", { style: `width:${r.percent || 0}%;background:${classColour(r.percent || 0)}` })), pct(r.percent))),
      el("td", {}, num(r.households_uncovered)), el("td", {}, num(r.buildings_uncovered))];
    table.replaceChildren(el("thead", {}, head), el("tbody", {},
      ...rows.map((r) => el("tr", { class: "clickable", "data-code": r.code, onclick: () => {
        if (by === "street") { $("f-street").value = r.code; refresh(); }
        zoomToCode(r.code);
      } }, ...cell(r))),
      el("tr", { class: "total" }, ...cell({ ...body.total, name: T.total }))));
  }

  /* ---- gap lists ---- */
  const gaps = {};
  let activeGap = "uncovered";
  function gapTable(headers, rows, zoom, total) {
    if (!rows.length) return el("p", { class: "gap-empty" }, T.noGaps);
    // A capped list says so: the tab's count is the total, the table its first rows.
    const capped = total > rows.length
      ? [el("p", { class: "gap-capped" }, fmt(T.showingFirst, { n: num(rows.length), total: num(total) }))] : [];
    return el("div", {}, ...capped, el("table", {}, el("thead", {}, el("tr", {}, ...headers.map(([, h, n]) => el("th", n ? { class: "num" } : {}, h)), el("th", {}, ""))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...headers.map(([k, , n]) => el("td", n ? { class: "num" } : {},
        n ? num(r[k]) : (r[k] ?? "—"))), el("td", {}, el("button", { class: "zoom", type: "button", onclick: () => zoom(r) }, T.zoomTo)))))));
  }
  function renderGaps() {
    const tabs = $("gap-tabs");
    tabs.replaceChildren(...Object.entries(gaps).map(([key, g]) => el("button", {
      type: "button", role: "tab", "aria-selected": String(key === activeGap), "data-gap": key,
      onclick: () => { activeGap = key; renderGaps(); } }, g.title, el("span", { class: "n" }, num(g.count)))));
    const g = gaps[activeGap];
    $("gap-list").replaceChildren(g ? g.render() : el("p", { class: "gap-empty" }, T.loading));
  }

  /* ---- loading everything for the current filters ---- */
  let generation = 0;
  async function refresh() {
    const mine = ++generation;
    const by = $("f-street").value ? "community" : "street";
    $("dl-xlsx").href = API + "report.xlsx?" + query({ by });
    $("dl-map").href = root.dataset.reportMapUrl + "?" + query();
    const parts = await Promise.allSettled([
      getJSON(API + "headline?" + query()),
      getJSON(API + "coverage?" + query({ by })),
      getJSON(API + "coverage?" + query({ by: "community" })),
      getJSON(API + "coverage/uncovered?" + query({ limit: LIST_ROWS })),
      getJSON(API + "organisation?" + query({ limit: LIST_ROWS, gap: "no_party_organisation" })),
      getJSON(API + "load?" + query({ limit: LIST_ROWS })),
      getJSON(API + "pairing?" + query()),
      getJSON(API + "heatmap/uncovered.json?" + query()),
      getJSON(API + "siting?" + query({ k: 10 })),
    ]);
    if (mine !== generation) return; // a newer filter change won
    const [head, cov, byCommunity, uncovered, org, load, pairing, heat, siting] =
      parts.map((p) => (p.status === "fulfilled" ? p.value : null));
    const failed = parts.filter((p) => p.status === "rejected").map((p) => p.reason.message);
    $("dash-status").textContent = failed.length ? fmt(T.failed, { error: failed.join("; ") }) : "";
    if (head) figures(head);
    if (cov) renderTable(cov, by);
    await mapReady;
    if (byCommunity) {
      const match = ["match", ["get", "code"]];
      for (const r of byCommunity.rows) match.push(r.code, classColour(r.percent || 0));
      match.push("rgba(0,0,0,0)");
      map.setPaintProperty("coverage-fill", "fill-color", byCommunity.rows.length ? match : "rgba(0,0,0,0)");
    }
    if (heat) {
      map.getSource("heatmap").updateImage({ url: heat.url, coordinates: heat.coordinates });
      $("dl-tif").href = heat.tif;
    }
    if (siting) {
      map.getSource("sites").setData({ type: "FeatureCollection", features: siting.sites.map((s) => ({
        type: "Feature", properties: { rank: s.rank }, geometry: { type: "Point", coordinates: [s.lon, s.lat] } })) });
    }
    legend(heat);
    if (uncovered) gaps.uncovered = { title: T.gap.uncovered, count: uncovered.total_buildings,
      render: () => gapTable([["name", T.col.building], ["xiaoqu_name", T.col.xiaoqu], ["community_name", T.col.community],
        ["households", T.col.households, true], ["distance_m", T.col.distance, true]], uncovered.buildings,
      (r) => flyTo([r.lon, r.lat, r.lon, r.lat]), uncovered.total_buildings) };
    // The party tab asks the server for that one gap, so its count (compounds_listed) is the
    // area's total, not the length of a list capped over every gap.
    if (org) gaps.party = { title: T.gap.party, count: org.compounds_listed,
      render: () => gapTable([["name", T.col.xiaoqu], ["community_name", T.col.community],
        ["households", T.col.households, true], ["nearest_station_m", T.col.distance, true]], org.compounds,
      (r) => zoomToCode(r.code), org.compounds_listed) };
    if (load) gaps.load = { title: T.gap.load, count: load.grids_listed,
      render: () => gapTable([["name", T.col.grid], ["community_name", T.col.community],
        ["households", T.col.households, true], ["households_per_worker", T.col.perWorker, true]], load.grids,
      (r) => zoomToCode(r.code), load.grids_listed) };
    if (pairing) {
      const unpaired = pairing.communities.filter((c) => c.unpaired || c.shortfall > 0);
      gaps.pairing = { title: T.gap.pairing, count: pairing.total.communities_unpaired_or_short,
        render: () => gapTable([["name", T.col.community], ["street_name", T.col.street], ["households", T.col.households, true],
          ["registered_members", T.col.members, true], ["shortfall", T.col.shortfall, true]], unpaired,
        (r) => zoomToCode(r.code), pairing.total.communities_unpaired_or_short) };
    }
    if (siting) gaps.siting = { title: T.gap.siting, count: siting.sites.length,
      render: () => gapTable([["rank", "#", true], ["community_name", T.col.community],
        ["households_added", T.col.added, true], ["nearest_station_m", T.col.distance, true]], siting.sites,
      (r) => flyTo([r.lon, r.lat, r.lon, r.lat])) };
    renderGaps();
    root.dataset.loaded = String(mine);
  }

  /* ---- filters ---- */
  const streets = [];
  fetch(root.dataset.divisionsUrl).then((r) => r.json()).then((body) => {
    streets.push(...body.divisions);
    fillStreets();
  });
  function fillStreets() {
    const d = $("f-district").value;
    const sel = $("f-street");
    sel.length = 1;
    for (const s of streets) if (!d || s.code.startsWith(d)) sel.add(new Option(s.name, s.code));
  }
  $("f-district").addEventListener("change", () => {
    fillStreets();
    refresh();
    // A district is not searchable: fit the boxes of its streets.
    const d = $("f-district").value;
    const inside = streets.filter((s) => d && s.code.startsWith(d));
    if (inside.length) {
      flyTo([Math.min(...inside.map((s) => s.bbox[0])), Math.min(...inside.map((s) => s.bbox[1])),
        Math.max(...inside.map((s) => s.bbox[2])), Math.max(...inside.map((s) => s.bbox[3]))]);
    }
  });
  $("f-street").addEventListener("change", () => { refresh(); if ($("f-street").value) zoomToCode($("f-street").value); });
  $("f-distance").addEventListener("change", refresh);
  $("f-level").addEventListener("change", refresh);
  refresh();
})();

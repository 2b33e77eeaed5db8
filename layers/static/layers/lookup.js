/* GridAtlas lookup page (phones first): an address or a point → the grid card, over a small
 * map of the point, its grid and the nearest stations. Same-origin requests only. */
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("lookup-strings").textContent);
  const mapEl = document.getElementById("lookup-map");
  const form = document.getElementById("lookup-form");
  const input = document.getElementById("lookup-q");
  const crs = document.getElementById("lookup-crs");
  const statusEl = document.getElementById("lookup-status");
  const cardEl = document.getElementById("card");
  const candidatesEl = document.getElementById("candidates");
  const COORDS = /^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$/;
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  const status = (text) => { statusEl.textContent = text || ""; };

  const map = gridatlasOfflineMap({ container: mapEl, center: [114.30, 30.59], zoom: 11 },
    mapEl.dataset.styleUrl);
  window.gridatlasLookupMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.on("load", () => {
    map.addSource("lookup", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "lookup-grid", type: "line", source: "gridatlas", "source-layer": "grids",
      filter: ["==", ["id"], -1], paint: { "line-color": "#ffd400", "line-width": 4 } });
    map.addLayer({ id: "lookup-stations", type: "circle", source: "lookup",
      filter: ["==", ["get", "kind"], "station"],
      paint: { "circle-radius": 7, "circle-color": "#d7301f", "circle-stroke-color": "#fff",
        "circle-stroke-width": 2 } });
    map.addLayer({ id: "lookup-point", type: "circle", source: "lookup",
      filter: ["==", ["get", "kind"], "point"],
      paint: { "circle-radius": 8, "circle-color": "#1565c0", "circle-stroke-color": "#fff",
        "circle-stroke-width": 3 } });
    mapEl.dataset.ready = "true";
  });

  function showOnMap(card) {
    const features = [{ type: "Feature", properties: { kind: "point" },
      geometry: { type: "Point", coordinates: [card.lon, card.lat] } }];
    for (const s of card.stations.slice(0, 1)) {
      features.push({ type: "Feature", properties: { kind: "station", name: s.name },
        geometry: { type: "Point", coordinates: [s.lon, s.lat] } });
    }
    const apply = () => {
      map.getSource("lookup").setData({ type: "FeatureCollection", features });
      map.setFilter("lookup-grid", ["==", ["id"], card.grid ? card.grid.id : -1]);
      const lons = features.map((f) => f.geometry.coordinates[0]);
      const lats = features.map((f) => f.geometry.coordinates[1]);
      map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
        { padding: 50, maxZoom: 17, duration: 0 });
    };
    if (mapEl.dataset.ready === "true") apply(); else map.once("load", apply);
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function row(dl, label, value, extra) {
    if (!value) return;
    dl.append(el("dt", null, label));
    const dd = el("dd", null, value);
    if (extra) dd.append(" ", extra);
    dl.append(dd);
  }
  function loadChip(unit) {
    return el("span", "chip chip-" + unit.load, T.load[unit.load] + " · " +
      fmt(T.households, { n: unit.households.toLocaleString() }));
  }
  function renderCard(card) {
    cardEl.replaceChildren();
    cardEl.hidden = false;
    const head = el("header", "card-head");
    if (card.grid) {
      head.append(el("p", "card-kicker", T.grid), el("h2", "card-title", card.grid.name),
        el("p", "card-code", card.grid.code), loadChip(card.grid));
    } else {
      head.append(el("p", "card-kicker", T.noGrid), el("h2", "card-title", T.outside));
      if (card.nearest_grid) {
        head.append(el("p", "card-note", fmt(T.nearestGrid, {
          name: card.nearest_grid.name, code: card.nearest_grid.code,
          m: Math.round(card.nearest_grid.distance_m).toLocaleString() })));
      }
    }
    cardEl.append(head);

    const dl = el("dl", "card-rows");
    row(dl, T.street, card.street && card.street.name);
    row(dl, T.community, card.community && card.community.name);
    row(dl, T.microgrid, card.microgrid && card.microgrid.name);
    row(dl, T.xiaoqu, card.xiaoqu && card.xiaoqu.name);
    if (card.building) {
      row(dl, T.building, card.building.name, el("small", null,
        fmt(T.households, { n: card.building.households }) + " · " +
        fmt(T.floors, { n: card.building.floors })));
    }
    cardEl.append(dl);

    const people = el("section", "card-people");
    people.append(el("h3", null, T.people));
    if (!card.workers.length) people.append(el("p", "muted", T.noWorkers));
    for (const w of card.workers) {
      const p = el("p", "person");
      p.append(el("span", "person-role", T.roles[w.role] || w.role));
      if (card.contacts_visible) {
        p.append(el("span", "person-name", w.name));
        if (w.phone) {
          const a = el("a", "person-phone", w.phone);
          a.href = "tel:" + w.phone;
          p.append(a);
        }
      }
      people.append(p);
    }
    if (card.workers.length && !card.contacts_visible) {
      people.append(el("p", "muted", T.signInForContacts)); // once, not per person
    }
    cardEl.append(people);

    const st = el("section", "card-stations");
    st.append(el("h3", null, T.stations));
    for (const s of card.stations) {
      const p = el("p", "station");
      p.append(el("span", "station-name", s.name),
        el("span", "station-distance", fmt(T.distance, {
          m: Math.round(s.distance_m).toLocaleString(), walk: s.walk_m.toLocaleString() })));
      if (s.address) p.append(el("small", null, s.address + (s.opening_hours ? " · " + s.opening_hours : "")));
      st.append(p);
    }
    cardEl.append(st);
    showOnMap(card);
  }

  function renderCandidates(body) {
    candidatesEl.replaceChildren();
    const list = body.candidates || [];
    candidatesEl.hidden = body.certain || list.length < 2;
    if (candidatesEl.hidden) return;
    candidatesEl.append(el("li", "candidates-title", T.notCertain));
    list.forEach((c, i) => {
      const li = el("li", "candidate" + (i === 0 ? " chosen" : ""));
      li.append(el("span", "candidate-text", c.address || c.xiaoqu_name),
        el("span", "candidate-score", Math.round(c.score * 100) + "%"));
      li.addEventListener("click", () => {
        for (const other of candidatesEl.querySelectorAll(".candidate")) other.classList.remove("chosen");
        li.classList.add("chosen");
        lookupPoint(c.lon, c.lat, "wgs84", false);
      });
      candidatesEl.append(li);
    });
  }

  async function fetchJSON(params) {
    status(T.loading);
    const r = await fetch(mapEl.dataset.lookupUrl + "?" + new URLSearchParams(params),
      { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    status("");
    return body;
  }
  async function lookupPoint(lon, lat, system, clearCandidates = true) {
    try {
      const body = await fetchJSON({ lon, lat, crs: system });
      if (clearCandidates) candidatesEl.hidden = true;
      renderCard(body.card);
    } catch (err) { status(err.message); }
  }
  async function lookupAddress(q) {
    try {
      const body = await fetchJSON({ q });
      renderCandidates(body);
      if (body.card) renderCard(body.card);
      else { cardEl.hidden = true; status(fmt(T.noMatch, { q })); }
    } catch (err) { status(err.message); }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    const m = COORDS.exec(text);
    if (m) lookupPoint(m[1], m[2], crs.value);
    else lookupAddress(text);
  });
  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { status(T.noGeolocation); return; }
    status(T.locating);
    // Browsers report WGS84, whatever map the phone shows.
    navigator.geolocation.getCurrentPosition(
      (pos) => lookupPoint(pos.coords.longitude.toFixed(7), pos.coords.latitude.toFixed(7), "wgs84"),
      (err) => status(fmt(T.locationFailed, { error: err.message })),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
})();

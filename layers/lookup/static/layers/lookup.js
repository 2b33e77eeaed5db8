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
  const R = JSON.parse(document.getElementById("lookup-result-strings").textContent);
  const refusedEl = document.getElementById("lookup-refused");
  const unsureEl = document.getElementById("lookup-unsure");
  const gridsEl = document.getElementById("compound-grids");
  const divisionsEl = document.getElementById("divisions");
  const COORDS = /^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$/;
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  // The page's own strings (the template's catalogue entries) say {name}: a % in a template's
  // msgid is escaped by {% translate %}.
  const say = (template, values) =>
    template.replace(/\{(\w+)\}/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  const status = (text) => { statusEl.textContent = text || ""; };

  const map = gridatlasOfflineMap({ container: mapEl, ...gridatlasMapHome(mapEl) },
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
    // The API lists stations within its cap only: another city's station is no answer.
    if (!card.stations.length) {
      const km = (card.nearest_station_max_m / 1000).toLocaleString();
      st.append(el("p", "muted station-none", fmt(T.noStation, { km })));
    }
    cardEl.append(st);
    showOnMap(card);
  }

  // --- how sure the answer is -------------------------------------------------------------
  function clearResult() {
    for (const node of [refusedEl, unsureEl, candidatesEl, gridsEl, divisionsEl, cardEl]) {
      node.hidden = true;
      node.replaceChildren();
    }
    cardEl.classList.remove("card-unsure");
  }
  // A refused query ((0, 0), a point abroad, text that is no address): said where the answer goes.
  const REFUSALS = [ // the API's English 400s for a point, said in the page's language
    [/^lon=0, lat=0 is what a GPS sends/, "noFix"],
    [/ is not in China \(/, "abroad"],
  ];
  function showRefused(message) {
    clearResult();
    const known = REFUSALS.find(([re]) => re.test(message));
    refusedEl.append(el("h3", null, R.refused), el("p", null, known ? R[known[1]] : message));
    refusedEl.hidden = false;
    showPlace(null);
  }
  // The API's notes are English sentences (layers/selectors/address_search.py): the known kinds
  // are said in the page's language; an unknown one is shown as it came.
  const NOTE_KINDS = [
    [/^left out the note in brackets: (.*)$/s, "bracket", ["note"]],
    [/^building (\S+) \(formerly (\S+)\): found by its current number$/, "renumbered", ["b", "old"]],
    [/^a range of buildings, (\S+) to (\S+): both ends are listed, pick one$/, "range", ["first", "last"]],
    [/^the text names (.+), but (.+) is in (.*): check which is right$/, "contradicts", ["named", "place", "where"]],
    [/^(.+) lies in (\d+) grids: .*; add the building to pin one$/, "grids", ["name", "n"]],
    [/^(.+) has no building (.+) on the map: check the number$/, "noBuilding", ["name", "b"]],
    [/^(.+) is not the address of (.+) \((.*)\)$/, "notAddress", ["typed", "place", "address"]],
    [/^read (\S+) as the pinyin initials of (.+?)(?: \(also (.+)\))?: check it$/, "initials", ["typed", "name", "others"]],
    [/^no district, street or community called (.+) is on the map$/, "noDivision", ["names"]],
  ];
  function noteSaid(note) {
    for (const [re, kind, names] of NOTE_KINDS) {
      const m = re.exec(note);
      if (!m) continue;
      const values = {};
      names.forEach((name, i) => { values[name] = m[i + 1] || ""; });
      if (kind === "initials") values.others = values.others ? say(R.notes.also, { names: values.others }) : "";
      return say(R.notes[kind], values);
    }
    return note;
  }
  function showUnsure(notes) {
    unsureEl.replaceChildren(el("h3", null, "⚠ " + R.unsure));
    const ul = el("ul", "unsure-notes");
    for (const n of notes) ul.append(el("li", null, noteSaid(n)));
    if (notes.length) unsureEl.append(ul);
    unsureEl.hidden = false;
  }
  function where(c) {
    return [c.district_name, c.street_name, c.community_name].filter(Boolean).join(" ");
  }
  function choose(list, node) {
    for (const other of list.querySelectorAll(".chosen")) other.classList.remove("chosen");
    node.classList.add("chosen");
  }
  // Listed whenever the answer is not certain, even one: the worker confirms it by tapping.
  function renderCandidates(body) {
    const list = body.candidates || [];
    if (body.certain || !list.length) return;
    candidatesEl.append(el("li", "candidates-title", R.pick));
    list.forEach((c, i) => {
      const li = el("li", "candidate" + (i === 0 ? " chosen" : ""));
      li.tabIndex = 0;
      const text = el("span", "candidate-text",
        c.level === "xiaoqu" ? c.xiaoqu_name : (c.address || c.xiaoqu_name));
      if (where(c)) text.append(el("small", null, where(c)));
      li.append(text, el("span", "candidate-score", Math.round(c.score * 100) + "%"));
      const pick = () => {
        choose(candidatesEl, li);
        renderCompoundGrids(c);
        lookupPoint(c.lon, c.lat, "wgs84", false);
      };
      li.addEventListener("click", pick);
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      candidatesEl.append(li);
    });
    candidatesEl.hidden = false;
  }
  // A compound over several grids: each grid with its households and share, tappable.
  function renderCompoundGrids(c) {
    gridsEl.replaceChildren();
    gridsEl.hidden = !(c.level === "xiaoqu" && c.grids && c.grids.length > 1);
    if (gridsEl.hidden) return;
    gridsEl.append(el("h3", null, say(R.compoundGrids, { name: c.xiaoqu_name, n: c.grids.length })));
    const ul = el("ul", "grid-shares");
    for (const g of c.grids) {
      const li = el("li", "grid-share");
      const button = el("button", null);
      button.type = "button";
      button.dataset.code = g.code;
      button.append(el("strong", null, g.name), " ",
        el("span", null, say(R.gridShare, { n: g.households.toLocaleString(),
          share: Math.round(g.share * 100) + "%" })),
        el("small", null, g.code));
      button.addEventListener("click", () => {
        choose(gridsEl, li);
        showGrid(g.code, c.xiaoqu_name);
      });
      li.append(button);
      ul.append(li);
    }
    gridsEl.append(ul);
  }
  // The card the map's API gives for a grid (its code → id through /api/search): the grid itself,
  // not a point in it, so no workers or stations; the building pins those.
  async function showGrid(code, compound) {
    try {
      const found = await fetchJSON(mapEl.dataset.searchUrl, { q: code, limit: 5 });
      const hit = found.results.find((h) => h.kind === "grids" && h.code === code);
      if (!hit) throw new Error(code);
      const url = mapEl.dataset.gridCardUrl.replace(/0\/?$/, hit.id);
      renderGridCard(await fetchJSON(url, {}), compound);
    } catch (err) { status(err.message); }
  }
  function renderGridCard(f, compound) {
    cardEl.replaceChildren();
    cardEl.hidden = false;
    const head = el("header", "card-head");
    head.append(el("p", "card-kicker", T.grid), el("h2", "card-title", f.name),
      el("p", "card-code", f.code), loadChip({ load: f.facts.load, households: f.facts.households }));
    cardEl.append(head);
    const dl = el("dl", "card-rows");
    const parent = (kind) => (f.parents.find((p) => p.kind === kind) || {}).name;
    row(dl, T.street, parent("streets"));
    row(dl, T.community, parent("communities"));
    row(dl, T.xiaoqu, compound);
    row(dl, T.grid, say(R.buildings, { n: f.facts.buildings }) + " · " +
      say(R.microgrids, { n: f.facts.microgrids }));
    cardEl.append(dl, el("p", "result-hint", say(R.gridOnly, { example: compound + "3栋" })));
    showPlace({ gridId: f.id, bbox: f.bbox });
  }
  // A query naming only a division: the division, and the map on its extent.
  function renderDivisions(body) {
    const list = body.divisions;
    divisionsEl.hidden = false;
    list.forEach((d, i) => {
      const item = el("button", "division" + (i === 0 ? " chosen" : ""));
      item.type = "button";
      item.append(el("span", "division-level", R.levels[d.level] || d.level),
        el("strong", "division-name", d.name));
      if (d.parent_name) item.append(el("small", null, d.parent_name));
      item.addEventListener("click", () => {
        choose(divisionsEl, item);
        showPlace({ bbox: d.extent });
      });
      divisionsEl.append(item);
    });
    divisionsEl.append(el("p", "result-hint", R.divisionOnly));
    showPlace({ bbox: list[0].extent });
  }
  // The map on an extent (a division, a grid card), or cleared (a refusal).
  function showPlace(place) {
    const apply = () => {
      map.getSource("lookup").setData({ type: "FeatureCollection", features: [] });
      map.setFilter("lookup-grid", ["==", ["id"], place && place.gridId ? place.gridId : -1]);
      if (place && place.bbox) {
        const [x0, y0, x1, y1] = place.bbox;
        map.fitBounds([[x0, y0], [x1, y1]], { padding: 30, duration: 0 });
      }
    };
    if (mapEl.dataset.ready === "true") apply(); else map.once("load", apply);
  }

  async function fetchJSON(url, params) {
    status(T.loading);
    const r = await fetch(url + "?" + new URLSearchParams(params),
      { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) {
      const err = new Error(body.error || r.statusText);
      err.refused = r.status === 400;
      throw err;
    }
    status("");
    return body;
  }
  function failed(err) {
    if (err.refused) { status(""); showRefused(err.message); } else status(err.message);
  }
  async function lookupPoint(lon, lat, system, fresh = true) {
    try {
      const body = await fetchJSON(mapEl.dataset.lookupUrl, { lon, lat, crs: system });
      if (fresh) clearResult();
      renderCard(body.card);
    } catch (err) { failed(err); }
  }
  async function lookupAddress(q) {
    try {
      const body = await fetchJSON(mapEl.dataset.lookupUrl, { q });
      clearResult();
      const notes = body.notes || [];
      if (body.divisions && body.divisions.length) { renderDivisions(body); return; }
      if (!body.certain) showUnsure(notes);
      renderCandidates(body);
      if (body.candidates && body.candidates.length) renderCompoundGrids(body.candidates[0]);
      cardEl.classList.toggle("card-unsure", !body.certain); // a guess is drawn as one
      if (body.card) renderCard(body.card);
      else if (!notes.length) status(fmt(T.noMatch, { q }));
      else unsureEl.prepend(el("p", "unsure-none", fmt(T.noMatch, { q })));
    } catch (err) { failed(err); }
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

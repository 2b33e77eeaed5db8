/* The planners' layout editor (/edit/).
 *
 * A grid is a set of parcels (DESIGN.md), so an edit is a list of parcel moves: nothing here
 * computes geometry. The browser keeps the draft as an undo stack of moves (in localStorage,
 * so undo/redo survive a reload), recomputes each affected grid's households, buildings, band
 * and contiguity from the parcels' figures and the shared-edge graph within the frame of the
 * edit, and shows grid outlines by thickening the shared edges whose two parcels are in
 * different grids. The server keeps the draft too (PUT …/draft), checks every rule of the draft
 * inside a rolled-back transaction, and publishes it (POST …/publish) only when the rules pass.
 */
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("edit-strings").textContent);
  const el = document.getElementById("edit-map");
  const API = el.dataset.api;
  const CSRF = el.dataset.csrf;
  const USER = el.dataset.user;
  const LO = Number(el.dataset.gridMin);
  const HI = Number(el.dataset.gridMax);
  const $ = (id) => document.getElementById(id);
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#469990", "#9a6324", "#800000", "#808000", "#000075", "#aaffc3", "#dcbeff",
    "#ffd8b1", "#fabed4", "#a9a9a9"];
  // Buildings, parcel outlines and micro-grid edges from this zoom on: a community of 20,000
  // buildings seen whole is colours and grid outlines; the detail is drawn when zoomed in.
  const DETAIL_ZOOM = 15;
  const CHECK_DELAY_MS = 600; // a brush stroke is one save and one check, not fifty

  // ---- state -------------------------------------------------------------------------------
  const S = {
    code: null, editable: false, revision: 0, nextGridCode: null, nextMicroCodes: {},
    parcels: new Map(),   // id → {households, buildings, compound, x, y, grid, micro, baseGrid, baseMicro}
    neighbours: new Map(), // id → [ids]
    edgesOf: new Map(),    // parcel id → [edge ids]
    edges: new Map(),      // edge id → [a, b]
    grids: new Map(),      // code → {name, households, buildings, parcels: Set, fresh}
    newGrids: [],          // [{code, name}] created in this draft
    active: null, undo: [], redo: [], mode: "click",
    violations: [], violatedCodes: new Set(), dirtyGrids: new Set(), colours: new Map(),
    saveTimer: null, saveTicket: 0, draw: null, bounds: null,
  };

  const map = gridatlasOfflineMap(
    { container: el, center: [114.3, 30.6], zoom: 11, maxZoom: 19, dragRotate: false },
    el.dataset.styleUrl,
    // The live grid layers would contradict the draft: the editor draws its own. Compounds and
    // buildings come from the vector tiles (simplified, cached), not from the editor's data.
    (layers) => layers.filter((l) => !/^(grids|microgrids|labels)-/.test(l.id)),
  );
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");

  async function api(path, options = {}) {
    const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = CSRF;
      init.body = JSON.stringify(options.body);
    } else if (options.method && options.method !== "GET") {
      init.headers["X-CSRFToken"] = CSRF;
    }
    const response = await fetch(API + S.code + path, init);
    let body = null;
    try { body = await response.json(); } catch (_e) { body = null; }
    return { status: response.status, ok: response.ok, body: body || {} };
  }

  function status(text, kind) {
    const p = $("ed-status");
    p.textContent = text || "";
    p.dataset.kind = kind || "";
  }

  // A grid keeps its colour while the page lives (codes in order, new grids after them): looked up,
  // not recomputed, as every parcel asks on load.
  function colourOf(code) {
    if (!code) return "#bbbbbb";
    let colour = S.colours.get(code);
    if (!colour) {
      colour = PALETTE[S.colours.size % PALETTE.length];
      S.colours.set(code, colour);
    }
    return colour;
  }

  // ---- loading -----------------------------------------------------------------------------
  async function loadCommunity(code) {
    S.code = code;
    status(T.loading);
    const [layout, data, draft] = await Promise.all([
      api("/layout"), api("/editor.json"), api("/draft"),
    ]);
    if (!layout.ok || !data.ok) {
      status((layout.body.error || data.body.error || T.error), "error");
      return;
    }
    S.editable = Boolean(layout.body.editable);
    S.revision = layout.body.revision;
    S.nextGridCode = layout.body.next_grid_code || null;
    S.nextMicroCodes = layout.body.next_microgrid_codes || {};
    S.communityName = data.body.community.name;
    $("ed-check-status").textContent = "";
    $("ed-proposals").innerHTML = "";
    $("ed-diff").innerHTML = "";
    indexData(data.body, layout.body);
    restoreDraft(draft.ok ? draft.body : null);
    drawData(data.body);
    $("ed-tools").hidden = !S.editable;
    $("ed-publish-block").hidden = !S.editable;
    $("ed-propose-block").hidden = !S.editable;
    $("ed-versions-block").hidden = false;
    status(S.editable ? `${data.body.community.name} · ${T.revision} ${S.revision}` : T.readOnly,
      S.editable ? "" : "warn");
    if (S.rebasedFrom !== null) {
      status(T.rebased.replace("{from}", S.rebasedFrom).replace("{to}", S.revision), "warn");
      persist();
    }
    const url = new URL(location.href);
    url.searchParams.set("community", code);
    history.replaceState(null, "", url);
    refreshAll();
    loadVersions();
    if (draftMoves().length) scheduleSave();
    else $("ed-check-status").textContent = T.noChanges;
  }

  function indexData(data, layout) {
    S.parcels.clear(); S.neighbours.clear(); S.edgesOf.clear(); S.edges.clear();
    S.grids.clear(); S.newGrids = []; S.violations = []; S.violatedCodes.clear();
    for (const g of layout.grids) {
      S.grids.set(g.code, { name: g.name, households: 0, buildings: 0, parcels: new Set() });
    }
    S.colours = new Map();
    for (const code of [...S.grids.keys()].sort()) colourOf(code);
    for (const f of data.parcels.features) {
      const p = f.properties;
      S.parcels.set(f.id, {
        households: p.households, buildings: p.buildings, compound: p.compound, x: p.x, y: p.y,
        grid: p.grid, micro: p.microgrid, baseGrid: p.grid, baseMicro: p.microgrid,
      });
      S.neighbours.set(f.id, []);
      S.edgesOf.set(f.id, []);
    }
    for (const f of data.edges.features) {
      const { a, b } = f.properties;
      S.edges.set(f.id, [a, b]);
      S.neighbours.get(a).push(b); S.neighbours.get(b).push(a);
      S.edgesOf.get(a).push(f.id); S.edgesOf.get(b).push(f.id);
    }
    for (const [id, p] of S.parcels) if (p.grid) gridEntry(p.grid).parcels.add(id);
    recountAll();
    S.active = [...S.grids.keys()].sort()[0] || null;
  }

  const isGridCode = (code) => code.length === S.code.length + 3; // micro-grids have 3 more

  function gridEntry(code) {
    if (!S.grids.has(code)) {
      S.grids.set(code, { name: code, households: 0, buildings: 0, parcels: new Set(), fresh: true });
    }
    return S.grids.get(code);
  }

  function recountAll() {
    for (const g of S.grids.values()) { g.households = 0; g.buildings = 0; }
    for (const p of S.parcels.values()) {
      if (!p.grid) continue;
      const g = gridEntry(p.grid);
      g.households += p.households; g.buildings += p.buildings;
    }
  }

  // ---- the draft: an undo stack of moves, kept in localStorage -----------------------------
  const storeKey = () => `gridatlas.edit.${USER}.${S.code}`;

  function persist() {
    localStorage.setItem(storeKey(), JSON.stringify({
      revision: S.revision, undo: S.undo, redo: S.redo, newGrids: S.newGrids,
    }));
  }

  // The draft comes back from this browser (its undo stack) or, failing that, from the server
  // (one step). A draft begun on an older revision is re-applied to the current one as one step
  // and the planner is told: someone else's publish never silently drops a draft.
  function restoreDraft(serverDraft) {
    S.undo = []; S.redo = []; S.rebasedFrom = null;
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(storeKey()) || "null"); } catch (_e) { saved = null; }
    if (saved && saved.revision === S.revision) {
      S.newGrids = saved.newGrids || [];
      for (const g of S.newGrids) if (isGridCode(g.code)) gridEntry(g.code).name = g.name;
      for (const action of saved.undo) applyChanges(action.changes, "after", false);
      S.undo = saved.undo; S.redo = saved.redo || [];
      recountAll();
      return;
    }
    const targets = new Map();
    let base = null, newGrids = [];
    if (saved && (saved.undo || []).length) {
      for (const action of saved.undo) for (const c of action.changes) targets.set(c.id, c.to);
      base = saved.revision; newGrids = saved.newGrids || [];
    } else if (serverDraft && (serverDraft.moves || []).length) {
      for (const m of serverDraft.moves) targets.set(m.parcel, [m.grid, m.microgrid]);
      base = serverDraft.base_revision; newGrids = serverDraft.new_grids || [];
    }
    const changes = [...targets]
      .filter(([id, [grid, micro]]) => S.parcels.has(id)
        && (S.parcels.get(id).grid !== grid || S.parcels.get(id).micro !== micro))
      .map(([id, [grid, micro]]) => change(id, grid, micro));
    if (changes.length) {
      S.newGrids = newGrids.filter((g) => !S.grids.has(g.code)); // unless published meanwhile
      for (const g of S.newGrids) if (isGridCode(g.code)) gridEntry(g.code).name = g.name;
      applyChanges(changes, "after", false);
      S.undo = [{ label: base === S.revision ? "draft" : "rebased", changes }];
      if (base !== S.revision) S.rebasedFrom = base;
    }
    recountAll();
  }

  function change(id, grid, micro) {
    const p = S.parcels.get(id);
    return { id, from: [p.grid, p.micro], to: [grid || null, micro === undefined ? null : micro] };
  }

  // The micro-grid a parcel joins in its new grid: the one of its neighbours in that grid that
  // most of them share, so micro-grids keep tiling their grid.
  function microFor(id, grid) {
    const counts = new Map();
    for (const n of S.neighbours.get(id) || []) {
      const q = S.parcels.get(n);
      if (q.grid === grid && q.micro) counts.set(q.micro, (counts.get(q.micro) || 0) + 1);
    }
    let best = null, bestN = 0;
    for (const [m, n] of counts) if (n > bestN || (n === bestN && m < best)) { best = m; bestN = n; }
    return best;
  }

  function applyChanges(changes, side, paint = true) {
    for (const c of changes) {
      const p = S.parcels.get(c.id);
      if (!p) continue;
      const [grid, micro] = side === "after" ? c.to : c.from;
      if (p.grid) {
        const g = gridEntry(p.grid);
        g.parcels.delete(c.id); g.households -= p.households; g.buildings -= p.buildings;
        S.dirtyGrids.add(p.grid);
      }
      p.grid = grid; p.micro = micro;
      if (grid) {
        const g = gridEntry(grid);
        g.parcels.add(c.id); g.households += p.households; g.buildings += p.buildings;
        S.dirtyGrids.add(grid);
      }
      if (paint) paintParcel(c.id);
    }
  }

  function commitAction(label, changes) {
    const real = changes.filter((c) => c.from[0] !== c.to[0] || c.from[1] !== c.to[1]);
    if (!real.length) return;
    const started = performance.now();
    applyChanges(real, "after");
    S.applyMs = performance.now() - started; // read by bench/editor_frame.py
    S.undo.push({ label, changes: real });
    S.redo = [];
    afterEdit();
  }

  function assign(ids, grid, label) {
    const changes = [];
    for (const id of new Set(ids)) {
      const p = S.parcels.get(id);
      if (!p || p.grid === grid) continue;
      changes.push(change(id, grid, grid ? microFor(id, grid) : null));
    }
    commitAction(label, changes);
  }

  function undo() {
    const action = S.undo.pop();
    if (!action) return;
    applyChanges([...action.changes].reverse(), "before");
    S.redo.push(action);
    afterEdit();
  }

  function redo() {
    const action = S.redo.pop();
    if (!action) return;
    applyChanges(action.changes, "after");
    S.undo.push(action);
    afterEdit();
  }

  function draftMoves() {
    const moves = [];
    for (const [id, p] of S.parcels) {
      if (p.grid !== p.baseGrid || p.micro !== p.baseMicro) {
        moves.push({ parcel: id, grid: p.grid, microgrid: p.micro });
      }
    }
    return moves;
  }

  function afterEdit() {
    persist();
    requestAnimationFrame(() => refreshTotals()); // totals in the next frame, whatever the size
    scheduleSave();
  }

  // ---- server: save and check the draft, publish, discard ----------------------------------
  function scheduleSave() {
    clearTimeout(S.saveTimer);
    S.saveTicket += 1; // answers to saves sent before this edit are stale
    $("ed-check-status").textContent = T.unsaved;
    S.saveTimer = setTimeout(saveDraft, CHECK_DELAY_MS);
  }

  async function saveDraft() {
    const moves = draftMoves();
    $("ed-check-status").textContent = T.checking;
    // Only the new grids and micro-grids some parcel is in: undone ones are not created.
    const usedMicros = new Set([...S.parcels.values()].map((p) => p.micro));
    const newGrids = S.newGrids.filter((g) => (isGridCode(g.code)
      ? (S.grids.get(g.code) || { parcels: new Set() }).parcels.size > 0 : usedMicros.has(g.code)));
    if (!moves.length) {
      const ticket = S.saveTicket;
      await api("/draft", { method: "DELETE" });
      if (ticket !== S.saveTicket) return;
      S.violations = []; S.violatedCodes.clear();
      $("ed-check-status").textContent = T.noChanges;
      refreshTotals(); renderViolations();
      return;
    }
    const ticket = S.saveTicket;
    const r = await api("/draft", {
      method: "PUT", body: { base_revision: S.revision, moves, new_grids: newGrids },
    });
    if (ticket !== S.saveTicket) return; // a later edit's check is on its way: this one is stale
    if (!r.ok) {
      $("ed-check-status").textContent = r.body.error || T.error;
      return;
    }
    S.violations = (r.body.check && r.body.check.violations) || [];
    S.violatedCodes = new Set(S.violations.flatMap((v) => v.codes || []));
    $("ed-check-status").textContent = S.violations.length
      ? `${T.violations}: ${S.violations.length}` : T.rulesPass;
    renderViolations();
    refreshTotals();
  }

  async function publish() {
    clearTimeout(S.saveTimer);
    await saveDraft();
    const body = { effective_date: $("ed-effective").value || undefined };
    const reason = $("ed-reason").value.trim();
    if (reason) body.band_reason = reason;
    const r = await api("/publish", { method: "POST", body });
    const out = $("ed-publish-status");
    if (r.status === 201) {
      localStorage.removeItem(storeKey());
      out.textContent = `${T.published} ${r.body.revision}`;
      out.dataset.kind = "ok";
      await loadCommunity(S.code);
      $("ed-publish-status").textContent = `${T.published} ${r.body.revision}`;
      return;
    }
    out.dataset.kind = "error";
    if (r.status === 409) out.textContent = T.stale;
    else if (r.status === 422) {
      S.violations = r.body.violations || [];
      S.violatedCodes = new Set(S.violations.flatMap((v) => v.codes || []));
      renderViolations(); refreshTotals();
      out.textContent = `${T.publishFailed}: ${r.body.error || ""}`;
      if (S.violations.some((v) => v.rule === "load_band")) {
        $("ed-reason-label").hidden = false;
      }
    } else out.textContent = `${T.publishFailed}: ${r.body.error || r.status}`;
  }

  async function discard() {
    const moves = draftMoves();
    if (!moves.length) return;
    commitAction("discard", moves.map((m) => {
      const p = S.parcels.get(m.parcel);
      return change(m.parcel, p.baseGrid, p.baseMicro);
    }));
  }

  // ---- drawing -----------------------------------------------------------------------------
  function drawData(data) {
    const sources = {
      "ed-parcels": data.parcels, "ed-edges": data.edges,
      "ed-community": { type: "Feature", geometry: data.community.geometry, properties: {} },
      "ed-overlay": { type: "FeatureCollection", features: [] },
    };
    for (const [id, geojson] of Object.entries(sources)) {
      if (map.getSource(id)) map.getSource(id).setData(geojson);
      else map.addSource(id, { type: "geojson", data: geojson, promoteId: undefined });
    }
    if (!map.getLayer("ed-parcel-fill")) addLayers();
    for (const id of S.parcels.keys()) paintParcel(id);
    const b = bboxOf(data.community.geometry);
    S.bounds = b;
    map.fitBounds(b, { padding: 30, duration: 0 });
  }

  function addLayers() {
    const onTop = ["buildings-fill", "xiaoqu-line"].filter((id) => map.getLayer(id));
    map.addLayer({ id: "ed-parcel-fill", type: "fill", source: "ed-parcels",
      paint: {
        "fill-color": ["coalesce", ["feature-state", "colour"], "#bbbbbb"],
        "fill-opacity": ["case", ["boolean", ["feature-state", "violation"], false], 0.75, 0.45],
      } });
    map.addLayer({ id: "ed-parcel-line", type: "line", source: "ed-parcels", minzoom: DETAIL_ZOOM,
      paint: { "line-color": "#ffffff", "line-width": 0.6, "line-opacity": 0.8 } });
    map.addLayer({ id: "ed-edge-line", type: "line", source: "ed-edges",
      filter: ["==", ["geometry-type"], "LineString"],
      paint: {
        "line-color": "#1f2933",
        "line-width": ["case", ["boolean", ["feature-state", "boundary"], false], 2.6, 0],
      } });
    map.addLayer({ id: "ed-edge-multiline", type: "line", source: "ed-edges",
      filter: ["!=", ["geometry-type"], "LineString"],
      paint: {
        "line-color": "#1f2933",
        "line-width": ["case", ["boolean", ["feature-state", "boundary"], false], 2.6, 0],
      } });
    // Micro-grid edges inside a grid: thin and dashed, under the grid outlines' weight.
    map.addLayer({ id: "ed-edge-micro", type: "line", source: "ed-edges", minzoom: DETAIL_ZOOM,
      paint: {
        "line-color": "#1f2933", "line-dasharray": [3, 2],
        "line-width": ["case", ["boolean", ["feature-state", "micro"], false], 1.2, 0],
      } });
    map.addLayer({ id: "ed-community-line", type: "line", source: "ed-community",
      paint: { "line-color": "#b3261e", "line-width": 3 } });
    map.addLayer({ id: "ed-overlay-fill", type: "fill", source: "ed-overlay",
      // Violations are outlined only: a fill would hide the grid colours under them.
      filter: ["!=", ["get", "outline"], true],
      paint: { "fill-color": ["coalesce", ["get", "colour"], "#b3261e"], "fill-opacity": 0.35 } });
    map.addLayer({ id: "ed-overlay-line", type: "line", source: "ed-overlay",
      paint: { "line-color": ["coalesce", ["get", "colour"], "#b3261e"], "line-width": 2.5,
        "line-dasharray": [2, 1] } });
    // The tiles' buildings and compound outlines over the parcel colours, under the outlines.
    for (const id of onTop) map.moveLayer(id, "ed-edge-line");
  }

  function paintParcel(id) {
    const p = S.parcels.get(id);
    if (!map.getSource("ed-parcels")) return;
    map.setFeatureState({ source: "ed-parcels", id }, {
      colour: colourOf(p.grid), violation: p.grid ? S.violatedCodes.has(p.grid) : false,
    });
    for (const e of S.edgesOf.get(id) || []) {
      const [a, b] = S.edges.get(e);
      const pa = S.parcels.get(a), pb = S.parcels.get(b);
      map.setFeatureState({ source: "ed-edges", id: e },
        { boundary: pa.grid !== pb.grid, micro: pa.grid === pb.grid && pa.micro !== pb.micro });
    }
  }

  function bboxOf(geometry) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const walk = (c) => {
      if (typeof c[0] === "number") {
        x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]);
        x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]);
      } else c.forEach(walk);
    };
    walk(geometry.coordinates);
    return [[x0, y0], [x1, y1]];
  }

  function setOverlay(features) {
    const src = map.getSource("ed-overlay");
    if (src) src.setData({ type: "FeatureCollection", features });
  }

  // ---- totals, contiguity, violations ------------------------------------------------------
  // Connected pieces of a grid over the shared-edge graph: one piece is contiguous.
  function pieces(code) {
    const g = S.grids.get(code);
    if (!g || !g.parcels.size) return 0;
    const seen = new Set();
    let count = 0;
    for (const start of g.parcels) {
      if (seen.has(start)) continue;
      count += 1;
      const stack = [start];
      seen.add(start);
      while (stack.length) {
        const id = stack.pop();
        for (const n of S.neighbours.get(id)) {
          if (!seen.has(n) && g.parcels.has(n)) { seen.add(n); stack.push(n); }
        }
      }
    }
    return count;
  }

  function band(households) {
    if (households < LO) return "under";
    if (households > HI) return "over";
    return "ok";
  }

  function refreshAll() {
    for (const code of S.grids.keys()) S.dirtyGrids.add(code);
    refreshTotals();
    renderViolations();
  }

  function rowHtml(code) {
    const g = S.grids.get(code);
    const load = g.parcels.size ? band(g.households) : "empty";
    return `<tr data-code="${code}" class="${S.violatedCodes.has(code) ? "violated" : ""}">
        <td><span class="swatch" style="background:${colourOf(code)}"></span><button type="button" class="ed-link ed-pick" title="${escapeHtml(g.name)}">${escapeHtml(shortName(g.name))}</button>
          <small>${code.slice(-3)}</small>${g.pieces > 1 ? ` <span class="ed-warn" title="${T.contiguousNo}">⚠ ${g.pieces} ${T.contiguousNo}</span>` : ""}</td>
        <td class="num" data-role="households">${g.households}</td>
        <td class="num" data-role="buildings">${g.buildings}</td>
        <td><span class="load load-${load}">${load === "ok" ? T.inBand : load === "under" ? T.under : load === "over" ? T.over : "–"}</span></td>
        <td class="ed-row-actions">${S.editable ? `<button type="button" class="ed-link ed-merge" title="${T.mergeInto}">⇢</button><button type="button" class="ed-link ed-rebalance" title="${T.rebalance}">⇄</button>` : ""}${S.editable ? `<button type="button" class="ed-link ed-split" title="${T.split}">✂</button>` : ""}</td>
      </tr>`;
  }

  function unassignedHtml() {
    let n = 0, hh = 0, bl = 0;
    for (const p of S.parcels.values()) if (!p.grid) { n += 1; hh += p.households; bl += p.buildings; }
    return n ? `<tr class="unassigned"><td>${T.unassigned} (${n} ${T.parcels})</td><td class="num">${hh}</td><td class="num">${bl}</td><td></td><td></td></tr>` : "";
  }

  // Only the rows of the grids an edit touched are rebuilt, so a community of a thousand grids
  // costs what a community of ten does; the whole table is redrawn when its rows change.
  function refreshTotals(full = false) {
    const started = performance.now();
    const tbody = $("ed-grids").querySelector("tbody");
    const codes = [...S.grids.keys()].filter((c) => S.grids.get(c).parcels.size || !S.grids.get(c).fresh || c === S.active).sort();
    const shape = `${codes.join(",")}|${[...S.violatedCodes].sort().join(",")}`;
    for (const code of codes) {
      const g = S.grids.get(code);
      if (S.dirtyGrids.has(code) || g.pieces === undefined) g.pieces = pieces(code);
    }
    if (full || shape !== S.tableShape) {
      tbody.innerHTML = codes.map(rowHtml).join("") + unassignedHtml();
      S.tableShape = shape;
    } else {
      const tpl = document.createElement("tbody");
      for (const code of S.dirtyGrids) {
        const tr = tbody.querySelector(`tr[data-code="${code}"]`);
        if (!tr || !S.grids.has(code)) continue;
        tpl.innerHTML = rowHtml(code);
        tr.replaceWith(tpl.firstElementChild);
      }
      const old = tbody.querySelector("tr.unassigned");
      tpl.innerHTML = unassignedHtml();
      if (old) old.remove();
      if (tpl.firstElementChild) tbody.appendChild(tpl.firstElementChild);
    }
    S.dirtyGrids.clear();
    for (const tr of tbody.querySelectorAll("tr.active")) if (tr.dataset.code !== S.active) tr.classList.remove("active");
    const activeRow = S.active && tbody.querySelector(`tr[data-code="${S.active}"]`);
    if (activeRow) activeRow.classList.add("active");
    $("ed-active-name").textContent = S.active ? `${(S.grids.get(S.active) || {}).name || S.active}` : "–";
    $("ed-undo").disabled = !S.undo.length;
    $("ed-redo").disabled = !S.redo.length;
    const dirty = draftMoves().length > 0;
    $("ed-publish").disabled = !dirty;
    $("ed-discard").disabled = !dirty;
    const outOfBand = codes.some((c) => S.grids.get(c).parcels.size && band(S.grids.get(c).households) !== "ok");
    if (outOfBand) $("ed-reason-label").hidden = false;
    S.refreshMs = performance.now() - started; // read by bench/editor_frame.py
  }

  function renderViolations() {
    const ul = $("ed-violations");
    ul.innerHTML = S.violations.map((v, i) =>
      `<li data-index="${i}" data-rule="${escapeHtml(v.rule)}" data-codes="${escapeHtml((v.codes || []).join(" "))}"><strong>${escapeHtml(T.rules[v.rule] || v.rule)}</strong> ${escapeHtml(v.message || "")}</li>`).join("");
    for (const id of S.parcels.keys()) {
      const p = S.parcels.get(id);
      if (map.getSource("ed-parcels")) {
        map.setFeatureState({ source: "ed-parcels", id },
          { violation: p.grid ? S.violatedCodes.has(p.grid) : false });
      }
    }
    setOverlay(S.violations.filter((v) => v.geometry)
      .map((v) => ({ type: "Feature", geometry: v.geometry, properties: { colour: "#b3261e", outline: true } })));
  }

  // "操场社区第1网格" → "第1网格": the community is chosen above, its name need not repeat.
  function shortName(name) {
    return S.communityName && name.startsWith(S.communityName) && name.length > S.communityName.length
      ? name.slice(S.communityName.length) : name;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // ---- grid actions: new, merge, split, rebalance, proposals -------------------------------
  function nextCode() {
    const used = new Set([...S.grids.keys()]);
    let code = S.nextGridCode || `${S.code}001`;
    while (used.has(code)) code = S.code + String(Number(code.slice(-3)) + 1).padStart(3, "0");
    return code;
  }

  // A grid this draft creates: a never-used code, named "New grid NNN".
  function gridCreate() {
    const code = nextCode();
    const name = `${T.newGrid} ${code.slice(-3)}`;
    S.newGrids.push({ code, name });
    gridEntry(code).name = name;
    return code;
  }

  function newGrid() {
    const code = gridCreate();
    S.active = code;
    persist();
    refreshTotals();
    return code;
  }

  // The draft's grid of every parcel, as the compute-only endpoints take it.
  function draftAssignment() {
    const assignment = {};
    for (const [id, p] of S.parcels) assignment[id] = p.grid;
    return assignment;
  }

  function merge(code) {
    if (!S.active || code === S.active) return;
    assign([...S.grids.get(code).parcels], S.active, "merge");
  }

  async function rebalance(a, b, label) {
    const r = await api("/rebalance", {
      method: "POST", body: { grids: [a, b], assignment: draftAssignment() },
    });
    if (!r.ok) { status(r.body.error || T.error, "error"); return false; }
    const moves = r.body.moves || [];
    commitAction(label || "rebalance", moves.filter((m) => S.parcels.has(m.parcel))
      .map((m) => change(m.parcel, m.grid, microFor(m.parcel, m.grid))));
    return true;
  }

  // Split: a new grid takes the half grown from the grid's westernmost parcel; the server's
  // rebalance then makes both halves contiguous and inside the band where it can.
  async function split(code) {
    const g = S.grids.get(code);
    if (!g || g.parcels.size < 2) return;
    const ids = [...g.parcels];
    const start = ids.reduce((best, id) => (S.parcels.get(id).x < S.parcels.get(best).x ? id : best));
    const half = g.households / 2;
    const taken = new Set([start]);
    let households = S.parcels.get(start).households;
    const queue = [start];
    while (queue.length && households < half) {
      for (const n of S.neighbours.get(queue.shift())) {
        if (households >= half) break;
        if (g.parcels.has(n) && !taken.has(n)) {
          taken.add(n); households += S.parcels.get(n).households; queue.push(n);
        }
      }
    }
    if (taken.size === ids.length) taken.delete(start);
    const fresh = newGrid();
    assign([...taken], fresh, "split");
    await rebalance(code, fresh, "split-rebalance");
  }

  // Each proposed group takes the existing unit (`unitOf` a parcel: its grid or micro-grid) it
  // shares most households with, the biggest group choosing first; the others get `fresh()`.
  function groupCodes(groups, unitOf, fresh) {
    const claimed = new Set();
    const codeOf = new Map();
    for (const grp of [...groups].sort((x, y) => y.households - x.households)) {
      const share = new Map();
      for (const id of grp.parcels) {
        const p = S.parcels.get(id);
        const unit = p && unitOf(p);
        if (unit && !claimed.has(unit)) share.set(unit, (share.get(unit) || 0) + p.households + 1);
      }
      let best = null, bestN = 0;
      for (const [c, n] of share) if (n > bestN) { best = c; bestN = n; }
      if (!best) best = fresh();
      claimed.add(best);
      codeOf.set(grp, best);
    }
    return codeOf;
  }

  // A grid layout: every parcel to its group's grid (micro-grids follow the neighbours later).
  function gridChanges(groups) {
    const codeOf = groupCodes(groups, (p) => p.grid, gridCreate);
    const changes = [];
    for (const grp of groups) {
      for (const id of grp.parcels) {
        const p = S.parcels.get(id);
        if (p && p.grid !== codeOf.get(grp)) changes.push(change(id, codeOf.get(grp), null));
      }
    }
    return changes;
  }

  // Micro-grids of one grid: new ones get never-used codes under it.
  function microChanges(grid, groups) {
    let next = S.nextMicroCodes[grid] || `${grid}001`;
    const fresh = () => {
      const code = next;
      next = grid + String(Number(next.slice(-3)) + 1).padStart(3, "0");
      S.newGrids.push({ code, name: `${T.newMicrogrid} ${code.slice(-3)}` });
      return code;
    };
    const codeOf = groupCodes(groups, (p) => p.micro, fresh);
    S.nextMicroCodes[grid] = next;
    const changes = [];
    for (const grp of groups) {
      for (const id of grp.parcels) {
        if (S.parcels.has(id)) changes.push(change(id, grid, codeOf.get(grp)));
      }
    }
    return changes;
  }

  // Ranked alternatives, each with its metrics, problems, a preview on the map and "use".
  function showAlternatives(alternatives, unitsWord, use) {
    const box = $("ed-proposals");
    box.innerHTML = "";
    for (const alt of alternatives) {
      const div = document.createElement("div");
      div.className = "ed-proposal";
      const m = alt.metrics || {};
      div.innerHTML = `<p><strong>#${alt.rank}</strong> ${m.groups}${unitsWord} · ${m.groups_in_band} ${T.inBand}${alt.problems && alt.problems.length ? `<br><small>${T.problems}: ${alt.problems.map(escapeHtml).join("; ")}</small>` : ""}</p>
        <button type="button" data-act="preview">${T.preview}</button> <button type="button" data-act="use">${T.use}</button>`;
      div.querySelector('[data-act="preview"]').onclick = () => setOverlay(alt.groups
        .filter((g) => g.geometry)
        .map((g, i) => ({ type: "Feature", geometry: g.geometry, properties: { colour: PALETTE[i % PALETTE.length] } })));
      div.querySelector('[data-act="use"]').onclick = () => { use(alt.groups); setOverlay([]); };
      box.appendChild(div);
    }
  }

  async function propose() {
    const box = $("ed-proposals");
    box.textContent = T.loading;
    const r = await api("/propose", { method: "POST", body: { kind: "grids", alternatives: 3 } });
    if (!r.ok) { box.textContent = r.body.error || T.error; return; }
    showAlternatives(r.body.alternatives || [], "",
      (groups) => commitAction("proposal", gridChanges(groups)));
  }

  async function proposeMicro() {
    const grid = S.active;
    const box = $("ed-proposals");
    if (!grid) return;
    box.textContent = T.loading;
    const r = await api("/propose", {
      method: "POST",
      body: { kind: "microgrids", grid, alternatives: 3, assignment: draftAssignment() },
    });
    if (!r.ok) { box.textContent = r.body.error || T.error; return; }
    showAlternatives(r.body.alternatives || [], ` ${T.microgrids}`,
      (groups) => commitAction("microgrids", microChanges(grid, groups)));
  }

  async function assignUnassigned() {
    const r = await api("/assign-unassigned", {
      method: "POST", body: { assignment: draftAssignment() },
    });
    const box = $("ed-proposals");
    if (!r.ok) { box.textContent = r.body.error || T.error; return; }
    const moves = (r.body.moves || []).filter((m) => S.parcels.has(m.parcel));
    const problems = (r.body.problems || []).map(escapeHtml).join("; ");
    if (!moves.length) { box.innerHTML = `<p>${T.nothingToMove} ${problems}</p>`; return; }
    // No fix without showing it first: the moves are previewed, then applied as one step.
    box.innerHTML = `<p>${moves.length} ${T.willMove}${problems ? `<br><small>${problems}</small>` : ""}</p>
      <button type="button" data-act="apply">${T.apply}</button> <button type="button" data-act="cancel">${T.cancel}</button>`;
    for (const m of moves) map.setFeatureState({ source: "ed-parcels", id: m.parcel }, { violation: true });
    box.querySelector('[data-act="apply"]').onclick = () => {
      commitAction("assign-unassigned", moves.map((m) => change(m.parcel, m.grid, microFor(m.parcel, m.grid))));
      box.innerHTML = "";
    };
    box.querySelector('[data-act="cancel"]').onclick = () => { box.innerHTML = ""; renderViolations(); };
  }

  // ---- versions: list, diff on the map, revert ---------------------------------------------
  async function loadVersions() {
    const r = await api("/revisions");
    const ul = $("ed-versions");
    const list = (r.body.revisions || []);
    ul.innerHTML = list.map((v) => `<li data-number="${v.number}"><strong>${v.number === 0 ? T.baseline : `${T.revision} ${v.number}`}</strong>
      <small>${v.number === 0 ? "" : `${escapeHtml(v.effective_date || "")} · `}${escapeHtml(v.author__username || v.author || "")}</small>
      ${v.number < S.revision ? `<button type="button" class="ed-link" data-act="diff">Δ</button>${S.editable ? `<button type="button" class="ed-link" data-act="revert">${T.revert}</button>` : ""}` : ""}</li>`).join("");
  }

  async function showDiff(from) {
    const r = await api(`/revisions/${from}/diff/${S.revision}`);
    const box = $("ed-diff");
    if (!r.ok) { box.textContent = r.body.error || T.error; return; }
    const rows = (r.body.grids || []).map((g) => `<tr data-code="${escapeHtml(g.code)}"><td>${escapeHtml(g.code.slice(-3))}</td><td class="num">${g.households_from ?? "–"} → ${g.households_to ?? "–"}</td><td class="num">${g.buildings_from ?? "–"} → ${g.buildings_to ?? "–"}</td><td class="num">+${Math.round(g.area_m2_gained || 0)} / −${Math.round(g.area_m2_lost || 0)}</td></tr>`).join("");
    box.innerHTML = `<p>${T.diff} (${from} → ${S.revision})</p><table class="ed-grids"><tbody>${rows}</tbody></table>`;
    setOverlay(((r.body.moved || {}).features || []).map((f) => ({ ...f, properties: { ...f.properties, colour: "#7b2cbf" } })));
  }

  async function revert(number) {
    if (!confirm(`${T.revertConfirm} ${number}?`)) return;
    const r = await api(`/revisions/${number}/revert`, {
      method: "POST",
      body: { base_revision: S.revision, effective_date: $("ed-effective").value || undefined, reason: `revert to ${number}` },
    });
    if (r.status === 201) {
      localStorage.removeItem(storeKey());
      await loadCommunity(S.code);
      status(`${T.reverted} ${r.body.revision}`, "ok");
    } else status(r.body.error || T.error, "error");
  }

  // ---- tools: click, brush, box, cut -------------------------------------------------------
  function parcelAt(point) {
    // A building lies in one parcel: a click on it is a click on the parcel under it.
    const [hit] = map.queryRenderedFeatures(point, { layers: ["ed-parcel-fill"] });
    return hit ? Number(hit.id) : null;
  }

  let brushing = null;
  function onDown(e) {
    if (!S.editable || S.mode !== "brush" || !S.active) return;
    e.preventDefault();
    brushing = { changes: new Map() };
    map.dragPan.disable();
    onMove(e);
  }
  function onMove(e) {
    if (!brushing) return;
    const id = parcelAt(e.point);
    if (id === null || brushing.changes.has(id)) return;
    const p = S.parcels.get(id);
    if (p.grid === S.active) return;
    const c = change(id, S.active, microFor(id, S.active));
    brushing.changes.set(id, c);
    applyChanges([c], "after"); // painted at once; one undo step at mouse-up
    requestAnimationFrame(() => refreshTotals());
  }
  function onUp() {
    if (!brushing) return;
    const changes = [...brushing.changes.values()];
    brushing = null;
    map.dragPan.enable();
    if (!changes.length) return;
    S.undo.push({ label: "brush", changes });
    S.redo = [];
    afterEdit();
  }

  function setMode(mode) {
    S.mode = mode;
    for (const b of document.querySelectorAll("[data-mode]")) b.classList.toggle("on", b.dataset.mode === mode);
    if (!S.draw) return;
    S.draw.setMode(mode === "box" ? "rectangle" : mode === "cut" ? "linestring" : "static");
  }

  function setupDraw() {
    const { TerraDraw, TerraDrawRectangleMode, TerraDrawLineStringMode } = window.terraDraw;
    const { TerraDrawMapLibreGLAdapter } = window.terraDrawMaplibreGlAdapter;
    S.draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new TerraDrawRectangleMode(),
        new TerraDrawLineStringMode({ snapping: { toCoordinate: true } }),
      ],
    });
    S.draw.start();
    S.draw.on("finish", (id) => {
      const feature = S.draw.getSnapshot().find((f) => f.id === id);
      S.draw.clear();
      if (!feature) return;
      if (S.mode === "box") boxSelect(feature.geometry);
      else if (S.mode === "cut") cut(feature.geometry);
    });
  }

  function boxSelect(geometry) {
    const [[x0, y0], [x1, y1]] = bboxOf(geometry);
    const ids = [];
    for (const [id, p] of S.parcels) if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) ids.push(id);
    if (S.active) assign(ids, S.active, "box");
  }

  async function cut(line) {
    const r = await api("/cut", { method: "POST", body: { line } });
    if (!r.ok) { status(`${T.cutFailed}: ${r.body.error || r.status}`, "error"); return; }
    // New parcels carry their grid; the draft's moves still name surviving parcel ids.
    const saved = { undo: S.undo, redo: S.redo, newGrids: S.newGrids };
    const data = await api("/editor.json");
    const layout = await api("/layout");
    indexData(data.body, layout.body);
    S.newGrids = saved.newGrids;
    for (const g of S.newGrids) if (isGridCode(g.code)) gridEntry(g.code).name = g.name;
    for (const action of saved.undo) applyChanges(action.changes.filter((c) => S.parcels.has(c.id)), "after", false);
    S.undo = saved.undo; S.redo = saved.redo;
    recountAll();
    drawData(data.body);
    refreshAll();
    persist();
    status(`${T.cutDone}: ${(r.body.created || []).length}`, "ok");
  }

  // ---- wiring ------------------------------------------------------------------------------
  async function loadCommunities(street) {
    const sel = $("ed-community");
    sel.innerHTML = `<option value="">${T.choose}</option>`;
    sel.disabled = !street;
    if (!street) return;
    const r = await fetch(`${el.dataset.divisionsUrl}?street=${encodeURIComponent(street)}`);
    const body = await r.json();
    for (const d of body.divisions || []) {
      const o = document.createElement("option");
      o.value = d.code; o.textContent = d.name;
      sel.appendChild(o);
    }
  }

  $("ed-street").addEventListener("change", (e) => loadCommunities(e.target.value));
  $("ed-community").addEventListener("change", (e) => { if (e.target.value) loadCommunity(e.target.value); });
  $("ed-undo").addEventListener("click", undo);
  $("ed-redo").addEventListener("click", redo);
  $("ed-new-grid").addEventListener("click", newGrid);
  $("ed-publish").addEventListener("click", publish);
  $("ed-discard").addEventListener("click", discard);
  $("ed-propose").addEventListener("click", propose);
  $("ed-assign-unassigned").addEventListener("click", assignUnassigned);
  $("ed-propose-micro").addEventListener("click", proposeMicro);
  for (const b of document.querySelectorAll("[data-mode]")) b.addEventListener("click", () => setMode(b.dataset.mode));
  $("ed-effective").value = new Date().toISOString().slice(0, 10);
  $("ed-grids").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-code]");
    if (!row) return;
    const code = row.dataset.code;
    if (e.target.closest(".ed-merge")) merge(code);
    else if (e.target.closest(".ed-rebalance")) rebalance(S.active, code);
    else if (e.target.closest(".ed-split")) split(code);
    else { S.active = code; refreshTotals(); }
  });
  $("ed-versions").addEventListener("click", (e) => {
    const li = e.target.closest("li[data-number]");
    if (!li) return;
    const number = Number(li.dataset.number);
    if (e.target.dataset.act === "diff") showDiff(number);
    else if (e.target.dataset.act === "revert") revert(number);
  });
  $("ed-violations").addEventListener("click", (e) => {
    const li = e.target.closest("li[data-index]");
    const v = li && S.violations[Number(li.dataset.index)];
    if (v && v.geometry) map.fitBounds(bboxOf(v.geometry), { padding: 80, maxZoom: 18 });
  });
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || !S.editable) return;
    if (e.key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
    if (e.key === "y" || (e.key === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
  });

  map.on("load", () => {
    setupDraw();
    setMode("click");
    map.on("click", (e) => {
      if (!S.editable || S.mode !== "click" || !S.active) return;
      const id = parcelAt(e.point);
      if (id !== null) assign([id], S.active, "click");
    });
    map.on("mousedown", onDown);
    map.on("mousemove", onMove);
    map.on("mouseup", onUp);
    map.on("mouseout", onUp);
    const initial = el.dataset.community;
    if (initial) {
      $("ed-street").value = initial.slice(0, 9);
      loadCommunities(initial.slice(0, 9)).then(() => { $("ed-community").value = initial; });
      loadCommunity(initial);
    } else status(T.choose);
    window.gridatlasEditor = S; // for tests and the curious: the live draft state
    window.gridatlasEditorMap = map;
  });
})();

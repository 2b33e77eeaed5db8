/* The editor's state (window.gridatlasEditor): a community's parcels with their figures and the
 * grid and micro-grid each is in now and was in at the published revision, the shared-edge graph,
 * the grids with their live totals, and the draft (the undo and redo stacks, the grids it
 * creates). No DOM here: Node's tests build it from the same JSON the page loads. */
import { isGridCode } from "./codes.js";
import { colourOf } from "./colours.js";

export function createState() {
  return {
    code: null, communityName: null, editable: false, revision: 0, scheduled: null,
    nextGridCode: null, nextMicroCodes: {},
    parcels: new Map(),   // id → {households, buildings, compound, x, y, grid, micro, baseGrid, baseMicro}
    neighbours: new Map(), // id → [ids]
    edgesOf: new Map(),    // parcel id → [edge ids]
    edges: new Map(),      // edge id → [a, b]
    grids: new Map(),      // code → {name, households, buildings, parcels: Set, fresh, pieces}
    newGrids: [],          // [{code, name}] created in this draft (grids and micro-grids)
    active: null, undo: [], redo: [], rebasedFrom: null, mode: "click",
    violations: [], violatedCodes: new Set(), dirtyGrids: new Set(), colours: new Map(),
    saveTimer: null, saveTicket: 0, draw: null, bounds: null, tableShape: null,
    applyMs: null, refreshMs: null, // read by bench/editor_frame.py
  };
}

// The community's parcels and edges (editor.json) and its grids (…/layout): the draft starts empty.
export function indexData(S, data, layout) {
  S.parcels.clear(); S.neighbours.clear(); S.edgesOf.clear(); S.edges.clear();
  S.grids.clear(); S.newGrids = []; S.violations = []; S.violatedCodes.clear();
  for (const g of layout.grids) {
    S.grids.set(g.code, { name: g.name, households: 0, buildings: 0, parcels: new Set() });
  }
  S.colours = new Map();
  for (const code of [...S.grids.keys()].sort()) colourOf(S.colours, code);
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
  for (const [id, p] of S.parcels) if (p.grid) gridEntry(S, p.grid).parcels.add(id);
  recountAll(S);
  S.active = [...S.grids.keys()].sort()[0] || null;
}

// A grid's entry, made on first sight for a grid this draft creates (`fresh`).
export function gridEntry(S, code) {
  if (!S.grids.has(code)) {
    S.grids.set(code, { name: code, households: 0, buildings: 0, parcels: new Set(), fresh: true });
  }
  return S.grids.get(code);
}

export function recountAll(S) {
  for (const g of S.grids.values()) { g.households = 0; g.buildings = 0; }
  for (const p of S.parcels.values()) {
    if (!p.grid) continue;
    const g = gridEntry(S, p.grid);
    g.households += p.households; g.buildings += p.buildings;
  }
}

// The grids the draft creates get their names ("New grid 004"); micro-grids have no row.
export function nameNewGrids(S) {
  for (const g of S.newGrids) if (isGridCode(g.code, S.code)) gridEntry(S, g.code).name = g.name;
}

// Only the new grids and micro-grids some parcel is in: undone ones are not created.
export function newGridsInUse(S) {
  const usedMicros = new Set([...S.parcels.values()].map((p) => p.micro));
  return S.newGrids.filter((g) => (isGridCode(g.code, S.code)
    ? (S.grids.get(g.code) || { parcels: new Set() }).parcels.size > 0 : usedMicros.has(g.code)));
}

// The draft's grid of every parcel, as the compute-only endpoints take it.
export function draftAssignment(S) {
  const assignment = {};
  for (const [id, p] of S.parcels) assignment[id] = p.grid;
  return assignment;
}

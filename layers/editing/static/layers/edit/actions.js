/* Grid actions: a new grid, merge into the active grid, split in two, rebalance two grids, and
 * the server's proposals (grids, micro-grids, assigning the unassigned), each shown before it is
 * applied and applied as one undoable step. */
import { nextGridCode, serialOf } from "./codes.js";
import { PALETTE } from "./colours.js";
import { splitHalf } from "./contiguity.js";
import { change } from "./draft.js";
import { gridChanges, microChanges } from "./groups.js";
import { escapeHtml } from "./html.js";
import { markParcels, setOverlay } from "./mapview.js";
import { microFor } from "./microgrids.js";
import { $, api, S, status, T } from "./page.js";
import { draftAssignment, gridEntry } from "./state.js";
import { assign, commitAction, persist } from "./sync.js";
import { refreshTotals, renderViolations } from "./table.js";

// A grid this draft creates: a never-used code, named "New grid NNN".
function gridCreate() {
  const code = nextGridCode(S.code, S.nextGridCode, new Set(S.grids.keys()));
  const name = `${T.newGrid} ${serialOf(code)}`;
  S.newGrids.push({ code, name });
  gridEntry(S, code).name = name;
  return code;
}

export function newGrid() {
  const code = gridCreate();
  S.active = code;
  persist();
  refreshTotals();
  return code;
}

export function merge(code) {
  if (!S.active || code === S.active) return;
  assign([...S.grids.get(code).parcels], S.active, "merge");
}

// The server's moves between two grids, each parcel into the micro-grid its neighbours share.
function serverMoves(moves) {
  return moves.filter((m) => S.parcels.has(m.parcel))
    .map((m) => change(S, m.parcel, m.grid, microFor(m.parcel, m.grid, S.parcels, S.neighbours)));
}

export async function rebalance(a, b, label) {
  const r = await api("/rebalance", {
    method: "POST", body: { grids: [a, b], assignment: draftAssignment(S) },
  });
  if (!r.ok) { status(r.body.error || T.error, "error"); return false; }
  commitAction(label || "rebalance", serverMoves(r.body.moves || []));
  return true;
}

// Split: a new grid takes the half grown from the grid's westernmost parcel; the server's
// rebalance then makes both halves contiguous and inside the band where it can.
export async function split(code) {
  const g = S.grids.get(code);
  if (!g || g.parcels.size < 2) return;
  const taken = splitHalf(g, S.parcels, S.neighbours);
  const fresh = newGrid();
  assign([...taken], fresh, "split");
  await rebalance(code, fresh, "split-rebalance");
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

export async function propose() {
  const box = $("ed-proposals");
  box.textContent = T.loading;
  const r = await api("/propose", { method: "POST", body: { kind: "grids", alternatives: 3 } });
  if (!r.ok) { box.textContent = r.body.error || T.error; return; }
  showAlternatives(r.body.alternatives || [], "",
    (groups) => commitAction("proposal", gridChanges(S, groups, gridCreate)));
}

export async function proposeMicro() {
  const grid = S.active;
  const box = $("ed-proposals");
  if (!grid) return;
  box.textContent = T.loading;
  const r = await api("/propose", {
    method: "POST",
    body: { kind: "microgrids", grid, alternatives: 3, assignment: draftAssignment(S) },
  });
  if (!r.ok) { box.textContent = r.body.error || T.error; return; }
  const nameOf = (code) => `${T.newMicrogrid} ${serialOf(code)}`;
  showAlternatives(r.body.alternatives || [], ` ${T.microgrids}`,
    (groups) => commitAction("microgrids", microChanges(S, grid, groups, nameOf)));
}

export async function assignUnassigned() {
  const r = await api("/assign-unassigned", {
    method: "POST", body: { assignment: draftAssignment(S) },
  });
  const box = $("ed-proposals");
  if (!r.ok) { box.textContent = r.body.error || T.error; return; }
  const moves = (r.body.moves || []).filter((m) => S.parcels.has(m.parcel));
  const problems = (r.body.problems || []).map(escapeHtml).join("; ");
  if (!moves.length) { box.innerHTML = `<p>${T.nothingToMove} ${problems}</p>`; return; }
  // No fix without showing it first: the moves are previewed, then applied as one step.
  box.innerHTML = `<p>${moves.length} ${T.willMove}${problems ? `<br><small>${problems}</small>` : ""}</p>
      <button type="button" data-act="apply">${T.apply}</button> <button type="button" data-act="cancel">${T.cancel}</button>`;
  markParcels(moves.map((m) => m.parcel));
  box.querySelector('[data-act="apply"]').onclick = () => {
    commitAction("assign-unassigned", serverMoves(moves));
    box.innerHTML = "";
  };
  box.querySelector('[data-act="cancel"]').onclick = () => { box.innerHTML = ""; renderViolations(); };
}

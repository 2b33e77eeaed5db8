/* The tools that give parcels to the active grid: click (a building's click is its parcel's),
 * brush (every parcel dragged over, one undoable step), box (Terra Draw's rectangle: the parcels
 * whose point is inside) and the cut line (Terra Draw's line, sent to the server, which splits
 * the parcels it crosses; the draft's moves are then replayed on the reloaded parcels). */
import { bboxOf, parcelsIn } from "./bbox.js";
import * as draft from "./draft.js";
import { drawData, map, paintParcel } from "./mapview.js";
import { microFor } from "./microgrids.js";
import { api, S, status, T } from "./page.js";
import { indexData } from "./state.js";
import { afterEdit, assign, persist } from "./sync.js";
import { refreshAll, refreshTotals } from "./table.js";

function parcelAt(point) {
  // A building lies in one parcel: a click on it is a click on the parcel under it.
  const [hit] = map.queryRenderedFeatures(point, { layers: ["ed-parcel-fill"] });
  return hit ? Number(hit.id) : null;
}

export function onClick(e) {
  if (!S.editable || S.mode !== "click" || !S.active) return;
  const id = parcelAt(e.point);
  if (id !== null) assign([id], S.active, "click");
}

let brushing = null;
export function onDown(e) {
  if (!S.editable || S.mode !== "brush" || !S.active) return;
  e.preventDefault();
  brushing = { changes: new Map() };
  map.dragPan.disable();
  onMove(e);
}
export function onMove(e) {
  if (!brushing) return;
  const id = parcelAt(e.point);
  if (id === null || brushing.changes.has(id)) return;
  const p = S.parcels.get(id);
  if (p.grid === S.active) return;
  const c = draft.change(S, id, S.active, microFor(id, S.active, S.parcels, S.neighbours));
  brushing.changes.set(id, c);
  draft.applyChanges(S, [c], "after", paintParcel); // painted at once; one undo step at mouse-up
  requestAnimationFrame(() => refreshTotals());
}
export function onUp() {
  if (!brushing) return;
  const changes = [...brushing.changes.values()];
  brushing = null;
  map.dragPan.enable();
  if (!changes.length) return;
  draft.pushAction(S, "brush", changes);
  afterEdit();
}

export function setMode(mode) {
  S.mode = mode;
  for (const b of document.querySelectorAll("[data-mode]")) b.classList.toggle("on", b.dataset.mode === mode);
  if (!S.draw) return;
  S.draw.setMode(mode === "box" ? "rectangle" : mode === "cut" ? "linestring" : "static");
}

export function setupDraw() {
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
  const ids = parcelsIn(bboxOf(geometry), S.parcels);
  if (S.active) assign(ids, S.active, "box");
}

async function cut(line) {
  const r = await api("/cut", { method: "POST", body: { line } });
  if (!r.ok) { status(`${T.cutFailed}: ${r.body.error || r.status}`, "error"); return; }
  // New parcels carry their grid; the draft's moves still name surviving parcel ids.
  const saved = { undo: S.undo, redo: S.redo, newGrids: S.newGrids };
  const data = await api("/editor.json");
  const layout = await api("/layout");
  indexData(S, data.body, layout.body);
  draft.replay(S, saved);
  drawData(data.body);
  refreshAll();
  persist();
  status(`${T.cutDone}: ${(r.body.created || []).length}`, "ok");
}

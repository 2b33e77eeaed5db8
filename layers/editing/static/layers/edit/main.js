/* The planners' layout editor (/edit/), loaded as an ES module after MapLibre and Terra Draw.
 *
 * A grid is a set of parcels (docs/design.md), so an edit is a list of parcel moves: nothing here
 * computes geometry. The browser keeps the draft as an undo stack of moves (draft.js, in
 * localStorage so undo/redo survive a reload), recomputes each affected grid's households,
 * buildings, band and contiguity from the parcels' figures and the shared-edge graph within the
 * frame of the edit (table.js), and shows grid outlines by thickening the shared edges whose two
 * parcels are in different grids (mapview.js). The server keeps the draft too (PUT …/draft),
 * checks every rule of the draft inside a rolled-back transaction, and publishes it
 * (POST …/publish) only when the rules pass. The logic without DOM or map (band, codes,
 * contiguity, draft, groups, microgrids, state) is unit-tested by `node --test tests/js/`.
 */
import * as actions from "./actions.js";
import { streetOf } from "./codes.js";
import { loadCommunities, loadCommunity } from "./community.js";
import { fitGeometry, map } from "./mapview.js";
import { $, el, S, status, T, TODAY } from "./page.js";
import { cancelScheduled, discard, publish, revert } from "./publish.js";
import { effectiveHint } from "./schedule.js";
import { redo, undo } from "./sync.js";
import { refreshTotals } from "./table.js";
import * as tools from "./tools.js";
import { showDiff } from "./versions.js";

$("ed-street").addEventListener("change", (e) => loadCommunities(e.target.value));
$("ed-community").addEventListener("change", (e) => { if (e.target.value) loadCommunity(e.target.value); });
$("ed-undo").addEventListener("click", undo);
$("ed-redo").addEventListener("click", redo);
$("ed-new-grid").addEventListener("click", actions.newGrid);
$("ed-publish").addEventListener("click", publish);
$("ed-discard").addEventListener("click", discard);
$("ed-propose").addEventListener("click", actions.propose);
$("ed-assign-unassigned").addEventListener("click", actions.assignUnassigned);
$("ed-propose-micro").addEventListener("click", actions.proposeMicro);
for (const b of document.querySelectorAll("[data-mode]")) b.addEventListener("click", () => tools.setMode(b.dataset.mode));
$("ed-effective").value = TODAY;
$("ed-effective").addEventListener("input", effectiveHint);
$("ed-scheduled").addEventListener("click", (e) => {
  if (e.target.closest("#ed-cancel-scheduled") && S.scheduled) cancelScheduled(S.scheduled.revision);
});
$("ed-grids").addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-code]");
  if (!row) return;
  const code = row.dataset.code;
  if (e.target.closest(".ed-merge")) actions.merge(code);
  else if (e.target.closest(".ed-rebalance")) actions.rebalance(S.active, code);
  else if (e.target.closest(".ed-split")) actions.split(code);
  else { S.active = code; refreshTotals(); }
});
$("ed-versions").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-number]");
  if (!li) return;
  const number = Number(li.dataset.number);
  if (e.target.dataset.act === "diff") showDiff(number);
  else if (e.target.dataset.act === "revert") revert(number);
  else if (e.target.dataset.act === "cancel") cancelScheduled(number);
});
$("ed-violations").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-index]");
  const v = li && S.violations[Number(li.dataset.index)];
  if (v && v.geometry) fitGeometry(v.geometry);
});
document.addEventListener("keydown", (e) => {
  if (!(e.ctrlKey || e.metaKey) || !S.editable) return;
  if (e.key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
  if (e.key === "y" || (e.key === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
});

map.on("load", () => {
  tools.setupDraw();
  tools.setMode("click");
  map.on("click", tools.onClick);
  map.on("mousedown", tools.onDown);
  map.on("mousemove", tools.onMove);
  map.on("mouseup", tools.onUp);
  map.on("mouseout", tools.onUp);
  const initial = el.dataset.community;
  if (initial) {
    $("ed-street").value = streetOf(initial);
    loadCommunities(streetOf(initial)).then(() => { $("ed-community").value = initial; });
    loadCommunity(initial);
  } else status(T.choose);
  window.gridatlasEditor = S; // for tests and the curious: the live draft state
  window.gridatlasEditorMap = map;
});

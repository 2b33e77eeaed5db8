/* Edits and their round trip: every step goes on the undo stack, into localStorage (so undo and
 * redo survive a reload) and, a moment later, to the server (PUT …/draft), which checks every
 * rule of the draft inside a rolled-back transaction and answers with the violations. */
import * as draft from "./draft.js";
import { paintParcel } from "./mapview.js";
import { $, api, S, T, USER } from "./page.js";
import { newGridsInUse } from "./state.js";
import { refreshTotals, showViolations } from "./table.js";

const CHECK_DELAY_MS = 600; // a brush stroke is one save and one check, not fifty

const storeKey = () => `gridatlas.edit.${USER}.${S.code}`;

export function persist() {
  localStorage.setItem(storeKey(), JSON.stringify(draft.snapshot(S)));
}

// This browser's copy of the draft, or null.
export function savedDraft() {
  try { return JSON.parse(localStorage.getItem(storeKey()) || "null"); } catch (_e) { return null; }
}

export function forgetDraft() {
  localStorage.removeItem(storeKey());
}

export function afterEdit() {
  persist();
  requestAnimationFrame(() => refreshTotals()); // totals in the next frame, whatever the size
  scheduleSave();
}

export function commitAction(label, changes) {
  const started = performance.now();
  if (!draft.commit(S, label, changes, paintParcel)) return;
  S.applyMs = performance.now() - started; // read by bench/editor_frame.py
  afterEdit();
}

export function assign(ids, grid, label) {
  commitAction(label, draft.assignChanges(S, ids, grid));
}

export function undo() {
  if (draft.undo(S, paintParcel)) afterEdit();
}

export function redo() {
  if (draft.redo(S, paintParcel)) afterEdit();
}

export function scheduleSave() {
  clearTimeout(S.saveTimer);
  S.saveTicket += 1; // answers to saves sent before this edit are stale
  $("ed-check-status").textContent = T.unsaved;
  S.saveTimer = setTimeout(saveDraft, CHECK_DELAY_MS);
}

export async function saveDraft() {
  const moves = draft.draftMoves(S);
  $("ed-check-status").textContent = T.checking;
  const newGrids = newGridsInUse(S);
  const ticket = S.saveTicket;
  if (!moves.length) {
    await api("/draft", { method: "DELETE" });
    if (ticket !== S.saveTicket) return;
    $("ed-check-status").textContent = T.noChanges;
    showViolations([]);
    return;
  }
  const r = await api("/draft", {
    method: "PUT", body: { base_revision: S.revision, moves, new_grids: newGrids },
  });
  if (ticket !== S.saveTicket) return; // a later edit's check is on its way: this one is stale
  if (!r.ok) {
    $("ed-check-status").textContent = r.body.error || T.error;
    return;
  }
  const violations = (r.body.check && r.body.check.violations) || [];
  $("ed-check-status").textContent = violations.length
    ? `${T.violations}: ${violations.length}` : T.rulesPass;
  showViolations(violations);
}

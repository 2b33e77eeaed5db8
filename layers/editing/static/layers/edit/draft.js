/* The draft: an undo stack of actions, each a list of parcel moves {id, from: [grid, micro],
 * to: [grid, micro]}. A grid is a set of parcels (docs/design.md), so an edit computes no geometry: a
 * move updates the two grids' totals and marks them dirty for the table. `onParcel(id)` is told
 * of every parcel moved (the page repaints it). Persisted as `snapshot(S)` (localStorage). */
import { gridEntry, nameNewGrids, recountAll } from "./state.js";
import { microFor } from "./microgrids.js";

// A move of parcel `id` from where it is now.
export function change(S, id, grid, micro) {
  const p = S.parcels.get(id);
  return { id, from: [p.grid, p.micro], to: [grid || null, micro === undefined ? null : micro] };
}

export function applyChanges(S, changes, side, onParcel) {
  for (const c of changes) {
    const p = S.parcels.get(c.id);
    if (!p) continue;
    const [grid, micro] = side === "after" ? c.to : c.from;
    if (p.grid) {
      const g = gridEntry(S, p.grid);
      g.parcels.delete(c.id); g.households -= p.households; g.buildings -= p.buildings;
      S.dirtyGrids.add(p.grid);
    }
    p.grid = grid; p.micro = micro;
    if (grid) {
      const g = gridEntry(S, grid);
      g.parcels.add(c.id); g.households += p.households; g.buildings += p.buildings;
      S.dirtyGrids.add(grid);
    }
    if (onParcel) onParcel(c.id);
  }
}

// One undoable step of the moves that change something; false when none does.
export function commit(S, label, changes, onParcel) {
  const real = changes.filter((c) => c.from[0] !== c.to[0] || c.from[1] !== c.to[1]);
  if (!real.length) return false;
  applyChanges(S, real, "after", onParcel);
  pushAction(S, label, real);
  return true;
}

// An action already applied (a brush stroke, painted as it went) becomes one undoable step.
export function pushAction(S, label, changes) {
  S.undo.push({ label, changes });
  S.redo = [];
}

export function undo(S, onParcel) {
  const action = S.undo.pop();
  if (!action) return false;
  applyChanges(S, [...action.changes].reverse(), "before", onParcel);
  S.redo.push(action);
  return true;
}

export function redo(S, onParcel) {
  const action = S.redo.pop();
  if (!action) return false;
  applyChanges(S, action.changes, "after", onParcel);
  S.undo.push(action);
  return true;
}

// Parcels `ids` to `grid` (null: unassigned), each into the micro-grid its new neighbours share.
export function assignChanges(S, ids, grid) {
  const changes = [];
  for (const id of new Set(ids)) {
    const p = S.parcels.get(id);
    if (!p || p.grid === grid) continue;
    changes.push(change(S, id, grid, grid ? microFor(id, grid, S.parcels, S.neighbours) : null));
  }
  return changes;
}

// The draft as the server takes it: every parcel not where the published layout has it.
export function draftMoves(S) {
  const moves = [];
  for (const [id, p] of S.parcels) {
    if (p.grid !== p.baseGrid || p.micro !== p.baseMicro) {
      moves.push({ parcel: id, grid: p.grid, microgrid: p.micro });
    }
  }
  return moves;
}

// The moves that bring every parcel back to the published layout.
export function discardChanges(S) {
  return draftMoves(S).map((m) => {
    const p = S.parcels.get(m.parcel);
    return change(S, m.parcel, p.baseGrid, p.baseMicro);
  });
}

export function snapshot(S) {
  return { revision: S.revision, undo: S.undo, redo: S.redo, newGrids: S.newGrids };
}

// The draft comes back from this browser (`saved`, its undo stack) or, failing that, from the
// server (`serverDraft`, one step). A draft begun on an older revision is re-applied to the
// current one as one step and `S.rebasedFrom` says from which: someone else's publish never
// silently drops a draft. Nothing is painted: the page draws every parcel after.
export function restoreDraft(S, saved, serverDraft) {
  S.undo = []; S.redo = []; S.rebasedFrom = null;
  if (saved && saved.revision === S.revision) {
    S.newGrids = saved.newGrids || [];
    nameNewGrids(S);
    for (const action of saved.undo) applyChanges(S, action.changes, "after");
    S.undo = saved.undo; S.redo = saved.redo || [];
    recountAll(S);
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
    .map(([id, [grid, micro]]) => change(S, id, grid, micro));
  if (changes.length) {
    S.newGrids = newGrids.filter((g) => !S.grids.has(g.code)); // unless published meanwhile
    nameNewGrids(S);
    applyChanges(S, changes, "after");
    S.undo = [{ label: base === S.revision ? "draft" : "rebased", changes }];
    if (base !== S.revision) S.rebasedFrom = base;
  }
  recountAll(S);
}

// After the parcels are reloaded (a cut): the draft's steps again, on the parcels that survive.
export function replay(S, saved) {
  S.newGrids = saved.newGrids;
  nameNewGrids(S);
  for (const action of saved.undo) applyChanges(S, action.changes.filter((c) => S.parcels.has(c.id)), "after");
  S.undo = saved.undo; S.redo = saved.redo;
  recountAll(S);
}

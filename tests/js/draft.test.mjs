import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyChanges, change, commit, discardChanges, draftMoves, pushAction, redo, replay,
  restoreDraft, snapshot, undo,
} from "../../layers/editing/static/layers/edit/draft.js";
import { COMMUNITY, G1, G2, loaded, M1, M2, totals, where } from "./community.mjs";

test("an edit is one undo step and clears the redo stack", () => {
  const S = loaded();
  S.redo = [{ label: "old", changes: [] }];
  assert.equal(commit(S, "click", [change(S, 1, G2, M1), change(S, 4, G2, M1)]), true);
  assert.equal(S.undo.length, 1);
  assert.deepEqual(S.undo[0].changes.map((c) => c.id), [1, 4]);
  assert.deepEqual(S.redo, []);
});

test("moves that change nothing are not a step", () => {
  const S = loaded();
  assert.equal(commit(S, "click", [change(S, 2, G2, M1)]), false);
  assert.deepEqual(S.undo, []);
  commit(S, "click", [change(S, 2, G2, M1), change(S, 3, G2, M1)]);
  assert.deepEqual(S.undo[0].changes.map((c) => c.id), [3]); // a micro-grid move is a move
});

test("undo and redo move parcels, micro-grids and totals back and forth", () => {
  const S = loaded();
  commit(S, "merge", [change(S, 1, G2, M1), change(S, 4, G2, M1)]);
  assert.deepEqual(totals(S, G2), [210, 6]);
  assert.equal(S.grids.get(G1).parcels.size, 0);
  assert.equal(undo(S), true);
  assert.deepEqual([where(S, 1), where(S, 4)], [[G1, null], [G1, null]]);
  assert.deepEqual(totals(S, G1), [50, 2]);
  assert.deepEqual(totals(S, G2), [160, 4]);
  assert.deepEqual([S.undo.length, S.redo.length], [0, 1]);
  assert.equal(redo(S), true);
  assert.deepEqual(where(S, 4), [G2, M1]);
  assert.deepEqual(totals(S, G2), [210, 6]);
  assert.deepEqual([S.undo.length, S.redo.length], [1, 0]);
});

test("undo and redo with nothing to do change nothing", () => {
  const S = loaded();
  assert.equal(undo(S), false);
  assert.equal(redo(S), false);
  assert.deepEqual(draftMoves(S), []);
});

test("a step that moves a parcel twice is undone back to where it started", () => {
  const S = loaded();
  const first = { id: 1, from: [G1, null], to: [G2, M1] };
  const second = { id: 1, from: [G2, M1], to: [G2, M2] };
  commit(S, "proposal", [first, second]);
  assert.deepEqual(where(S, 1), [G2, M2]);
  undo(S);
  assert.deepEqual(where(S, 1), [G1, null]);
});

test("every parcel moved is reported to the page, which repaints it", () => {
  const S = loaded();
  const painted = [];
  commit(S, "box", [change(S, 1, G2, M1), change(S, 4, G2, M1)], (id) => painted.push(id));
  undo(S, (id) => painted.push(id));
  assert.deepEqual(painted, [1, 4, 4, 1]);
});

test("the draft is the parcels away from the published layout; discard brings them back", () => {
  const S = loaded();
  commit(S, "click", [change(S, 1, G2, M1)]);
  commit(S, "click", [change(S, 3, G2, M1)]);
  commit(S, "click", [change(S, 1, G1, null)]);
  assert.deepEqual(draftMoves(S), [{ parcel: 3, grid: G2, microgrid: M1 }]);
  assert.equal(commit(S, "discard", discardChanges(S)), true);
  assert.deepEqual(draftMoves(S), []);
  assert.equal(S.undo.length, 4); // and the discard can be undone
});

test("a brush stroke, applied as it went, becomes one step", () => {
  const S = loaded();
  const stroke = [change(S, 1, G2, M1)];
  applyChanges(S, stroke, "after");
  stroke.push(change(S, 4, G2, M1));
  applyChanges(S, stroke.slice(1), "after");
  pushAction(S, "brush", stroke);
  undo(S);
  assert.deepEqual([where(S, 1), where(S, 4)], [[G1, null], [G1, null]]);
});

test("a reload on the same revision brings back the undo and redo stacks", () => {
  const S = loaded();
  commit(S, "click", [change(S, 1, G2, M1)]);
  commit(S, "click", [change(S, 4, G2, M1)]);
  undo(S);
  const saved = JSON.parse(JSON.stringify(snapshot(S)));
  const T = loaded();
  restoreDraft(T, saved, null);
  assert.deepEqual([T.undo.length, T.redo.length, T.rebasedFrom], [1, 1, null]);
  assert.deepEqual([where(T, 1), where(T, 4)], [[G2, M1], [G1, null]]);
  assert.deepEqual(totals(T, G2), totals(S, G2));
  redo(T);
  assert.deepEqual(where(T, 4), [G2, M1]);
});

test("a draft begun on an older revision is re-applied as one step, and says from which", () => {
  const S = loaded(3);
  commit(S, "click", [change(S, 1, G2, M1)]);
  commit(S, "click", [change(S, 3, G1, null)]);
  const saved = JSON.parse(JSON.stringify(snapshot(S)));
  // Revision 4 was published meanwhile and already moved parcel 3 to grid 1.
  const T = loaded(4);
  applyChanges(T, [change(T, 3, G1, null)], "after");
  for (const p of T.parcels.values()) { p.baseGrid = p.grid; p.baseMicro = p.micro; }
  restoreDraft(T, saved, null);
  assert.equal(T.rebasedFrom, 3);
  assert.equal(T.undo.length, 1);
  assert.equal(T.undo[0].label, "rebased");
  assert.deepEqual(T.undo[0].changes.map((c) => c.id), [1]); // parcel 3 is there already
  assert.deepEqual(draftMoves(T), [{ parcel: 1, grid: G2, microgrid: M1 }]);
});

test("without this browser's copy, the server's draft comes back as one step", () => {
  const S = loaded(3);
  const fresh = `${COMMUNITY}005`;
  restoreDraft(S, null, {
    base_revision: 3,
    moves: [{ parcel: 1, grid: fresh, microgrid: null }, { parcel: 99, grid: G2, microgrid: null }],
    new_grids: [{ code: fresh, name: "New grid 005" }, { code: G2, name: "published meanwhile" }],
  });
  assert.equal(S.rebasedFrom, null);
  assert.equal(S.undo[0].label, "draft");
  assert.deepEqual(where(S, 1), [fresh, null]); // parcel 99 is gone: dropped
  assert.deepEqual(S.newGrids, [{ code: fresh, name: "New grid 005" }]);
  assert.equal(S.grids.get(fresh).name, "New grid 005");
  assert.equal(S.grids.get(G2).name, "操场社区第2网格");
});

test("after a cut the draft is replayed on the parcels that survive", () => {
  const S = loaded();
  commit(S, "click", [change(S, 1, G2, M1), change(S, 6, G1, null)]);
  const saved = { undo: S.undo, redo: S.redo, newGrids: S.newGrids };
  const T = loaded();
  T.parcels.delete(6); // split by the cut into new parcels, which carry their grid
  replay(T, saved);
  assert.deepEqual(where(T, 1), [G2, M1]);
  assert.deepEqual(totals(T, G1), [40, 1]);
  assert.equal(T.undo.length, 1);
});

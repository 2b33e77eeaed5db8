import assert from "node:assert/strict";
import { test } from "node:test";

import { assignChanges, commit, undo } from "../../layers/editing/static/layers/edit/draft.js";
import { microFor } from "../../layers/editing/static/layers/edit/microgrids.js";
import { G1, G2, loaded, M1, M2, totals, where } from "./community.mjs";

// A parcel 0 with neighbours 1…n, each in `grid` with the given micro-grid.
function around(grid, micros) {
  const parcels = new Map([[0, { grid: "elsewhere", micro: null }]]);
  micros.forEach((micro, i) => parcels.set(i + 1, { grid, micro }));
  return { parcels, neighbours: new Map([[0, micros.map((_m, i) => i + 1)]]) };
}

test("a moved parcel joins the micro-grid most of its new neighbours share", () => {
  const { parcels, neighbours } = around(G2, [M1, M2, M2]);
  assert.equal(microFor(0, G2, parcels, neighbours), M2);
});

test("on a tie the lowest code wins, whatever order the neighbours come in", () => {
  const { parcels, neighbours } = around(G2, [M2, M1]);
  assert.equal(microFor(0, G2, parcels, neighbours), M1);
});

test("neighbours in other grids, or in none of its micro-grids, give none", () => {
  const { parcels, neighbours } = around(G2, [M1, M1]);
  assert.equal(microFor(0, G1, parcels, neighbours), null);
  assert.equal(microFor(0, G2, around(G2, [null]).parcels, around(G2, [null]).neighbours), null);
  assert.equal(microFor(0, G2, parcels, new Map()), null);
});

test("a click moves a parcel into its new neighbours' micro-grid, and undo puts it back", () => {
  const S = loaded();
  // Parcel 1 (grid 1) borders parcel 2 (grid 2, micro-grid 1) and parcel 4 (grid 1).
  assert.ok(commit(S, "click", assignChanges(S, [1], G2)));
  assert.deepEqual(where(S, 1), [G2, M1]);
  assert.deepEqual(totals(S, G2), [20 + 30 + 50 + 60 + 10, 5]);
  assert.deepEqual(totals(S, G1), [40, 1]);
  undo(S);
  assert.deepEqual(where(S, 1), [G1, null]);
  assert.deepEqual(totals(S, G1), [50, 2]);
});

test("a parcel moved into a grid without micro-grids leaves its micro-grid behind", () => {
  const S = loaded();
  commit(S, "click", assignChanges(S, [5], G1));
  assert.deepEqual(where(S, 5), [G1, null]);
});

test("parcels already in the grid, unknown or repeated ids make no move", () => {
  const S = loaded();
  const changes = assignChanges(S, [2, 4, 4, 99], G2);
  assert.deepEqual(changes.map((c) => c.id), [4]);
  // Parcel 4's neighbours in grid 2: parcel 5 (micro-grid 1).
  assert.deepEqual(changes[0].to, [G2, M1]);
});

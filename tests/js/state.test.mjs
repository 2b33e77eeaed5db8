import assert from "node:assert/strict";
import { test } from "node:test";

import { PALETTE, colourOf } from "../../layers/editing/static/layers/edit/colours.js";
import { change, commit, undo } from "../../layers/editing/static/layers/edit/draft.js";
import { draftAssignment, gridEntry, newGridsInUse } from "../../layers/editing/static/layers/edit/state.js";
import { COMMUNITY, G1, G2, loaded, M1, totals } from "./community.mjs";

test("loading indexes the shared-edge graph both ways and counts each grid", () => {
  const S = loaded();
  assert.deepEqual(S.neighbours.get(5).sort(), [2, 4, 6]);
  assert.deepEqual(S.neighbours.get(1).sort(), [2, 4]);
  assert.deepEqual(S.edgesOf.get(1).length, 2);
  assert.deepEqual(totals(S, G1), [50, 2]);
  assert.deepEqual(totals(S, G2), [160, 4]);
  assert.equal(S.active, G1); // the lowest code, whatever order the layout lists them in
});

test("grids get colours in code order, and a new grid the next one", () => {
  const S = loaded();
  assert.equal(colourOf(S.colours, G1), PALETTE[0]);
  assert.equal(colourOf(S.colours, G2), PALETTE[1]);
  assert.equal(colourOf(S.colours, `${COMMUNITY}005`), PALETTE[2]);
  assert.equal(colourOf(S.colours, G1), PALETTE[0]);
  assert.equal(colourOf(S.colours, null), "#bbbbbb");
});

test("only the new grids and micro-grids some parcel is in are sent", () => {
  const S = loaded();
  const grid5 = `${COMMUNITY}005`, grid6 = `${COMMUNITY}006`, micro = `${grid5}001`;
  S.newGrids = [{ code: grid5, name: "5" }, { code: grid6, name: "6" }, { code: micro, name: "m" },
    { code: `${G2}009`, name: "undone" }];
  gridEntry(S, grid6);
  commit(S, "click", [change(S, 1, grid5, micro)]);
  assert.deepEqual(newGridsInUse(S).map((g) => g.code), [grid5, micro]);
  undo(S);
  assert.deepEqual(newGridsInUse(S), []);
});

test("the assignment the compute-only endpoints take is the draft's", () => {
  const S = loaded();
  commit(S, "click", [change(S, 1, G2, M1)]);
  assert.deepEqual(draftAssignment(S), { 1: G2, 2: G2, 3: G2, 4: G1, 5: G2, 6: G2 });
});

test("a grid first seen in the draft is marked fresh, a loaded one is not", () => {
  const S = loaded();
  assert.equal(gridEntry(S, `${COMMUNITY}005`).fresh, true);
  assert.equal(gridEntry(S, G1).fresh, undefined);
});

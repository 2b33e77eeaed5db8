import assert from "node:assert/strict";
import { test } from "node:test";

import { pieces, splitHalf } from "../../layers/editing/static/layers/edit/contiguity.js";
import { loaded } from "./community.mjs";

const S = loaded();
const n = (...ids) => pieces(new Set(ids), S.neighbours);

test("no parcels is no piece; one parcel, or a chain of neighbours, is one", () => {
  assert.equal(n(), 0);
  assert.equal(n(5), 1);
  assert.equal(n(1, 2, 3), 1);
  assert.equal(n(1, 2, 3, 6, 5, 4), 1);
});

test("parcels that share no edge are separate pieces", () => {
  assert.equal(n(1, 3), 2); // parcel 2 between them is not in the set
  assert.equal(n(1, 5), 2); // corners touch, no edge is shared
  assert.equal(n(1, 3, 5), 3);
  assert.equal(n(1, 4, 3, 6), 2);
});

test("a split takes a connected half from the westernmost parcel, never the whole grid", () => {
  const all = { parcels: new Set([1, 2, 3, 4, 5, 6]), households: 210 };
  const taken = splitHalf(all, S.parcels, S.neighbours);
  assert.ok(taken.has(1), [...taken]);
  assert.equal(pieces(taken, S.neighbours), 1);
  const households = [...taken].reduce((sum, id) => sum + S.parcels.get(id).households, 0);
  assert.ok(households >= 105 && taken.size < 6, [...taken]);
});

test("a two-parcel grid splits one parcel each way", () => {
  const grid = { parcels: new Set([2, 3]), households: 50 };
  assert.deepEqual([...splitHalf(grid, S.parcels, S.neighbours)], [3]);
});

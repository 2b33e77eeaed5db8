import assert from "node:assert/strict";
import { test } from "node:test";

import { commit } from "../../layers/editing/static/layers/edit/draft.js";
import { gridChanges, groupCodes, microChanges } from "../../layers/editing/static/layers/edit/groups.js";
import { COMMUNITY, G1, G2, loaded, M1, M2, where } from "./community.mjs";

const group = (S, ...parcels) => ({
  parcels, households: parcels.reduce((sum, id) => sum + S.parcels.get(id).households, 0),
});

test("the biggest group keeps the grid it shares most households with", () => {
  const S = loaded();
  const big = group(S, 1, 2, 4, 5); // shares 10+40 with grid 1, 20+50 with grid 2
  const small = group(S, 3, 6);     // all grid 2, but grid 2 is taken
  let made = 0;
  const codeOf = groupCodes(S, [small, big], (p) => p.grid, () => `fresh${(made += 1)}`);
  assert.equal(codeOf.get(big), G2);
  assert.equal(codeOf.get(small), "fresh1");
});

test("a proposed layout moves only the parcels whose grid changes", () => {
  const S = loaded();
  const changes = gridChanges(S, [group(S, 1, 2, 4, 5), group(S, 3, 6)], () => `${COMMUNITY}005`);
  assert.deepEqual(changes.map((c) => [c.id, c.to[0]]),
    [[1, G2], [4, G2], [3, `${COMMUNITY}005`], [6, `${COMMUNITY}005`]]);
  assert.ok(changes.every((c) => c.to[1] === null));
});

test("new micro-grids get the server's next codes and never the same one twice", () => {
  const S = loaded();
  const name = (code) => `New micro-grid ${code.slice(-3)}`;
  // Grid 2 in three micro-grids: two keep M1 and M2, the third gets 004 (001–003 are taken).
  commit(S, "microgrids", microChanges(S, G2, [group(S, 2), group(S, 5), group(S, 3, 6)], name));
  const third = where(S, 2)[1];
  assert.deepEqual([where(S, 5)[1], where(S, 3)[1]], [M1, M2]);
  assert.equal(third, `${G2}004`);
  assert.deepEqual(S.newGrids, [{ code: `${G2}004`, name: "New micro-grid 004" }]);
  // A second proposal for the grid, on a page that made 004, starts at 005.
  commit(S, "microgrids", microChanges(S, G2, [group(S, 2, 5), group(S, 3), group(S, 6)], name));
  assert.equal(S.nextMicroCodes[G2], `${G2}006`);
  assert.ok(!S.newGrids.slice(1).some((g) => g.code === third), S.newGrids);
});

test("micro-grids of a grid that never had one start at 001, the biggest group first", () => {
  const S = loaded();
  const changes = microChanges(S, G1, [group(S, 1), group(S, 4)], (code) => code);
  assert.deepEqual(changes.map((c) => [c.id, c.to]), [[1, [G1, `${G1}002`]], [4, [G1, `${G1}001`]]]);
});

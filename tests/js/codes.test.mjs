import assert from "node:assert/strict";
import { test } from "node:test";

import {
  codeAfter, codeFormatFrom, firstCode, isGridCode, nextGridCode, serialOf, streetOf,
} from "../../layers/editing/static/layers/edit/codes.js";
import { COMMUNITY, G1, G2, M1 } from "./community.mjs";

test("the next grid code is the server's, past retired codes the page does not know", () => {
  // Live grids 001 and 002; 003 and 004 were retired, so the server says 005.
  const used = new Set([G1, G2]);
  assert.equal(nextGridCode(COMMUNITY, `${COMMUNITY}005`, used), `${COMMUNITY}005`);
});

test("a code the draft already made is stepped past, not reused", () => {
  const used = new Set([G1, G2, `${COMMUNITY}005`, `${COMMUNITY}006`]);
  assert.equal(nextGridCode(COMMUNITY, `${COMMUNITY}005`, used), `${COMMUNITY}007`);
});

test("without the server's code, the first free serial from 001", () => {
  assert.equal(nextGridCode(COMMUNITY, null, new Set()), `${COMMUNITY}001`);
  assert.equal(nextGridCode(COMMUNITY, null, new Set([G1, G2])), `${COMMUNITY}003`);
});

test("serials count up in three digits under the same parent", () => {
  assert.equal(codeAfter(`${G2}009`), `${G2}010`);
  assert.equal(codeAfter(`${COMMUNITY}099`), `${COMMUNITY}100`);
  assert.equal(firstCode(G2), `${G2}001`);
  assert.equal(serialOf(M1), "001");
});

test("grid codes are the community's plus three digits; micro-grids three more", () => {
  assert.equal(isGridCode(G1, COMMUNITY), true);
  assert.equal(isGridCode(M1, COMMUNITY), false);
  assert.equal(streetOf(COMMUNITY), "420102001");
});

test("the code formats come from the page, and a page without them is refused", () => {
  assert.deepEqual(codeFormatFrom({ codeSerial: "3", codeStreet: "9" }), { serial: 3, street: 9 });
  assert.throws(() => codeFormatFrom({ codeSerial: "", codeStreet: "9" }), /data-code-serial/);
  assert.throws(() => codeFormatFrom({ codeSerial: "3" }), /data-code-street/);
  assert.throws(() => codeFormatFrom({ codeSerial: "three", codeStreet: "9" }), /data-code/);
  codeFormatFrom({ codeSerial: "4", codeStreet: "9" });
  try {
    assert.equal(firstCode("420102001001"), "4201020010010001");
    assert.equal(streetOf("420102001001"), "420102001");
  } finally {
    codeFormatFrom({ codeSerial: "3", codeStreet: "9" });
  }
});

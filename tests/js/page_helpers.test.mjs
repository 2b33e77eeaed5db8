import assert from "node:assert/strict";
import { test } from "node:test";

import { requestInit } from "../../layers/editing/static/layers/edit/api.js";
import { bboxOf, parcelsIn } from "../../layers/editing/static/layers/edit/bbox.js";
import { escapeHtml, shortName } from "../../layers/editing/static/layers/edit/html.js";
import { loaded } from "./community.mjs";

test("writes carry the CSRF token, reads do not; a body goes as JSON", () => {
  assert.equal(requestInit({}, "tok").headers["X-CSRFToken"], undefined);
  assert.equal(requestInit({ method: "GET" }, "tok").headers["X-CSRFToken"], undefined);
  const del = requestInit({ method: "DELETE" }, "tok");
  assert.deepEqual(del.headers, { Accept: "application/json", "X-CSRFToken": "tok" });
  const put = requestInit({ method: "PUT", body: { moves: [] } }, "tok");
  assert.equal(put.body, '{"moves":[]}');
  assert.equal(put.headers["Content-Type"], "application/json");
  assert.equal(put.headers["X-CSRFToken"], "tok");
  assert.equal(put.credentials, "same-origin");
});

test("text is escaped before it goes into HTML", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(escapeHtml(5), "5");
});

test("a grid's name drops its community's, unless nothing would be left", () => {
  assert.equal(shortName("操场社区第1网格", "操场社区"), "第1网格");
  assert.equal(shortName("操场社区", "操场社区"), "操场社区");
  assert.equal(shortName("后湖第1网格", "操场社区"), "后湖第1网格");
  assert.equal(shortName("第1网格", null), "第1网格");
});

test("the box tool takes the parcels whose point is in the box, edges included", () => {
  const S = loaded();
  const box = bboxOf({ type: "Polygon", coordinates: [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]] });
  assert.deepEqual(box, [[1, 0], [2, 1]]);
  assert.deepEqual(parcelsIn(box, S.parcels), [2, 3, 5, 6]);
  assert.deepEqual(parcelsIn([[0.5, 0.5], [0.9, 0.9]], S.parcels), []);
});

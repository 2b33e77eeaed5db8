import assert from "node:assert/strict";
import { test } from "node:test";

import { band, bandLimits, load } from "../../layers/editing/static/layers/edit/band.js";

const LIMITS = { min: 300, max: 500 };

test("both limits are inside the band, as the server's load_band rule has them", () => {
  assert.equal(band(299, LIMITS), "under");
  assert.equal(band(300, LIMITS), "ok");
  assert.equal(band(500, LIMITS), "ok");
  assert.equal(band(501, LIMITS), "over");
});

test("the band follows the limits it is given, not numbers of its own", () => {
  assert.equal(band(120, { min: 50, max: 100 }), "over");
  assert.equal(band(120, { min: 100, max: 200 }), "ok");
  assert.equal(band(120, { min: 150, max: 200 }), "under");
});

test("a grid with no parcels has no load, whatever its count says", () => {
  assert.equal(load({ parcels: new Set(), households: 0 }, LIMITS), "empty");
  assert.equal(load({ parcels: new Set([1]), households: 0 }, LIMITS), "under");
  assert.equal(load({ parcels: new Set([1]), households: 400 }, LIMITS), "ok");
});

test("the limits are the page's data attributes, as numbers", () => {
  assert.deepEqual(bandLimits({ gridMin: "300", gridMax: "500" }), { min: 300, max: 500 });
});

test("a page without the limits is refused, naming what is missing", () => {
  assert.throws(() => bandLimits({ gridMax: "500" }), /data-grid-min and data-grid-max/);
  assert.throws(() => bandLimits({ gridMin: "", gridMax: "500" }), /data-grid-min/);
  assert.throws(() => bandLimits({ gridMin: "three hundred", gridMax: "500" }), /got three hundred/);
});

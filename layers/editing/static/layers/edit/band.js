/* The household band of a grid, as the server's load_band rule reads it: under, ok or over, both
 * limits inside the band (min ≤ households ≤ max). The limits are the page's data
 * (GRIDATLAS_GRID_HOUSEHOLDS_MIN/MAX through data-grid-min/-max), never restated here. */

// The limits from the map element's data attributes; a page without them is a template bug.
export function bandLimits(dataset) {
  const given = (v) => typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v));
  if (!given(dataset.gridMin) || !given(dataset.gridMax)) {
    throw new Error(`the editor needs data-grid-min and data-grid-max, got ${dataset.gridMin} and ${dataset.gridMax}`);
  }
  return { min: Number(dataset.gridMin), max: Number(dataset.gridMax) };
}

export function band(households, limits) {
  if (households < limits.min) return "under";
  if (households > limits.max) return "over";
  return "ok";
}

// A grid's load as the table shows it: a grid with no parcel left has none.
export function load(grid, limits) {
  return grid.parcels.size ? band(grid.households, limits) : "empty";
}

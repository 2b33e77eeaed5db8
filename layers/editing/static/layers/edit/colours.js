/* A grid keeps its colour while the page lives (codes in order, new grids after them): looked up,
 * not recomputed, as every parcel asks on load. */
export const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
  "#bfef45", "#469990", "#9a6324", "#800000", "#808000", "#000075", "#aaffc3", "#dcbeff",
  "#ffd8b1", "#fabed4", "#a9a9a9"];
export const NO_GRID = "#bbbbbb";

export function colourOf(colours, code) {
  if (!code) return NO_GRID;
  let colour = colours.get(code);
  if (!colour) {
    colour = PALETTE[colours.size % PALETTE.length];
    colours.set(code, colour);
  }
  return colour;
}

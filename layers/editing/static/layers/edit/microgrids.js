/* The micro-grid a parcel joins when it moves to another grid. */

// The one of its neighbours in that grid that most of them share (the lowest code on a tie), so
// micro-grids keep tiling their grid; none when no neighbour there has one.
export function microFor(id, grid, parcels, neighbours) {
  const counts = new Map();
  for (const n of neighbours.get(id) || []) {
    const q = parcels.get(n);
    if (q.grid === grid && q.micro) counts.set(q.micro, (counts.get(q.micro) || 0) + 1);
  }
  let best = null, bestN = 0;
  for (const [m, n] of counts) if (n > bestN || (n === bestN && m < best)) { best = m; bestN = n; }
  return best;
}

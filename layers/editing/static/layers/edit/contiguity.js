/* The shared-edge graph of a community's parcels (`neighbours`: parcel id → [ids]): how many
 * pieces a grid is in, and the connected half a split takes. */

// Connected pieces of a set of parcels over the shared-edge graph: one piece is contiguous.
export function pieces(parcelIds, neighbours) {
  if (!parcelIds.size) return 0;
  const seen = new Set();
  let count = 0;
  for (const start of parcelIds) {
    if (seen.has(start)) continue;
    count += 1;
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const id = stack.pop();
      for (const n of neighbours.get(id)) {
        if (!seen.has(n) && parcelIds.has(n)) { seen.add(n); stack.push(n); }
      }
    }
  }
  return count;
}

// The half of a grid a split gives to the new grid: grown breadth-first from the grid's
// westernmost parcel until it holds half the households, never the whole grid (the server's
// rebalance then evens the two out).
export function splitHalf(grid, parcels, neighbours) {
  const ids = [...grid.parcels];
  const start = ids.reduce((best, id) => (parcels.get(id).x < parcels.get(best).x ? id : best));
  const half = grid.households / 2;
  const taken = new Set([start]);
  let households = parcels.get(start).households;
  const queue = [start];
  while (queue.length && households < half) {
    for (const n of neighbours.get(queue.shift())) {
      if (households >= half) break;
      if (grid.parcels.has(n) && !taken.has(n)) {
        taken.add(n); households += parcels.get(n).households; queue.push(n);
      }
    }
  }
  if (taken.size === ids.length) taken.delete(start);
  return taken;
}

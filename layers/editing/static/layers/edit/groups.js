/* A proposal's groups of parcels ({parcels: [ids], households}) turned into draft moves: each
 * group keeps the code of the unit it overlaps most, so using a proposal renames as little as
 * it can. */
import { codeAfter, firstCode } from "./codes.js";
import { change } from "./draft.js";

// Each group takes the existing unit (`unitOf` a parcel: its grid or micro-grid) it shares most
// households with, the biggest group choosing first; the others get `fresh()`.
export function groupCodes(S, groups, unitOf, fresh) {
  const claimed = new Set();
  const codeOf = new Map();
  for (const grp of [...groups].sort((x, y) => y.households - x.households)) {
    const share = new Map();
    for (const id of grp.parcels) {
      const p = S.parcels.get(id);
      const unit = p && unitOf(p);
      if (unit && !claimed.has(unit)) share.set(unit, (share.get(unit) || 0) + p.households + 1);
    }
    let best = null, bestN = 0;
    for (const [c, n] of share) if (n > bestN) { best = c; bestN = n; }
    if (!best) best = fresh();
    claimed.add(best);
    codeOf.set(grp, best);
  }
  return codeOf;
}

// A grid layout: every parcel to its group's grid (micro-grids follow the neighbours later);
// `freshGrid()` creates a grid for a group that overlaps none left.
export function gridChanges(S, groups, freshGrid) {
  const codeOf = groupCodes(S, groups, (p) => p.grid, freshGrid);
  const changes = [];
  for (const grp of groups) {
    for (const id of grp.parcels) {
      const p = S.parcels.get(id);
      if (p && p.grid !== codeOf.get(grp)) changes.push(change(S, id, codeOf.get(grp), null));
    }
  }
  return changes;
}

// Micro-grids of one grid: new ones get never-used codes under it (from the server's next code,
// past the ones this page made), added to the draft's new grids named by `nameOf(code)`.
export function microChanges(S, grid, groups, nameOf) {
  let next = S.nextMicroCodes[grid] || firstCode(grid);
  const fresh = () => {
    const code = next;
    next = codeAfter(next);
    S.newGrids.push({ code, name: nameOf(code) });
    return code;
  };
  const codeOf = groupCodes(S, groups, (p) => p.micro, fresh);
  S.nextMicroCodes[grid] = next;
  const changes = [];
  for (const grp of groups) {
    for (const id of grp.parcels) {
      if (S.parcels.has(id)) changes.push(change(S, id, grid, codeOf.get(grp)));
    }
  }
  return changes;
}

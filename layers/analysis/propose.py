"""Proposed grid layouts for a community: parcels grouped into contiguous grids whose households
fall inside a band (boundary rule 5), compounds (小区) kept whole where the band allows. Micro-grids
for a grid are the same problem on the grid's parcels with the micro-grid band.

Pure: arrays in, layouts out. Parcels are indices 0..n−1; `adjacency` lists the pairs that share
an edge of positive length (a shared corner does not make two parcels neighbours, as a grid
joined only at a point is not one piece).

Method, per connected piece of the parcel graph:

1. **Compounds first.** The connected parcels of one compound become one unit when their
   households fit in the band's maximum, so no later step can split them.
2. **Seeds far apart.** As many groups as put the mean nearest the band's middle; the seeds are
   picked by farthest-point sampling on hop distance, from a first seed drawn from `seed`.
3. **Region growing.** The smallest group takes the neighbouring unit that brings it closest to
   the band's middle, until every unit is taken: groups grow at the same pace, so none is walled
   in while small. Zero-household parcels are taken like any other, so they go with a neighbour.
4. **Repair, ReCom-style** (DeFord, Duchin & Solomon, 2021; in `propose_recom`): for a group
   out of band, the nearest group with room (or with households to spare) is found by a search
   on the group graph, and the surplus is passed along the path one link at a time: the two
   groups of a link are merged and the merged region split again by cutting one edge of a random
   spanning tree, so that the first ends in band near the middle (at the last link: the cut that
   best balances the two). A cut tree leaves two connected parts, so contiguity holds by
   construction. A push is kept when it lowers the households outside the band on its path (then
   the squared distance to the middle), else undone; repair ends when every group is in band or
   a pass improves nothing.

Alternatives come from independent random streams of `seed`; identical layouts are dropped and
the rest ranked by `score` (lower is better).

>>> [x.households.tolist() for x in propose_layouts(
...     households=np.array([200, 200, 200, 200]), adjacency=[(0, 1), (1, 2), (2, 3)],
...     compound=np.full(4, -1), lo=300, hi=500, alternatives=1)]
[[400, 400]]
"""

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from layers.analysis.propose_graph import (
    Band,
    components,
    compound_units,
    neighbour_lists,
    parcels_named,
)
from layers.analysis.propose_recom import recom_repair

# Score weight of one compound split across grids, in households outside the band: splitting a
# compound costs residents a second grid worker, about as bad as a grid 50 households over.
COMPOUND_SPLIT_WEIGHT = 50
# Attempts per alternative asked for: the extra ones replace duplicates and poor layouts.
ATTEMPTS_PER_ALTERNATIVE = 2


@dataclass(frozen=True)
class LayoutMetrics:
    groups: int
    groups_in_band: int
    max_deviation: int  # households outside the band, in the worst group (0 when all in band)
    compounds_split: int  # compounds whose parcels lie in more than one group
    contiguous: bool  # every group one connected piece of the parcel graph


@dataclass(frozen=True)
class Layout:
    """One proposal: `assignment[i]` is parcel i's group (0..groups−1, numbered by their lowest
    parcel index); `households[g]` group g's total; `score` lower is better. `problems` say why
    the band is not met, naming group g as "group g+1" (people count from 1)."""

    assignment: np.ndarray
    households: np.ndarray
    metrics: LayoutMetrics
    score: float
    problems: list[str] = field(default_factory=list)


def _far_seeds(*, comp: list[int], nbrs: list[list[int]], k: int, rng) -> list[int]:
    """Farthest-point sampling by hop distance. Each new seed's BFS stops where it is no nearer,
    and a lazy max-heap finds the farthest unit: distances only ever shrink."""
    dist = dict.fromkeys(comp, len(comp))
    heap = [(-len(comp), u) for u in comp]
    seeds = [comp[int(rng.integers(len(comp)))]]
    while True:
        dist[seeds[-1]] = 0
        queue = deque([seeds[-1]])
        while queue:
            u = queue.popleft()
            for v in nbrs[u]:
                if dist[u] + 1 < dist[v]:
                    dist[v] = dist[u] + 1
                    heapq.heappush(heap, (-dist[v], v))
                    queue.append(v)
        if len(seeds) == k:
            return seeds
        while -heap[0][0] != dist[heap[0][1]]:
            heapq.heappop(heap)  # stale: that unit has come nearer a seed since
        seeds.append(heapq.heappop(heap)[1])


def _grow(
    *, comp: list[int], nbrs: list[list[int]], weight: np.ndarray, seeds: list[int], mid: float
) -> dict[int, int]:
    """Simultaneous region growing: the lightest group takes the neighbour that brings it nearest
    `mid`; a group with no free neighbour left stops."""
    group = {u: i for i, u in enumerate(seeds)}
    totals = [int(weight[u]) for u in seeds]
    frontier = [set(nbrs[u]) for u in seeds]
    heap = [(totals[i], i) for i in range(len(seeds))]
    heapq.heapify(heap)
    while heap and len(group) < len(comp):
        _, g = heapq.heappop(heap)
        free = sorted(u for u in frontier[g] if u not in group)
        frontier[g] = set(free)
        if not free:
            continue
        best = min(free, key=lambda u: abs(totals[g] + int(weight[u]) - mid))
        group[best] = g
        totals[g] += int(weight[best])
        frontier[g].discard(best)
        frontier[g].update(nbrs[best])
        heapq.heappush(heap, (totals[g], g))
    return group


def _group_count(*, total: int, units: int, band: Band) -> int:
    """Groups for a piece: the count whose mean is nearest the band's middle, kept inside the
    counts that could all be in band when there are some."""
    fewest, most = -(-total // band.hi), total // band.lo
    k = round(total / band.mid)
    if fewest <= most:
        k = min(max(k, fewest), most)
    return max(1, min(k, units))


def _piece_problems(
    *,
    pieces: list[list[int]],
    households: np.ndarray,
    band: Band,
    names: Sequence | None,
    parent: str,
    child: str,
) -> tuple[list[str], set[int]]:
    """Why the band cannot be met whatever the layout, and the pieces (by index) concerned;
    `parent` and `child` name what is divided and into what ("community", "grid")."""
    problems, hopeless = [], set()
    for i, piece in enumerate(pieces):
        total = int(households[piece].sum())
        fewest, most = -(-total // band.hi), total // band.lo
        where = (
            f"the {parent}"
            if len(pieces) == 1
            else f"parcels {parcels_named(piece, names)}, which touch no other parcel,"
        )
        if total < band.lo and len(pieces) == 1:
            problems.append(
                f"the {parent} holds {total} households, fewer than the band's minimum "
                f"{band.lo}: one {child} of all its parcels"
            )
        elif total < band.lo:
            problems.append(
                f"an isolated pocket of {total} households: parcels {parcels_named(piece, names)} "
                f"touch no other parcel, so they make a {child} of their own"
            )
        elif fewest > most:
            problems.append(
                f"the {total} households of {where} cannot make {child}s of {band.lo}–{band.hi}: "
                f"{fewest - 1} {child}s would hold more than {band.hi} each, {fewest} fewer than "
                f"{band.lo} each"
            )
        else:
            continue
        hopeless.add(i)
    for p in np.flatnonzero(households > band.hi):
        problems.append(
            f"parcel {parcels_named([int(p)], names)[1:-1]} alone holds {int(households[p])} "
            f"households, more than the band's maximum {band.hi}: split the parcel"
        )
    return problems, hopeless


def _attempt(
    *, pieces: list[list[int]], unit_of: np.ndarray, unit_nbrs, unit_weight, band: Band, rng
) -> np.ndarray:
    """One layout: a group number per parcel (not yet canonical)."""
    assignment = np.empty(len(unit_of), dtype=np.int64)
    unit_group = np.empty(len(unit_weight), dtype=np.int64)
    offset = 0
    for piece in pieces:
        comp = sorted({int(u) for u in unit_of[piece]})
        k = _group_count(total=int(unit_weight[comp].sum()), units=len(comp), band=band)
        seeds = _far_seeds(comp=comp, nbrs=unit_nbrs, k=k, rng=rng)
        group = _grow(comp=comp, nbrs=unit_nbrs, weight=unit_weight, seeds=seeds, mid=band.mid)
        recom_repair(group=group, nbrs=unit_nbrs, weight=unit_weight, band=band, rng=rng)
        for u, g in group.items():
            unit_group[u] = offset + g
        offset += k
    assignment[:] = unit_group[unit_of]
    return assignment


def _canonical(assignment: np.ndarray) -> np.ndarray:
    """Groups renumbered in the order of their lowest parcel index: equal layouts, equal arrays."""
    _, first = np.unique(assignment, return_index=True)
    order = np.argsort(first)
    renumber = np.empty(assignment.max() + 1, dtype=np.int64)
    renumber[np.unique(assignment)[order]] = np.arange(len(order))
    return renumber[assignment]


def _pieces_count(*, nbrs: list[list[int]], label: np.ndarray) -> int:
    """Connected pieces of the graph once the edges between differently labelled parcels are
    cut: equal to the number of labels exactly when every label's parcels are contiguous."""
    seen = [False] * len(nbrs)
    label = label.tolist()  # Python ints: numpy scalar compares cost ~10× more per edge
    pieces = 0
    for start in range(len(nbrs)):
        if seen[start]:
            continue
        pieces += 1
        seen[start] = True
        stack = [start]
        while stack:
            u = stack.pop()
            for v in nbrs[u]:
                if not seen[v] and label[v] == label[u]:
                    seen[v] = True
                    stack.append(v)
    return pieces


def _layout(
    *,
    assignment: np.ndarray,
    households: np.ndarray,
    compound: np.ndarray,
    nbrs: list[list[int]],
    band: Band,
    problems: list[str],
) -> Layout:
    totals = np.bincount(assignment, weights=households).astype(np.int64)
    deviation = np.maximum(np.maximum(band.lo - totals, totals - band.hi), 0)
    contiguous = _pieces_count(nbrs=nbrs, label=assignment) == len(totals)
    in_compound = compound >= 0
    pairs = np.unique(np.stack([compound[in_compound], assignment[in_compound]]), axis=1)
    split = int((np.bincount(pairs[0]) > 1).sum()) if pairs.size else 0
    metrics = LayoutMetrics(
        groups=len(totals),
        groups_in_band=int((deviation == 0).sum()),
        max_deviation=int(deviation.max()),
        compounds_split=split,
        contiguous=contiguous,
    )
    # Households outside the band first, then split compounds; the spread around the band's
    # middle (in band widths, well under 1) only breaks ties between otherwise equal layouts.
    spread = float(np.sqrt(np.mean((totals - band.mid) ** 2))) / max(band.hi - band.lo, 1)
    score = float(deviation.sum()) + COMPOUND_SPLIT_WEIGHT * split + spread / 10
    if not contiguous:
        score += float(households.sum())  # never expected: a bug, ranked last
    return Layout(assignment, totals, metrics, score, problems)


def _stuck(
    *, assignment: np.ndarray, households: np.ndarray, band: Band, skip: np.ndarray
) -> list[str]:
    """The out-of-band groups that no piece problem already explains."""
    out = []
    totals = np.bincount(assignment, weights=households).astype(np.int64)
    for g, h in enumerate(totals):
        members = assignment == g
        if band.deviation(int(h)) and not skip[members].any():
            out.append(
                f"group {g + 1}: {int(h)} households, outside {band.lo}–{band.hi}; no exchange of "
                f"parcels with its neighbouring groups brings it into the band"
            )
    return out


def propose_layouts(
    *,
    households: np.ndarray,
    adjacency: Sequence[tuple[int, int]],
    compound: np.ndarray,
    lo: int,
    hi: int,
    alternatives: int = 3,
    seed: int = 0,
    names: Sequence | None = None,
    parent: str = "community",
    child: str = "grid",
) -> list[Layout]:
    """Up to `alternatives` layouts of parcels into contiguous groups of `lo`–`hi` households
    (inclusive), best first. `compound[i]` is parcel i's compound (−1 for none); `names[i]`, if
    given, is how problems name parcel i (default its index); `parent` and `child` how they name
    what is divided and its groups. Same seed, same layouts."""
    households = np.asarray(households, dtype=np.int64)
    compound = np.asarray(compound, dtype=np.int64)
    n, band = len(households), Band(lo, hi)
    if n == 0:
        return []
    nbrs = neighbour_lists(n, adjacency)
    pieces = components(nbrs)
    problems, hopeless = _piece_problems(
        pieces=pieces, households=households, band=band, names=names, parent=parent, child=child
    )
    skip = households > hi
    for i in hopeless:
        skip[pieces[i]] = True
    unit_of = compound_units(households=households, nbrs=nbrs, compound=compound, hi=hi)
    unit_weight = np.bincount(unit_of, weights=households).astype(np.int64)
    unit_nbrs = neighbour_lists(
        len(unit_weight),
        [(unit_of[a], unit_of[b]) for a, b in adjacency if unit_of[a] != unit_of[b]],
    )
    layouts: dict[bytes, Layout] = {}
    for attempt in range(alternatives * ATTEMPTS_PER_ALTERNATIVE):
        rng = np.random.default_rng([seed, attempt])
        assignment = _canonical(
            _attempt(
                pieces=pieces,
                unit_of=unit_of,
                unit_nbrs=unit_nbrs,
                unit_weight=unit_weight,
                band=band,
                rng=rng,
            )
        )
        if assignment.tobytes() in layouts:
            continue
        stuck = _stuck(assignment=assignment, households=households, band=band, skip=skip)
        layouts[assignment.tobytes()] = _layout(
            assignment=assignment,
            households=households,
            compound=compound,
            nbrs=nbrs,
            band=band,
            problems=problems + stuck,
        )
    # Stable sort: equal scores keep the order of their attempts, so the ranking is repeatable.
    return sorted(layouts.values(), key=lambda x: x.score)[:alternatives]

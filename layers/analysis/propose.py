"""Proposed grid layouts for a community: parcels grouped into contiguous grids whose households
fall inside a band (boundary rule 5), compounds (小区) kept whole where the band allows.

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
4. **Repair, ReCom-style** (DeFord, Duchin & Solomon, 2021): for a group out of band, the nearest
   group with room (or with households to spare) is found by a search on the group graph, and
   the surplus is passed along the path one link at a time: the two groups of a link are merged
   and the merged region split again by cutting one edge of a random spanning tree, so that
   the first ends in band near the middle (at the last link: the cut that best balances the
   two). A cut tree leaves two connected parts, so contiguity holds by construction. A push is
   kept when it lowers the households outside the band on its path (then the squared distance
   to the middle), else undone; repair ends when every group is in band or a pass improves
   nothing.

Alternatives come from independent random streams of `seed`; identical layouts are dropped and
the rest ranked by `score` (lower is better).

>>> [x.households.tolist() for x in propose_layouts(
...     households=np.array([200, 200, 200, 200]), adjacency=[(0, 1), (1, 2), (2, 3)],
...     compound=np.full(4, -1), lo=300, hi=500, alternatives=1)]
[[400, 400]]
"""

import heapq
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

# Score weight of one compound split across grids, in households outside the band: splitting a
# compound costs residents a second grid worker, about as bad as a grid 50 households over.
COMPOUND_SPLIT_WEIGHT = 50
# Spanning trees tried per merged pair: more finds better cuts, each costs one pass over the pair.
TREES_PER_MERGE = 2
# Groups searched for one with room for a surplus: bounds a move's path and time.
MAX_PATH_GROUPS = 60
# Passes in a row without improvement that end the repair. The trees are random, so another
# pass may still find a move, but 4 passes gained ~1 % more groups in band for twice the time.
STALLED_PASSES = 1
# Repair passes over the out-of-band groups; each pass that improves nothing ends the repair.
MAX_REPAIR_PASSES = 200
# Attempts per alternative asked for: the extra ones replace duplicates and poor layouts.
ATTEMPTS_PER_ALTERNATIVE = 2
# Parcels named in a problem message before "…".
NAMED_IN_PROBLEM = 10


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


@dataclass
class _Band:
    lo: int
    hi: int

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    def deviation(self, h: int) -> int:
        return max(self.lo - h, h - self.hi, 0)

    def deviations(self, h: np.ndarray) -> np.ndarray:
        return np.maximum(np.maximum(self.lo - h, h - self.hi), 0)

    def cost(self, *hs: int) -> tuple[int, float]:
        return sum(self.deviation(h) for h in hs), sum((h - self.mid) ** 2 for h in hs)


def _neighbours(n: int, adjacency: Sequence[tuple[int, int]]) -> list[list[int]]:
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in adjacency:
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    # Sorted, so that walks do not depend on set order: same seed, same layout.
    return [sorted(s) for s in nbrs]


def _components(nbrs: list[list[int]]) -> list[list[int]]:
    seen = np.zeros(len(nbrs), dtype=bool)
    out = []
    for start in range(len(nbrs)):
        if seen[start]:
            continue
        seen[start] = True
        comp, queue = [], deque([start])
        while queue:
            u = queue.popleft()
            comp.append(u)
            for v in nbrs[u]:
                if not seen[v]:
                    seen[v] = True
                    queue.append(v)
        out.append(comp)
    return out


def _units(
    *, households: np.ndarray, nbrs: list[list[int]], compound: np.ndarray, hi: int
) -> np.ndarray:
    """unit_of[parcel]: the connected parcels of a compound share a unit when they fit in `hi`."""
    n = len(households)
    unit_of = np.arange(n)
    same = [
        [v for v in nbrs[u] if compound[v] == compound[u]] if compound[u] >= 0 else []
        for u in range(n)
    ]
    for piece in _components(same):
        if len(piece) > 1 and int(households[piece].sum()) <= hi:
            unit_of[piece] = min(piece)
    _, unit_of = np.unique(unit_of, return_inverse=True)
    return unit_of


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


def _balanced(band: "_Band"):
    def score(a: np.ndarray, b: np.ndarray):
        return band.deviations(a) + band.deviations(b), (a - band.mid) ** 2 + (b - band.mid) ** 2

    return score


def _settled(band: "_Band"):
    # A link of a chain: its first group ends in band, near the middle, whatever the second gets.
    def score(a: np.ndarray, b: np.ndarray):
        return band.deviations(a), (a - band.mid) ** 2

    return score


def _tree(*, region: list[int], nbrs: list[list[int]], rng) -> tuple[list[int], dict[int, int]]:
    """A BFS spanning tree of a connected region from a random root: (visit order, parent)."""
    inside = set(region)
    root = region[int(rng.integers(len(region)))]
    parent, order, queue = {root: -1}, [], deque([root])
    while queue:
        u = queue.popleft()
        order.append(u)
        for v in nbrs[u]:
            if v in inside and v not in parent:
                parent[v] = u
                queue.append(v)
    return order, parent


def _subtree(cut: int, parent: dict[int, int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for v, p in parent.items():
        children.setdefault(p, []).append(v)
    nodes, stack = {cut}, [cut]
    while stack:
        for v in children.get(stack.pop(), ()):
            nodes.add(v)
            stack.append(v)
    return nodes


def _best_cut(*, region: list[int], nbrs, weight: np.ndarray, score, rng) -> set[int] | None:
    """The first part of the best split of a connected region in two, cutting one edge of a
    spanning tree; both parts of a cut tree are connected, so contiguity holds by construction."""
    best = None
    for _ in range(TREES_PER_MERGE):
        order, parent = _tree(region=region, nbrs=nbrs, rng=rng)
        if len(order) < 2 or len(order) < len(region):
            # One part, or a region in pieces: a link of a chain may no longer touch the next.
            return None
        index = {u: i for i, u in enumerate(order)}
        up = [index[parent[u]] for u in order[1:]]
        sub = weight[order].astype(np.int64)
        for i in range(len(order) - 1, 0, -1):
            sub[up[i - 1]] += sub[i]
        side, rest = sub[1:], sub[0] - sub[1:]
        # Either part may go to the first group: the subtree (even) or the rest (odd).
        primary, secondary = (
            np.concatenate(x) for x in zip(score(side, rest), score(rest, side), strict=True)
        )
        i = int(np.lexsort((secondary, primary))[0])
        cost = (int(primary[i]), float(secondary[i]))
        if best is None or cost < best[0]:
            best = (cost, order[i % len(side) + 1], i >= len(side), parent, order)
    _, cut, flip, parent, order = best
    nodes = _subtree(cut, parent)
    return set(order) - nodes if flip else nodes


class _State:
    """Groups being repaired: members and totals per group, and the group of each unit."""

    def __init__(self, group: dict[int, int], nbrs, weight: np.ndarray):
        self.group, self.nbrs, self.weight = group, nbrs, weight
        self.members: dict[int, set[int]] = {}
        for u, g in group.items():
            self.members.setdefault(g, set()).add(u)
        self.totals = {g: int(weight[list(m)].sum()) for g, m in self.members.items()}

    def touching(self, g: int) -> list[int]:
        return sorted({self.group[v] for u in self.members[g] for v in self.nbrs[u]} - {g})

    def assign(self, g: int, nodes: set[int]) -> None:
        self.members[g] = nodes
        for u in nodes:
            self.group[u] = g
        self.totals[g] = int(self.weight[list(nodes)].sum())


def _path_to_room(state: _State, g: int, band: _Band) -> list[int] | None:
    """The nearest group that can take g's surplus (or give what g lacks), as a path of touching
    groups from g, by breadth-first search on the groups."""
    over = state.totals[g] > band.hi
    need = band.deviation(state.totals[g])
    came = {g: -1}
    queue = deque([g])
    while queue:
        a = queue.popleft()
        for b in state.touching(a):
            if b in came:
                continue
            came[b] = a
            room = band.hi - state.totals[b] if over else state.totals[b] - band.lo
            if room >= need or (room > 0 and len(came) > MAX_PATH_GROUPS):
                path = [b]
                while came[path[-1]] != -1:
                    path.append(came[path[-1]])
                return path[::-1]
            queue.append(b)
        if len(came) > MAX_PATH_GROUPS:
            break
    return None


def _push(*, state: _State, path: list[int], band: _Band, rng) -> bool:
    """Pass a surplus (or a lack) along a path of groups, one ReCom move per link; kept only if
    the groups of the path end up nearer the band, else undone."""
    before = band.cost(*(state.totals[g] for g in path))
    saved = {g: set(state.members[g]) for g in path}
    done = True
    for i, (a, b) in enumerate(itertools.pairwise(path)):
        region = sorted(state.members[a] | state.members[b])
        score = _balanced(band) if i == len(path) - 2 else _settled(band)
        first = _best_cut(region=region, nbrs=state.nbrs, weight=state.weight, score=score, rng=rng)
        if first is None:
            done = False
            break
        state.assign(a, first)
        state.assign(b, set(region) - first)
    if done and band.cost(*(state.totals[g] for g in path)) < before:
        return True
    for g, nodes in saved.items():
        state.assign(g, nodes)
    return False


def _repair(
    *, group: dict[int, int], nbrs: list[list[int]], weight: np.ndarray, band: _Band, rng
) -> None:
    """Moves on out-of-band groups until all are in band or none improves (`group` in place)."""
    state = _State(group, nbrs, weight)
    stalled = 0
    for _ in range(MAX_REPAIR_PASSES):
        out = sorted(
            (g for g in state.totals if band.deviation(state.totals[g])),
            key=lambda g: (-band.deviation(state.totals[g]), g),
        )
        improved = False
        for g in out:
            # A group fixed by an earlier move of this pass needs no move of its own.
            if band.deviation(state.totals[g]):
                path = _path_to_room(state, g, band)
                improved |= path is not None and _push(state=state, path=path, band=band, rng=rng)
        stalled = 0 if improved else stalled + 1
        if stalled == STALLED_PASSES:
            return


def _named(parcels, names: Sequence | None) -> str:
    shown = [str(names[p] if names is not None else p) for p in sorted(parcels)[:NAMED_IN_PROBLEM]]
    more = ", …" if len(parcels) > NAMED_IN_PROBLEM else ""
    return "{" + ", ".join(shown) + more + "}"


def _group_count(*, total: int, units: int, band: _Band) -> int:
    """Groups for a piece: the count whose mean is nearest the band's middle, kept inside the
    counts that could all be in band when there are some."""
    fewest, most = -(-total // band.hi), total // band.lo
    k = round(total / band.mid)
    if fewest <= most:
        k = min(max(k, fewest), most)
    return max(1, min(k, units))


def _piece_problems(
    *, pieces: list[list[int]], households: np.ndarray, band: _Band, names: Sequence | None
) -> tuple[list[str], set[int]]:
    """Why the band cannot be met whatever the layout, and the pieces (by index) concerned."""
    problems, hopeless = [], set()
    for i, piece in enumerate(pieces):
        total = int(households[piece].sum())
        fewest, most = -(-total // band.hi), total // band.lo
        where = (
            "the community"
            if len(pieces) == 1
            else f"parcels {_named(piece, names)}, which touch no other parcel,"
        )
        if total < band.lo and len(pieces) == 1:
            problems.append(
                f"the community holds {total} households, fewer than the band's minimum "
                f"{band.lo}: one grid of all its parcels"
            )
        elif total < band.lo:
            problems.append(
                f"an isolated pocket of {total} households: parcels {_named(piece, names)} "
                f"touch no other parcel, so they make a grid of their own"
            )
        elif fewest > most:
            problems.append(
                f"the {total} households of {where} cannot make grids of {band.lo}–{band.hi}: "
                f"{fewest - 1} grids would hold more than {band.hi} each, {fewest} fewer than "
                f"{band.lo} each"
            )
        else:
            continue
        hopeless.add(i)
    for p in np.flatnonzero(households > band.hi):
        problems.append(
            f"parcel {_named([int(p)], names)[1:-1]} alone holds {int(households[p])} "
            f"households, more than the band's maximum {band.hi}: split the parcel"
        )
    return problems, hopeless


def _attempt(
    *, pieces: list[list[int]], unit_of: np.ndarray, unit_nbrs, unit_weight, band: _Band, rng
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
        _repair(group=group, nbrs=unit_nbrs, weight=unit_weight, band=band, rng=rng)
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


def _layout(
    *,
    assignment: np.ndarray,
    households: np.ndarray,
    compound: np.ndarray,
    graph: nx.Graph,
    band: _Band,
    problems: list[str],
) -> Layout:
    totals = np.bincount(assignment, weights=households).astype(np.int64)
    deviation = np.maximum(np.maximum(band.lo - totals, totals - band.hi), 0)
    contiguous = all(
        nx.is_connected(graph.subgraph(np.flatnonzero(assignment == g).tolist()))
        for g in range(len(totals))
    )
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
    *, assignment: np.ndarray, households: np.ndarray, band: _Band, skip: np.ndarray
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
) -> list[Layout]:
    """Up to `alternatives` layouts of parcels into contiguous groups of `lo`–`hi` households
    (inclusive), best first. `compound[i]` is parcel i's compound (−1 for none); `names[i]`, if
    given, is how problems name parcel i (default its index). Same seed, same layouts."""
    households = np.asarray(households, dtype=np.int64)
    compound = np.asarray(compound, dtype=np.int64)
    n, band = len(households), _Band(lo, hi)
    if n == 0:
        return []
    nbrs = _neighbours(n, adjacency)
    pieces = _components(nbrs)
    problems, hopeless = _piece_problems(
        pieces=pieces, households=households, band=band, names=names
    )
    skip = households > hi
    for i in hopeless:
        skip[pieces[i]] = True
    unit_of = _units(households=households, nbrs=nbrs, compound=compound, hi=hi)
    unit_weight = np.bincount(unit_of, weights=households).astype(np.int64)
    unit_nbrs = _neighbours(
        len(unit_weight),
        [(unit_of[a], unit_of[b]) for a, b in adjacency if unit_of[a] != unit_of[b]],
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(adjacency)
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
            graph=graph,
            band=band,
            problems=problems + stuck,
        )
    # Stable sort: equal scores keep the order of their attempts, so the ranking is repeatable.
    return sorted(layouts.values(), key=lambda x: x.score)[:alternatives]

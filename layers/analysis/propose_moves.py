"""One-click repairs of a layout: "rebalance these two neighbours" and "assign the unassigned".

Pure: arrays in, a new grouping out; the caller turns it into parcel moves and never applies them.
Parcels are indices 0..n−1 and `adjacency` lists the pairs sharing an edge of positive length, as
in `layers.analysis.propose`.

- **Rebalance a pair** (ReCom's merge-and-split, DeFord, Duchin & Solomon 2021, on one pair):
  the union of two groups is re-split by cutting one edge of a random spanning tree. Among the
  cuts of several trees the one kept puts both groups in band (else nearest it), then moves the
  fewest households and parcels from where they are, then lies nearest the band's middle. Both
  parts of a cut tree are connected, so both groups come out contiguous.
- **Attach the unassigned**: each connected pocket of parcels with no group is grown into the
  groups that touch it, the group with the fewest households taking the next pocket parcel on
  its edge, so each group gains a connected piece joined to it and the totals even out. A pocket
  that no group touches stays unassigned and is reported.
"""

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from layers.analysis.propose_graph import Band, components, compound_units, neighbour_lists

# Random spanning trees tried on a pair: two grids hold tens of parcels, so 32 trees cost a few
# milliseconds and, on the lattices of the tests, find an in-band cut whenever one exists.
TREES_PER_REBALANCE = 32


@dataclass(frozen=True)
class PairSplit:
    """`first[i]`: parcel i goes to the first group (else the second). `households` the two
    totals after; `in_band` both inside it; `connected` False when the two groups together are
    not one connected piece (then `first` is the grouping given, unchanged)."""

    first: np.ndarray
    households: tuple[int, int]
    in_band: bool
    connected: bool


@dataclass(frozen=True)
class Pocket:
    """A connected piece of unassigned parcels: its parcels, households, and the groups it
    went to (empty: no group touches it, it stays unassigned)."""

    parcels: list[int]
    households: int
    groups: list[int]


@dataclass(frozen=True)
class Attachment:
    """`label[i]`: parcel i's group after attaching (−1: still unassigned, in an isolated
    pocket)."""

    label: np.ndarray
    pockets: list[Pocket]


def _random_tree(*, nbrs: list[list[int]], rng) -> tuple[list[int], list[int]] | None:
    """A random spanning tree of a connected graph as (visit order from a random root, parent of
    each node; −1 for the root), or None if the graph is in pieces. Kruskal on random edge weights:
    unlike BFS trees, any spanning tree can come out, so the trees offer varied cuts."""
    n = len(nbrs)
    edges = [(u, v) for u in range(n) for v in nbrs[u] if u < v]
    root = list(range(n))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    tree: list[list[int]] = [[] for _ in range(n)]
    for e in rng.permutation(len(edges)):
        a, b = edges[e]
        ra, rb = find(a), find(b)
        if ra != rb:
            root[ra] = rb
            tree[a].append(b)
            tree[b].append(a)
    start = int(rng.integers(n))
    parent, order = [-2] * n, [start]
    parent[start] = -1
    for u in order:
        for v in sorted(tree[u]):
            if parent[v] == -2:
                parent[v] = u
                order.append(v)
    return (order, parent) if len(order) == n else None


def _cut_costs(*, order, parent, columns: np.ndarray, band: Band):
    """Every cut of a tree, both ways round: (sort keys, subtree root, subtree-is-first).
    `columns` rows: households, households now in the first group, parcels, parcels now first."""
    index = np.empty(len(order), dtype=np.int64)
    index[order] = np.arange(len(order))
    sub = columns[:, order].astype(np.int64)
    for i in range(len(order) - 1, 0, -1):
        sub[:, index[parent[order[i]]]] += sub[:, i]
    total = sub[:, :1]
    side, rest = sub[:, 1:], total - sub[:, 1:]
    keys = []
    for first, second in ((side, rest), (rest, side)):
        a, b = first[0], second[0]
        # Moved: what the first part holds of the second group, and the second of the first.
        moved_h = (first[0] - first[1]) + second[1]
        moved_p = (first[2] - first[3]) + second[3]
        spread = (a - band.mid) ** 2 + (b - band.mid) ** 2
        keys.append((band.deviations(a) + band.deviations(b), moved_h, moved_p, spread))
    stacked = [np.concatenate(k) for k in zip(*keys, strict=True)]
    return stacked, [order[i % (len(order) - 1) + 1] for i in range(2 * (len(order) - 1))]


def _subtree_mask(*, cut: int, order: list[int], parent: list[int]) -> np.ndarray:
    inside = np.zeros(len(order), dtype=bool)
    inside[cut] = True
    for u in order:  # parents come before children in visit order
        if parent[u] >= 0 and inside[parent[u]]:
            inside[u] = True
    return inside


def _resplit(*, nbrs, columns: np.ndarray, band: Band, rng) -> tuple[tuple, np.ndarray] | None:
    """The best cut over TREES_PER_REBALANCE random trees: (its key, first-group mask by node)."""
    best = None
    for _ in range(TREES_PER_REBALANCE):
        tree = _random_tree(nbrs=nbrs, rng=rng)
        if tree is None:
            return None
        order, parent = tree
        keys, cuts = _cut_costs(order=order, parent=parent, columns=columns, band=band)
        i = int(np.lexsort(keys[::-1])[0])
        key = tuple(float(k[i]) for k in keys)
        if best is None or key < best[0]:
            mask = _subtree_mask(cut=cuts[i], order=order, parent=parent)
            best = (key, mask if i < len(order) - 1 else ~mask)
    return best


def pair_resplit(
    *,
    households: np.ndarray,
    adjacency: Sequence[tuple[int, int]],
    compound: np.ndarray,
    first: np.ndarray,
    lo: int,
    hi: int,
    seed: int = 0,
) -> PairSplit:
    """Re-split the parcels of two groups (`first[i]`: parcel i is in the first group now) into
    two contiguous groups of `lo`–`hi` households where possible, moving as little as possible.
    Compounds (`compound[i]` ≥ 0) stay whole unless only splitting one meets the band. Same seed,
    same split."""
    households = np.asarray(households, dtype=np.int64)
    first = np.asarray(first, dtype=bool)
    n, band = len(households), Band(lo, hi)
    nbrs = neighbour_lists(n, adjacency)
    rng = np.random.default_rng(seed)
    best = None
    for whole in (True, False):
        unit_of = (
            compound_units(households=households, nbrs=nbrs, compound=np.asarray(compound), hi=hi)
            if whole
            else np.arange(n)
        )
        k = int(unit_of.max()) + 1 if n else 0
        columns = np.stack(
            [np.bincount(unit_of, weights=w, minlength=k) for w in _columns(households, first)]
        )
        unit_nbrs = neighbour_lists(k, [(unit_of[a], unit_of[b]) for a, b in adjacency])
        found = _resplit(nbrs=unit_nbrs, columns=columns, band=band, rng=rng) if k > 1 else None
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], found[1][unit_of])
        if best is not None and best[0][0] == 0:
            break  # in band with compounds whole: no need to split one
    now = _current_key(households=households, nbrs=nbrs, first=first, band=band)
    if now is not None and (best is None or now <= best[0]):
        best = (now, first)  # already as good as any cut: nothing moves
    if best is None:
        totals = (int(households[first].sum()), int(households[~first].sum()))
        return PairSplit(first, totals, False, n > 0 and len(components(nbrs)) == 1)
    mask = best[1]
    totals = (int(households[mask].sum()), int(households[~mask].sum()))
    return PairSplit(mask, totals, best[0][0] == 0, True)


def _columns(households: np.ndarray, first: np.ndarray) -> list[np.ndarray]:
    return [households, households * first, np.ones_like(households), first.astype(np.int64)]


def _current_key(*, households, nbrs, first: np.ndarray, band: Band) -> tuple | None:
    """The sort key of the grouping as it is, or None when a group is not one piece (then any
    cut is better: it mends contiguity)."""
    for side in (first, ~first):
        kept = [[v for v in nbrs[u] if side[v]] if side[u] else [] for u in range(len(nbrs))]
        if sum(1 for piece in components(kept) if side[piece[0]]) != 1:
            return None
    a, b = int(households[first].sum()), int(households[~first].sum())
    return (band.deviation(a) + band.deviation(b), 0, 0, (a - band.mid) ** 2 + (b - band.mid) ** 2)


def unassigned_attach(
    *, households: np.ndarray, adjacency: Sequence[tuple[int, int]], label: np.ndarray
) -> Attachment:
    """Give each pocket of unassigned parcels (`label[i]` = −1) to the groups that touch it,
    keeping each group contiguous and evening out their households (lightest group first).
    Deterministic: ties go to the lowest group number, then the lowest parcel index."""
    households = np.asarray(households, dtype=np.int64)
    label = np.asarray(label, dtype=np.int64).copy()
    n = len(households)
    nbrs = neighbour_lists(n, adjacency)
    free = label < 0
    free_nbrs = [[v for v in nbrs[u] if free[v]] if free[u] else [] for u in range(n)]
    sums = np.bincount(label[~free], weights=households[~free], minlength=int(label.max()) + 1)
    totals = {g: int(h) for g, h in enumerate(sums)}
    pockets = []
    for piece in components(free_nbrs):
        if not free[piece[0]]:
            continue
        piece = sorted(piece)
        groups = sorted({int(label[v]) for u in piece for v in nbrs[u] if not free[v]})
        if groups:
            _grow_into(
                piece=piece,
                groups=groups,
                nbrs=nbrs,
                label=label,
                households=households,
                totals=totals,
            )
        pockets.append(Pocket(piece, int(households[piece].sum()), groups))
    return Attachment(label, pockets)


def _grow_into(*, piece, groups, nbrs, label, households, totals) -> None:
    """The lightest group with pocket parcels on its edge takes the lowest-numbered of them. A
    group whose edge runs dry drops out for good: only its own takes add to its edge."""
    left = set(piece)
    edge: dict[int, list[int]] = {g: [] for g in groups}
    for u in piece:
        for v in nbrs[u]:
            if v not in left and int(label[v]) in edge:
                edge[int(label[v])].append(u)
    for heap in edge.values():
        heapq.heapify(heap)
    turn = [(totals[g], g) for g in groups]
    heapq.heapify(turn)
    while left and turn:
        _, g = heapq.heappop(turn)
        heap = edge[g]
        while heap and heap[0] not in left:
            heapq.heappop(heap)
        if not heap:
            continue
        u = heapq.heappop(heap)
        left.discard(u)
        label[u] = g
        totals[g] += int(households[u])
        for v in nbrs[u]:
            if v in left:
                heapq.heappush(heap, v)
        heapq.heappush(turn, (totals[g], g))

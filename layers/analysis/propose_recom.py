"""The repair step of the proposals, ReCom-style (DeFord, Duchin & Solomon, 2021): out-of-band
groups pass their surplus (or lack) to the nearest group with room, one merge-and-split of two
touching groups per link, cutting one edge of a random spanning tree. See
`layers.analysis.propose` for the method as a whole. Pure; `group` maps unit -> group in place.
"""

import itertools
from collections import deque

import numpy as np

from layers.analysis.propose_graph import Band

# Spanning trees tried per merged pair: more finds better cuts, each costs one pass over the pair.
TREES_PER_MERGE = 2
# Groups searched for one with room for a surplus: bounds a move's path and time.
MAX_PATH_GROUPS = 60
# Passes in a row without improvement that end the repair. The trees are random, so another
# pass may still find a move, but 4 passes gained ~1 % more groups in band for twice the time.
STALLED_PASSES = 1
# Repair passes over the out-of-band groups; each pass that improves nothing ends the repair.
MAX_REPAIR_PASSES = 200


def _balanced(band: "Band"):
    def score(a: np.ndarray, b: np.ndarray):
        return band.deviations(a) + band.deviations(b), (a - band.mid) ** 2 + (b - band.mid) ** 2

    return score


def _settled(band: "Band"):
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
    """Groups being repaired: members and totals per group, the group of each unit, and each
    group's touching groups, cached until a kept move changes them."""

    def __init__(self, group: dict[int, int], nbrs, weight: np.ndarray):
        self.group, self.nbrs, self.weight = group, nbrs, weight
        self.members: dict[int, set[int]] = {}
        for u, g in group.items():
            self.members.setdefault(g, set()).add(u)
        self.totals = {g: int(weight[list(m)].sum()) for g, m in self.members.items()}
        self._touching: dict[int, list[int]] = {}

    def touching(self, g: int) -> list[int]:
        hit = self._touching.get(g)
        if hit is None:
            hit = sorted({self.group[v] for u in self.members[g] for v in self.nbrs[u]} - {g})
            self._touching[g] = hit
        return hit

    def around(self, groups: list[int]) -> set[int]:
        """The groups whose touching lists a move among `groups` may change: the groups
        themselves and their neighbours. The move keeps the union of their members, so no other
        group gains or loses a neighbour. Ask before the move."""
        out = set(groups)
        for g in groups:
            out.update(self.touching(g))
        return out

    def forget(self, groups: set[int]) -> None:
        for g in groups:
            self._touching.pop(g, None)

    def assign(self, g: int, nodes: set[int]) -> None:
        self.members[g] = nodes
        for u in nodes:
            self.group[u] = g
        self.totals[g] = int(self.weight[list(nodes)].sum())


def _path_to_room(state: _State, g: int, band: Band) -> list[int] | None:
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


def _push(*, state: _State, path: list[int], band: Band, rng) -> bool:
    """Pass a surplus (or a lack) along a path of groups, one ReCom move per link; kept only if
    the groups of the path end up nearer the band, else undone."""
    before = band.cost(*(state.totals[g] for g in path))
    saved = {g: set(state.members[g]) for g in path}
    around = state.around(path)
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
        state.forget(around)
        return True
    for g, nodes in saved.items():
        state.assign(g, nodes)
    return False


def recom_repair(
    *, group: dict[int, int], nbrs: list[list[int]], weight: np.ndarray, band: Band, rng
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

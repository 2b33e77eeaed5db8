"""The parcel graph basics the proposal steps share: the household band, neighbour lists,
connected pieces, compounds as units, and how problems name parcels. Pure; parcels are indices.
"""

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Parcels named in a problem message before "…".
NAMED_IN_PROBLEM = 10


@dataclass
class Band:
    """A household band, both ends included (boundary rule 5)."""

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


def neighbour_lists(n: int, adjacency: Sequence[tuple[int, int]]) -> list[list[int]]:
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in adjacency:
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    # Sorted, so that walks do not depend on set order: same seed, same layout.
    return [sorted(s) for s in nbrs]


def components(nbrs: list[list[int]]) -> list[list[int]]:
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


def compound_units(
    *, households: np.ndarray, nbrs: list[list[int]], compound: np.ndarray, hi: int
) -> np.ndarray:
    """unit_of[parcel]: the connected parcels of a compound share a unit when they fit in `hi`."""
    n = len(households)
    unit_of = np.arange(n)
    same = [
        [v for v in nbrs[u] if compound[v] == compound[u]] if compound[u] >= 0 else []
        for u in range(n)
    ]
    for piece in components(same):
        if len(piece) > 1 and int(households[piece].sum()) <= hi:
            unit_of[piece] = min(piece)
    _, unit_of = np.unique(unit_of, return_inverse=True)
    return unit_of


def parcels_named(parcels, names: Sequence | None) -> str:
    shown = [str(names[p] if names is not None else p) for p in sorted(parcels)[:NAMED_IN_PROBLEM]]
    more = ", …" if len(parcels) > NAMED_IN_PROBLEM else ""
    return "{" + ", ".join(shown) + more + "}"

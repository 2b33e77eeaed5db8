"""Small pure helpers the generator's steps share: seeded generators, reading order, balanced
runs."""

import hashlib

import numpy as np
import shapely


def rng_for(seed: int, *key) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def reading_order(geoms, band_m: float) -> list[int]:
    """Indices sorted north→south in bands, west→east inside a band (codes follow this)."""
    cs = shapely.centroid(np.array(geoms, dtype=object))
    xs, ys = shapely.get_x(cs), shapely.get_y(cs)
    return sorted(range(len(geoms)), key=lambda k: (-np.floor(ys[k] / band_m), xs[k], -ys[k]))


def chunks_balanced(
    weights: list[int],
    cut_ok: list[bool],
    k: int,
    preferred: list[bool] | None = None,
    penalty: float = 0.0,
) -> list[int]:
    """Label a sequence into at most k consecutive chunks of near-equal weight, cutting only
    where cut_ok allows, and off the `preferred` places only when that is `penalty` closer."""
    n = len(weights)
    labels = [0] * n
    if k <= 1 or n <= 1:
        return labels
    cum = np.cumsum(weights)
    total = cum[-1]
    cuts, last = [], 0
    allowed = [i for i in range(1, n) if cut_ok[i]]
    for m in range(1, k):
        target = total * m / k
        cands = [p for p in allowed if p > last]
        if not cands:
            break
        p = min(
            cands,
            key=lambda p: (
                abs(cum[p - 1] - target) + (0 if preferred is None or preferred[p] else penalty),
                p,
            ),
        )
        if p <= last:
            continue
        cuts.append(p)
        last = p
    c = 0
    for i in range(n):
        if c < len(cuts) and i >= cuts[c]:
            c += 1
        labels[i] = c
    return labels

"""City-scale geometry of the demo city, in metres (the metric CRS): water, and an exact planar
partition of the land into communities grouped into streets and districts.

Exactness comes from noding once: every Voronoi edge, the water edge and the city edge are
unioned into one noded line set and polygonised, so neighbours share identical vertices and the
tiling has no gap or overlap by construction (no per-polygon clipping, whose intersection points
could differ in the last bit between two neighbours).
"""

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.ops import unary_union

GRID_SIZE_M = 0.01  # coordinates of every generated boundary lie on a 1 cm grid


def water_make(*, rng: np.random.Generator, extent: Polygon, n_lakes: int):
    """A river crossing the city SW→NE (the Yangtze through Wuhan) and some lakes."""
    x0, y0, x1, y1 = extent.bounds
    w, h = x1 - x0, y1 - y0
    size = (w * h) ** 0.5
    t = np.linspace(-0.1, 1.1, 60)
    phase = rng.uniform(0, 2 * np.pi)
    xs = x0 + w * (0.25 + 0.5 * t) + 0.06 * size * np.sin(3 * np.pi * t + phase)
    ys = y0 + h * t + 0.04 * size * np.cos(2 * np.pi * t + phase)
    river = LineString(np.column_stack([xs, ys])).buffer(max(60.0, 0.03 * size), quad_segs=4)
    lakes = []
    for _ in range(n_lakes):
        for _attempt in range(20):
            c = Point(
                rng.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rng.uniform(y0 + 0.1 * h, y1 - 0.1 * h)
            )
            r = rng.uniform(0.03, 0.07) * size
            lake = shapely.affinity.scale(c.buffer(r, quad_segs=6), rng.uniform(0.6, 1.4), 1.0)
            lake = shapely.affinity.rotate(lake, rng.uniform(0, 180))
            if lake.distance(river) > 0.05 * size and all(
                lake.distance(o) > 0.05 * size for o in lakes
            ):
                lakes.append(lake)
                break
    water = unary_union([river, *lakes]).intersection(extent)
    return shapely.set_precision(water, 0.01)


def seeds_make(*, rng: np.random.Generator, land, n: int, lloyd_iterations: int = 4) -> np.ndarray:
    """n well-spread seed points on land: random, then relaxed towards their cell centroids."""
    x0, y0, x1, y1 = land.bounds
    pts: list[tuple[float, float]] = []
    shapely.prepare(land)
    while len(pts) < n:
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        inside = shapely.contains_xy(land, cand[:, 0], cand[:, 1])
        pts.extend(map(tuple, cand[inside][: n - len(pts)]))
    seeds = np.array(pts)
    for _ in range(lloyd_iterations):
        cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=land.envelope, ordered=True)
        new = []
        for seed, cell in zip(seeds, cells.geoms, strict=True):
            piece = cell.intersection(land)
            if piece.is_empty:
                new.append(seed)
                continue
            c = piece.centroid
            new.append((c.x, c.y) if land.contains(c) else tuple(seed))
        seeds = np.array(new)
    return seeds


def groups_split(
    *, points: np.ndarray, idx: np.ndarray, sizes: list[int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Recursive bisection of points into contiguous groups of the given sizes (in order)."""
    if len(sizes) == 1:
        return [idx]
    k = len(sizes) // 2
    left = sum(sizes[:k])
    pts = points[idx]
    spread = pts - pts.mean(axis=0)
    # Cut across the longer axis, tilted a little so borders are not all straight.
    _, _, vt = np.linalg.svd(spread, full_matrices=False)
    angle = np.arctan2(vt[0, 1], vt[0, 0]) + rng.uniform(-0.35, 0.35)
    proj = spread @ np.array([np.cos(angle), np.sin(angle)])
    order = idx[np.argsort(proj, kind="stable")]
    return groups_split(points=points, idx=order[:left], sizes=sizes[:k], rng=rng) + groups_split(
        points=points, idx=order[left:], sizes=sizes[k:], rng=rng
    )


def land_partition(*, seeds: np.ndarray, extent: Polygon, water) -> list:
    """One polygon (or multipolygon) per seed: its Voronoi cell on land, noded exactly with its
    neighbours. Pieces cut off by water join the neighbour they share most edge with."""
    cells = list(
        shapely.voronoi_polygons(MultiPoint(seeds), extend_to=extent.buffer(10), ordered=True).geoms
    )
    # Noded with snap-rounding to 1 cm: without it, vertices a few nanometres apart (where a
    # Voronoi edge grazes the river) survive and cross each other once turned into degrees.
    lines = shapely.union_all(
        [c.boundary for c in cells]
        + [extent.boundary]
        + ([water.boundary] if not water.is_empty else []),
        grid_size=GRID_SIZE_M,
    )
    faces = [f for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)).geoms)]
    faces = np.array(faces, dtype=object)
    reps = shapely.point_on_surface(faces)
    keep = shapely.contains(extent, reps)
    if not water.is_empty:
        keep &= ~shapely.intersects(water, reps)
    faces, reps = faces[keep], reps[keep]
    tree = shapely.STRtree(cells)
    face_idx, cell_idx = tree.query(reps, predicate="within")
    owner = np.full(len(faces), -1)
    owner[face_idx] = cell_idx
    assert (owner >= 0).all(), "a land face outside every Voronoi cell"
    return _pieces_reassign(faces=list(faces), owner=owner, n=len(seeds))


def _pieces_reassign(*, faces: list, owner: np.ndarray, n: int) -> list:
    """Keep each seed's largest connected piece; give smaller pieces to the neighbour sharing the
    longest edge (a community cut in two by the river becomes one on each bank)."""
    for _ in range(3):
        geoms = [unary_union([faces[i] for i in np.flatnonzero(owner == k)]) for k in range(n)]
        moved = False
        for k in range(n):
            g = geoms[k]
            if g.geom_type != "MultiPolygon":
                continue
            parts = sorted(g.geoms, key=lambda p: -p.area)
            for part in parts[1:]:
                best, best_len = -1, 0.0
                for j in range(n):
                    if j == k or not geoms[j].intersects(part):
                        continue
                    shared = part.boundary.intersection(geoms[j].boundary).length
                    if shared > best_len:
                        best, best_len = j, shared
                if best >= 0 and best_len > 1.0:
                    for i in np.flatnonzero(owner == k):
                        if part.contains(faces[i].representative_point()):
                            owner[i] = best
                    moved = True
        if not moved:
            break
    return [unary_union([faces[i] for i in np.flatnonzero(owner == k)]) for k in range(n)]


def extent_for(
    *,
    n_communities: int,
    area_per_community_m2: float,
    centre: tuple[float, float],
    aspect: float = 1.2,
) -> Polygon:
    """A rectangle with room for the communities plus the water (about 12 %)."""
    total = n_communities * area_per_community_m2 / 0.88
    w = (total * aspect) ** 0.5
    h = total / w
    cx, cy = centre
    return box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

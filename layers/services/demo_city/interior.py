"""Inside one community, in metres: blocks on a rotated street lattice, compounds of whole
blocks, buildings in rows, and the parcels (atomic faces) the grids are made of.

A parcel is a face of one noded arrangement of the community edge, the lattice streets and the
cut lines between buildings, so parcels tile the community exactly and every building lies in
exactly one parcel. Lattice and cut lines are drawn in a rotated frame and turned into the world
frame before noding; the community edge is never transformed, so it matches its neighbours'.
"""

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, box
from shapely.ops import unary_union

# Compound kinds and how often they occur; building types per kind.
KIND_WEIGHTS = {"old": 0.42, "commercial": 0.33, "work_unit": 0.15, "redeveloped": 0.10}
MIN_PARCEL_AREA_M2 = 300.0  # smaller faces (where a street grazes the edge) join a neighbour
CUT_OVERSHOOT_M = 0.05  # cut lines cross the block edge a little so noding always meets


@dataclass
class BuildingSpec:
    footprint: object  # Polygon, world frame
    households: int
    units: int
    floors: int
    compound: int | None  # index into InteriorPlan.compounds
    face: int = -1  # index into InteriorPlan.parcels


@dataclass
class CompoundSpec:
    kind: str
    geom: object  # Polygon/MultiPolygon, world frame
    cells: list


@dataclass
class InteriorPlan:
    parcels: list = field(default_factory=list)  # Polygons, world frame
    parcel_order: list = field(default_factory=list)  # sort keys (serpentine)
    parcel_cell: list = field(default_factory=list)  # (i, j) lattice cell of each parcel
    buildings: list[BuildingSpec] = field(default_factory=list)
    compounds: list[CompoundSpec] = field(default_factory=list)
    streets: list = field(default_factory=list)  # lattice lines, world frame, not clipped


def _building_type(rng, kind: str):
    """(width m, depth m, floors, units, households per floor-unit)."""
    tall = {"commercial": 0.22, "redeveloped": 0.35}.get(kind, 0.0)
    if rng.random() < tall:
        floors = int(rng.integers(11, 34))
        return 28.0, 16.0, floors, int(rng.integers(1, 3)), int(rng.integers(2, 5))
    floors = int(rng.integers(4, 8))
    units = int(rng.integers(1, 4))
    per = 3 if rng.random() < 0.25 else 2  # 一梯三户 in a quarter of the slabs
    return 16.0 * units + 4.0, 11.0, floors, units, per


def _cell_layout(rng, kind, rect, *, dense: bool):
    """Buildings in rows inside one block (rotated frame): rects, specs and cut lines."""
    x0, y0, x1, y1 = rect.bounds
    margin = 6.0
    bt = _building_type(rng, kind)
    width, depth, floors, units, per = bt
    gap_y = max(12.0, 0.5 * floors * 3.0) if floors < 11 else 30.0
    cols = max(1, int((x1 - x0 - 2 * margin + 8) // (width + 8)))
    rows = max(1, int((y1 - y0 - 2 * margin + gap_y) // (depth + gap_y)))
    if not dense:
        cols, rows = min(cols, int(rng.integers(1, 3))), min(rows, int(rng.integers(1, 3)))
    cw = (x1 - x0) / cols
    rh = (y1 - y0) / rows
    out, cuts = [], []
    for r in range(rows):
        for c in range(cols):
            if dense and rng.random() < 0.08:
                continue  # a gap in the row: green space, a car park
            cx, cy = x0 + (c + 0.5) * cw, y1 - (r + 0.5) * rh
            w = min(width, cw - 2 * margin)
            d = min(depth, rh - 2 * margin)
            if w < 8 or d < 8:
                continue
            households = max(20, min(300, floors * units * per))
            out.append(
                (box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2), households, units, floors)
            )
    for c in range(1, cols):
        x = x0 + c * cw
        cuts.append(LineString([(x, y0 - CUT_OVERSHOOT_M), (x, y1 + CUT_OVERSHOOT_M)]))
    for r in range(1, rows):
        y = y1 - r * rh
        cuts.append(LineString([(x0 - CUT_OVERSHOOT_M, y), (x1 + CUT_OVERSHOOT_M, y)]))
    return out, cuts


def _compounds_grow(*, plan: InteriorPlan, cells: dict, rng) -> dict:
    """Group whole blocks into compounds of 1–4 neighbours; return block → compound index (None
    for blocks left outside compounds)."""
    kinds, weights = list(KIND_WEIGHTS), np.array(list(KIND_WEIGHTS.values()))
    owner: dict[tuple[int, int], int | None] = {}
    for key in sorted(cells, key=lambda k: (-k[1], k[0])):
        if key in owner:
            continue
        if rng.random() > 0.72:
            owner[key] = None
            continue
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        size = int(rng.choice([1, 2, 3, 4], p=[0.25, 0.35, 0.25, 0.15]))
        members = [key]
        frontier = [key]
        while frontier and len(members) < size:
            i, j = frontier.pop(0)
            for nb in ((i + 1, j), (i, j - 1), (i - 1, j), (i, j + 1)):
                if nb in cells and nb not in owner and nb not in members and len(members) < size:
                    members.append(nb)
                    frontier.append(nb)
        ci = len(plan.compounds)
        for m in members:
            owner[m] = ci
        cgeom = unary_union([cells[m] for m in members]).buffer(-5.0, join_style="mitre")
        plan.compounds.append(CompoundSpec(kind=kind, geom=cgeom, cells=members))
    return owner


def community_interior(*, geom, rng: np.random.Generator, theta_deg: float) -> InteriorPlan:
    origin = geom.centroid
    rot = affinity.rotate(geom, -theta_deg, origin=origin)
    bx, by = rng.uniform(115, 145), rng.uniform(95, 125)
    rx0, ry0, rx1, ry1 = rot.bounds
    ox, oy = rx0 - rng.uniform(0, bx), ry0 - rng.uniform(0, by)
    ni, nj = int((rx1 - ox) // bx) + 1, int((ry1 - oy) // by) + 1
    shapely.prepare(rot)
    inner = rot.buffer(-1.0)
    cells = {}
    for i in range(ni):
        for j in range(nj):
            rect = box(ox + i * bx, oy + j * by, ox + (i + 1) * bx, oy + (j + 1) * by)
            if inner.contains(rect):
                cells[(i, j)] = rect
    plan = InteriorPlan()
    owner = _compounds_grow(plan=plan, cells=cells, rng=rng)

    rot_buildings, cut_lines = [], []
    for key in sorted(cells, key=lambda k: (-k[1], k[0])):
        ci = owner.get(key)
        if ci is None:
            if rng.random() < 0.30:  # a few buildings with no compound (散楼)
                specs, cuts = _cell_layout(rng, "old", cells[key], dense=False)
            else:
                continue
        else:
            specs, cuts = _cell_layout(rng, plan.compounds[ci].kind, cells[key], dense=True)
        rot_buildings.extend((rect, hh, u, f, ci) for rect, hh, u, f in specs)
        cut_lines.extend(cuts)

    lattice = [
        LineString([(ox + i * bx, oy - by), (ox + i * bx, oy + (nj + 1) * by)])
        for i in range(ni + 1)
    ]
    lattice += [
        LineString([(ox - bx, oy + j * by), (ox + (ni + 1) * bx, oy + j * by)])
        for j in range(nj + 1)
    ]
    to_world = lambda g: affinity.rotate(g, theta_deg, origin=origin)  # noqa: E731
    streets = [to_world(ln) for ln in lattice]
    plan.streets = streets
    lines = [geom.boundary] + streets + [to_world(ln) for ln in cut_lines]
    # Floating noding here: snap-rounding would bend the community edge by up to half a grid cell
    # at every street crossing; the edge itself already lies on the 1 cm grid (partition).
    noded = unary_union(lines)
    faces = np.array(
        list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)).geoms)), dtype=object
    )
    shapely.prepare(geom)
    faces = [f for f in faces if geom.contains(f.representative_point())]
    faces = _small_faces_merge(faces)
    for c in plan.compounds:
        c.geom = to_world(c.geom)
    plan.parcels = faces
    reps_rot = [affinity.rotate(f.representative_point(), -theta_deg, origin=origin) for f in faces]
    for p in reps_rot:
        i, j = int((p.x - ox) // bx), int((p.y - oy) // by)
        plan.parcel_cell.append((i, j))
        # Hilbert order of the blocks: neighbours in the sequence are neighbours on the ground,
        # and runs of the sequence are compact (a grid is a patch, not a strip).
        plan.parcel_order.append((hilbert_index(i, nj - 1 - j, order=max(ni, nj)), -p.y, p.x))

    tree = shapely.STRtree(faces)
    for rect, hh, units, floors, ci in rot_buildings:
        fp = to_world(rect)
        hits = tree.query(fp.centroid, predicate="within")
        if len(hits) != 1 or not faces[int(hits[0])].contains(fp):
            continue  # a footprint that a street edge would cut: leave it out
        plan.buildings.append(
            BuildingSpec(
                footprint=fp,
                households=hh,
                units=units,
                floors=floors,
                compound=ci,
                face=int(hits[0]),
            )
        )
    return plan


def hilbert_index(x: int, y: int, *, order: int) -> int:
    """Position of cell (x, y) along a Hilbert curve covering an order×order square."""
    n = 1
    while n < order:
        n *= 2
    d, s = 0, n // 2
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s //= 2
    return d


def _small_faces_merge(faces: list) -> list:
    """Merge faces under MIN_PARCEL_AREA_M2 into the neighbour sharing the longest edge."""
    faces = list(faces)
    while True:
        small = [k for k, f in enumerate(faces) if f.area < MIN_PARCEL_AREA_M2]
        if not small or len(faces) == 1:
            return faces
        k = small[0]
        f = faces[k]
        best, best_len = -1, 0.0
        for j, g in enumerate(faces):
            if j != k and g.intersects(f):
                shared = f.boundary.intersection(g.boundary).length
                if shared > best_len:
                    best, best_len = j, shared
        if best < 0:
            return faces  # an isolated sliver: leave it (the rules will flag it)
        merged = unary_union([faces[best], f])
        faces[best] = merged
        del faces[k]

"""The demo city's road network, in metres (the metric CRS), so network-mode walking distances
have something to run on.

- Residential roads: each community's block lattice (the lines its parcels are cut by), clipped
  to the community. Buildings stand at least 6 m inside their blocks, so no road crosses one.
- Primary and secondary roads: the street and community edges (the Voronoi edges, the shores
  and the city edge), each shared edge once.
- Bridges over the river, a few kilometres apart; one in three is an expressway with no footway
  (not walkable). Nothing else crosses the water: a building facing a station across the river
  is a short line away and a long walk.

Lines are not noded here (a road runs through its junctions, as in a real road file); the
network builder nodes them. Every random draw comes from its own seeded generator, so adding
roads changed no other record of the city.
"""

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import nearest_points

from .common import rng_for
from .names import WORDS, pick

MIN_ROAD_M = 1.0  # shorter clipped pieces (a lattice line grazing a corner) are dropped
BRIDGE_SPACING_M = 2500.0
BRIDGE_LANDING_M = 3.0  # a bridge runs onto each bank, so it crosses the shore road there
EXPRESSWAY_EVERY = 3  # bridges 1, 4, 7… carry an expressway only


def community_roads(*, geom, streets: list, road_names: list[str]) -> list[dict]:
    """The community's lattice lines inside it, named after the community's own roads (the
    names its addresses use)."""
    out = []
    for k, line in enumerate(streets):
        for part in _line_parts(line.intersection(geom)):
            out.append(
                {
                    "name": road_names[k % len(road_names)],
                    "kind": "residential",
                    "walkable": True,
                    "geom": part,
                }
            )
    return out


def arterial_roads(*, plan, seed: int) -> list[dict]:
    """Street edges as primary roads, the other community edges as secondary ones, and the
    bridges. `plan` holds the communities, streets, water and extent already."""
    rng = rng_for(seed, "arterial roads")
    community_edges = shapely.union_all([c["geom"].boundary for c in plan.communities])
    street_edges = shapely.union_all([s["geom"].boundary for s in plan.streets])
    out = []
    for kind, lines, suffixes in (
        ("primary", street_edges, ("大道", "路")),
        ("secondary", community_edges.difference(street_edges), ("路", "街")),
    ):
        for part in _line_parts(shapely.line_merge(lines)):
            name = pick(rng, WORDS) + pick(rng, WORDS) + pick(rng, suffixes)
            out.append({"name": name, "kind": kind, "walkable": True, "geom": part})
    return out + bridges(plan=plan, seed=seed)


def bridges(*, plan, seed: int) -> list[dict]:
    """Straight crossings of the river (the largest water body) at evenly spaced heights, each
    roughly square to the banks: from the bank point nearest mid-river straight across."""
    if plan.water is None or plan.water.is_empty:
        return []
    river = max(shapely.get_parts(plan.water), key=lambda p: p.area)
    x0, y0, x1, y1 = plan.extent.bounds
    n = max(2, round((y1 - y0) / BRIDGE_SPACING_M))
    rng = rng_for(seed, "bridges")
    out = []
    for k in range(n):
        y = y0 + (y1 - y0) * (k + 0.5) / n
        line = _bridge_line(river=river, across=LineString([(x0, y), (x1, y)]))
        if line is None:
            continue
        expressway = k % EXPRESSWAY_EVERY == 1
        out.append(
            {
                "name": pick(rng, WORDS) + pick(rng, WORDS) + "长江大桥",
                "kind": "trunk" if expressway else "primary",
                "walkable": not expressway,
                "geom": line,
            }
        )
    return out


def _bridge_line(*, river, across: LineString) -> LineString | None:
    pieces = _line_parts(river.intersection(across))
    if not pieces:
        return None
    mid = max(pieces, key=lambda p: p.length).interpolate(0.5, normalized=True)
    bank = nearest_points(river.boundary, mid)[0]
    d = np.array([mid.x - bank.x, mid.y - bank.y])
    d /= np.linalg.norm(d)
    start = np.array([bank.x, bank.y])
    reach = 4 * 2 * bank.distance(mid) + 100.0
    ray = LineString([start - d, start + reach * d])
    # The water piece that starts at this bank: its far end is the other bank.
    piece = min(_line_parts(river.intersection(ray)), key=lambda p: p.distance(Point(start)))
    a, b = np.array(piece.coords[0]), np.array(piece.coords[-1])
    far = b if np.linalg.norm(b - start) > np.linalg.norm(a - start) else a
    return LineString([start - BRIDGE_LANDING_M * d, far + BRIDGE_LANDING_M * d])


def _line_parts(geom) -> list:
    """The LineStrings of an intersection result (which may hold points or be empty), each
    at least MIN_ROAD_M long."""
    parts = shapely.get_parts(geom)
    return [p for p in parts if p.geom_type == "LineString" and p.length >= MIN_ROAD_M]

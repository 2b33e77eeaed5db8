"""Cut lines: a planner's line splits the parcels it crosses (issue 6, freehand drawing kept as
cuts of the parcel model).

The line is snapped in metres to the parcel vertices and edges within GRIDATLAS_CUT_SNAP_M, and
an end that stops short of an edge within that distance is carried across it. Every parcel the
line crosses completely is split (see sql/cut_faces.sql for why the pieces tile it exactly);
the largest piece keeps the parcel's id, the others become new parcels of the same grid and
micro-grid, and the buildings of a split parcel go to the piece covering their point on surface.
A line through a building's footprint is refused (422), one that splits nothing is a 400.

Grid and micro-grid polygons do not change (they are the same unions of smaller parcels), so the
layout revision does not change either: a cut is not a layout commit. The derivation triggers
refresh the totals, and the tile purge triggers on grids, micro-grids and buildings (all updated
here) invalidate the tiles the cut touches.
"""

from dataclasses import dataclass
from pathlib import Path

import pghistory
import shapely
import shapely.ops
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString
from django.db import connection, transaction

from geo.errors import BadRequest, RuleViolation
from geo.geometry import geometry_problems
from geo.srid import STORAGE_SRID, metric_srid, to_metric, transformed
from layers.models import Community, Parcel
from layers.services.layouts import community_locked, layout_authorise

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Metres per degree of latitude: turns the snapping distance into a bounding-box margin.
M_PER_DEG = 111_000.0
# An end carried onto an edge goes this far past it, so the crossing is a real intersection for
# the noding and not a touch by floating-point luck; the dangling centimetre is dropped.
OVERSHOOT_M = 0.01
# After the round trip through the metric CRS, vertices this close to a parcel vertex (in
# degrees, ~0.1 mm) take its exact coordinates, so shared vertices stay bit-identical.
EXACT_SNAP_DEG = 1e-9


@dataclass(frozen=True)
class CutResult:
    parcels: list[dict]  # every piece: id, grid, microgrid, households, buildings, geometry
    created: list[int]
    split: list[int]


def _fetch(file: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute((SQL_DIR / file).read_text(encoding="utf-8"), params)
        return cur.fetchall()


def _carried(line_m: shapely.LineString, edges_m, snap_m: float) -> shapely.LineString:
    """`line_m` with each end that stops within snap_m of an edge carried just across it."""
    coords = list(line_m.coords)
    for at, before in ((0, 1), (-1, -2)):
        end = shapely.Point(coords[at])
        gap = edges_m.distance(end)
        if gap > snap_m:
            continue
        near = shapely.ops.nearest_points(edges_m, end)[0]
        dx, dy = near.x - end.x, near.y - end.y
        if gap < 1e-6:  # on the edge already: keep going the way the line goes
            dx, dy = end.x - coords[before][0], end.y - coords[before][1]
        norm = (dx * dx + dy * dy) ** 0.5 or 1.0
        past = (near.x + dx / norm * OVERSHOOT_M, near.y + dy / norm * OVERSHOOT_M)
        if at == 0:
            coords = [past, *coords]
        else:
            coords = [*coords, past]
    return shapely.LineString(coords)


def cut_line_prepared(*, community: Community, line: GEOSGeometry) -> GEOSGeometry:
    """The line (STORAGE_SRID) snapped to the community's parcel edges within
    GRIDATLAS_CUT_SNAP_M and with its ends carried onto the edges they stop short of."""
    snap_m = settings.GRIDATLAS_CUT_SNAP_M
    line = transformed(line, STORAGE_SRID)
    params = {"community_id": community.pk, "line": line.ewkb, "search_deg": 3 * snap_m / M_PER_DEG}
    (edges,) = _fetch("cut_edges.sql", params)[0]
    if edges is None:
        return line
    edges = GEOSGeometry(edges, srid=STORAGE_SRID)
    edges_m = shapely.from_wkb(bytes(to_metric(edges).wkb))
    line_m = shapely.from_wkb(bytes(to_metric(line).wkb))
    line_m = _carried(shapely.snap(line_m, edges_m, snap_m), edges_m, snap_m)
    back = transformed(GEOSGeometry(memoryview(line_m.wkb), srid=metric_srid()), STORAGE_SRID)
    exact = shapely.snap(
        shapely.from_wkb(bytes(back.wkb)), shapely.from_wkb(bytes(edges.wkb)), EXACT_SNAP_DEG
    )
    return GEOSGeometry(memoryview(exact.wkb), srid=STORAGE_SRID)


def _buildings_crossed(community: Community, line: GEOSGeometry) -> None:
    rows = _fetch("cut_buildings.sql", {"community_id": community.pk, "line": line.ewkb})
    if rows:
        where = "; ".join(f"{code} near ({lon:.6f}, {lat:.6f})" for code, lon, lat, _ in rows)
        raise RuleViolation(
            f"the line crosses {len(rows)} building footprint(s): {where}. A cut may run along a "
            "building's edge but not through it: redraw the line around the building.",
            buildings=[
                {"code": code, "lon": lon, "lat": lat, "length_m": round(length, 2)}
                for code, lon, lat, length in rows
            ],
        )


def _without_slivers(faces: list[tuple[GEOSGeometry, float]]) -> list[GEOSGeometry]:
    """Faces of one parcel, largest first, each sliver below GRIDATLAS_SLIVER_MIN_AREA_M2 merged
    into the face it shares the longest edge with (both come from one noding: the union is
    exact)."""
    min_m2 = settings.GRIDATLAS_SLIVER_MIN_AREA_M2
    big = sum(1 for _, area in faces if area >= min_m2) or 1  # faces come largest first
    kept = [face for face, _ in faces[:big]]
    for face, _ in faces[big:]:
        i = max(range(len(kept)), key=lambda k: kept[k].intersection(face).length)
        kept[i] = kept[i].union(face)
    return kept


def _pieces(community: Community, line: GEOSGeometry) -> dict[int, list[GEOSGeometry]]:
    by_parcel: dict[int, list[tuple[GEOSGeometry, float]]] = {}
    points: dict[int, int] = {}
    for pid, face, area, npoints in _fetch(
        "cut_faces.sql", {"community_id": community.pk, "line": line.ewkb}
    ):
        by_parcel.setdefault(pid, []).append((GEOSGeometry(face, srid=STORAGE_SRID), area))
        points[pid] = npoints
    out = {pid: _without_slivers(faces) for pid, faces in by_parcel.items()}
    # An unsplit parcel whose edge gained a node (the line ends on it, or a neighbour's piece
    # does) takes the noded ring too, so shared edges keep the same vertices on both sides.
    return {
        pid: pieces
        for pid, pieces in out.items()
        if len(pieces) > 1 or pieces[0].num_coords != points[pid]
    }


def _parcel_rows(ids: list[int]) -> list[dict]:
    rows = Parcel.objects.filter(pk__in=ids).order_by("pk")
    return [
        {
            "id": p.pk,
            "grid": p.grid.code if p.grid_id else None,
            "microgrid": p.micro_grid.code if p.micro_grid_id else None,
            "households": p.households,
            "buildings": p.building_count,
            "area_m2": round(to_metric(p.geom).area, 1),
            "geometry": p.geom.json,
        }
        for p in rows.select_related("grid", "micro_grid")
    ]


def parcels_cut(*, community_code: str, line: GEOSGeometry, user) -> CutResult:
    """Split the parcels of a community that `line` (a LineString, STORAGE_SRID if it has no
    SRID) crosses completely, in one transaction. Does not change the layout revision."""
    if not isinstance(line, LineString) or line.empty or line.num_points < 2:
        raise BadRequest("a cut line must be a LineString of at least two points")
    with transaction.atomic():
        community = community_locked(community_code)
        layout_authorise(user=user, community=community)
        prepared = cut_line_prepared(community=community, line=line)
        _buildings_crossed(community, prepared)
        pieces = _pieces(community, prepared)
        _pieces_checked(pieces)
        split = sorted(pid for pid, p in pieces.items() if len(p) > 1)
        if not split:
            raise BadRequest(
                "the line splits no parcel: draw it across a parcel from edge to edge (ends "
                f"within {settings.GRIDATLAS_CUT_SNAP_M:g} m of an edge are carried onto it)"
            )
        # The parcel and building history rows say which cut made them, and who drew it.
        context = {"action": "parcel_cut", "community": community.code}
        with pghistory.context(**context, author=getattr(user, "username", None)):
            created = _write(pieces)
            _fetch_none("cut_relink.sql", {"parcel_ids": split})
        return CutResult(parcels=_parcel_rows(split + created), created=created, split=split)


def _pieces_checked(pieces: dict[int, list[GEOSGeometry]]) -> None:
    """The pieces pass the models' own geometry check (geo.geometry), as a parcel drawn in the
    admin or imported would: they are written without save()'s full_clean."""
    shapes = [shapely.from_wkb(bytes(g.wkb)) for faces in pieces.values() for g in faces]
    problem = next((p for p in geometry_problems(shapes) if p is not None), None)
    if problem is not None:
        raise BadRequest(
            f"the cut would leave a parcel that cannot be stored: {problem.message} Draw the "
            "line again, a little away from there."
        )


def _fetch_none(file: str, params: dict) -> None:
    with connection.cursor() as cur:
        cur.execute((SQL_DIR / file).read_text(encoding="utf-8"), params)


def _write(pieces: dict[int, list[GEOSGeometry]]) -> list[int]:
    """Largest piece keeps the parcel's id; the others become parcels of its grid and
    micro-grid. Returns the new ids."""
    created = []
    for parcel in Parcel.objects.filter(pk__in=pieces).order_by("pk"):
        first, *rest = sorted(pieces[parcel.pk], key=lambda g: -g.area)
        Parcel.objects.filter(pk=parcel.pk).update(geom=first)
        for geom in rest:
            new = Parcel(
                community_id=parcel.community_id,
                grid_id=parcel.grid_id,
                micro_grid_id=parcel.micro_grid_id,
                geom=geom,
            )
            # The pieces passed the geometry check (_pieces_checked) and are faces inside the
            # old parcel: the model's other check, inside the community, is what noding gives.
            new.save(validate=False)
            created.append(new.pk)
    return created

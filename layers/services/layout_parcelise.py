"""Turning an imported freehand layout into parcels (docs/design.md, issue 6).

A community whose grids (and micro-grids) are freehand polygons is cut into faces by all its
edges at once — its own boundary, the grids', the micro-grids', the existing parcels' and the
compounds' (sql/parcelise_faces.sql: the faces tile the community exactly). Then:

- a face owned by exactly one grid goes to that grid (and to the one micro-grid of that grid
  owning it, if exactly one does);
- a face owned by two or more grids is an **overlap**, a face owned by none a **gap**: both are
  reported (area, where, which grids) and left without a grid. Once the grids are derived from
  parcels, the rule check reports each of them as a part of the community covered by no grid
  (rule `gap`), at exactly the reported place and area: nothing is decided for the planner.
  The same holds one level down for micro-grids inside a grid that has any (a grid with none is
  not divided at that level: no gap);
- faces smaller than GRIDATLAS_MIN_VIOLATION_AREA_M2 (slivers between edges digitised twice) are
  merged into the neighbour face they share the longest edge with, and take its owners.

Each existing parcel keeps its id for its largest face (layout revisions name parcels by id);
the other faces become new parcels; a parcel left with no face is deleted. Buildings go to the
parcel covering their point on surface, and the grids and micro-grids become `geom_source =
parcels`, their polygons and totals derived by the triggers from then on.
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pghistory
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from geo.errors import BadRequest, NotFound
from geo.srid import STORAGE_SRID
from layers.models import Community, GeomSource, Grid, MicroGrid, Parcel

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass
class Face:
    geom: shapely.Polygon  # STORAGE_SRID
    area_m2: float
    grids: tuple[int, ...]
    micros: tuple[int, ...]
    parcel_id: int | None


@dataclass(frozen=True)
class Problem:
    kind: str  # gap, overlap (of grids in the community) or microgrid_gap, microgrid_overlap
    parent: str  # the community or grid code it lies in
    codes: tuple[str, ...]  # the units owning it (none for a gap)
    area_m2: float
    lon: float
    lat: float


@dataclass
class ParceliseReport:
    community: str
    dry_run: bool
    faces: int = 0
    slivers_merged: int = 0
    parcels_before: int = 0
    parcels_after: int = 0
    parcels_kept: int = 0
    parcels_created: int = 0
    parcels_deleted: int = 0
    assigned: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _faces(community: Community) -> list[Face]:
    with connection.cursor() as cur:
        cur.execute(
            (SQL_DIR / "parcelise_faces.sql").read_text(encoding="utf-8"),
            {"community_id": community.pk},
        )
        rows = cur.fetchall()
    return [
        Face(
            geom=shapely.from_wkb(bytes(GEOSGeometry(face).wkb)),
            area_m2=area,
            grids=tuple(grids),
            micros=tuple(micros),
            parcel_id=parcel_id,
        )
        for face, area, grids, micros, parcel_id, _lon, _lat in rows
    ]


def faces_without_slivers(faces: list[Face], *, min_area_m2: float) -> tuple[list[Face], int]:
    """Merge each face below min_area_m2, smallest first, into the neighbour it shares the
    longest edge with (the neighbour keeps its owners). Faces come from one noding, so shared
    edges are identical and the union is exact. Returns the faces left and how many merged."""
    alive = list(faces)
    merged = 0
    for small in sorted((f for f in faces if f.area_m2 < min_area_m2), key=lambda f: f.area_m2):
        others = [f for f in alive if f is not small]
        shared = [
            (f.geom.boundary.intersection(small.geom.boundary).length, i)
            for i, f in enumerate(others)
        ]
        length, i = max(shared, default=(0.0, -1))
        if length <= 0:
            continue  # an island: nothing to merge it into
        into = others[i]
        into.geom = shapely.union(into.geom, small.geom)
        into.area_m2 += small.area_m2
        alive = [f for f in alive if f is not small]
        merged += 1
    return alive, merged


def _problems(community: Community, faces: list[Face]) -> list[Problem]:
    """Gaps and overlaps of the grids in the community and of the micro-grids in each grid,
    adjacent faces with the same owners taken together (as the rule check dumps its parts)."""
    grid_code = dict(Grid.objects.filter(community=community).values_list("id", "code"))
    micro = {
        pk: (code, grid_id)
        for pk, code, grid_id in MicroGrid.objects.filter(grid__community=community).values_list(
            "id", "code", "grid_id"
        )
    }
    # A grid with no micro-grid at all is not divided at that level (a layout loaded down to
    # grids only): its faces are no micro-grid gap.
    divided = {grid_id for _code, grid_id in micro.values()}
    groups: dict[tuple, list] = {}
    for f in faces:
        if len(f.grids) != 1:
            kind = "gap" if not f.grids else "overlap"
            codes = tuple(grid_code[g] for g in f.grids)
            groups.setdefault((kind, community.code, codes), []).append(f.geom)
            continue
        if f.grids[0] not in divided:
            continue
        mine = tuple(m for m in f.micros if micro[m][1] == f.grids[0])
        if len(mine) != 1:
            kind = "microgrid_gap" if not mine else "microgrid_overlap"
            codes = tuple(micro[m][0] for m in mine)
            groups.setdefault((kind, grid_code[f.grids[0]], codes), []).append(f.geom)
    out = []
    for (kind, parent, codes), geoms in sorted(groups.items()):
        for part in shapely.get_parts(shapely.union_all(geoms)):
            where = part.point_on_surface()
            out.append(
                Problem(kind, parent, codes, _area_m2(part), round(where.x, 7), round(where.y, 7))
            )
    return out


def _area_m2(geom: shapely.Geometry) -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Area(ST_GeomFromWKB(%s, %s)::geography)", [geom.wkb, STORAGE_SRID])
        return cur.fetchone()[0]


def _owner(face: Face, micro_grid: dict[int, int]) -> tuple[int | None, int | None]:
    if len(face.grids) != 1:
        return None, None
    mine = [m for m in face.micros if micro_grid.get(m) == face.grids[0]]
    return face.grids[0], (mine[0] if len(mine) == 1 else None)


def _write(community: Community, faces: list[Face], report: ParceliseReport) -> None:
    micro_grid = dict(
        MicroGrid.objects.filter(grid__community=community).values_list("id", "grid_id")
    )
    Grid.objects.filter(community=community).update(geom_source=GeomSource.PARCELS)
    MicroGrid.objects.filter(grid__community=community).update(geom_source=GeomSource.PARCELS)
    by_parcel: dict[int | None, list[Face]] = {}
    for f in faces:
        by_parcel.setdefault(f.parcel_id, []).append(f)
    kept, new = [], []
    for pid, group in by_parcel.items():
        group.sort(key=lambda f: -f.area_m2)
        for i, f in enumerate(group):
            grid_id, micro_id = _owner(f, micro_grid)
            geom = GEOSGeometry(memoryview(f.geom.wkb), srid=STORAGE_SRID)
            target = kept if pid is not None and i == 0 else new
            target.append(
                Parcel(
                    pk=pid if target is kept else None,
                    community=community,
                    grid_id=grid_id,
                    micro_grid_id=micro_id,
                    geom=geom,
                )
            )
    old = set(Parcel.objects.filter(community=community).values_list("pk", flat=True))
    gone = sorted(old - {p.pk for p in kept})
    # Buildings let go of their parcels first; the relink below gives each its new one.
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE layers_building SET parcel_id = NULL WHERE community_id = %s", [community.pk]
        )
    Parcel.objects.filter(pk__in=gone).delete()
    Parcel.objects.bulk_update(kept, ["geom", "grid", "micro_grid"])
    Parcel.objects.bulk_create(new)
    with connection.cursor() as cur:
        cur.execute(
            (SQL_DIR / "parcelise_relink.sql").read_text(encoding="utf-8"),
            {"community_id": community.pk},
        )
        # Units with no parcel left have no polygon now: refresh every unit of the community.
        cur.execute(
            "SELECT ga_refresh_units(ARRAY(SELECT id FROM layers_grid WHERE community_id = %s),"
            " ARRAY(SELECT m.id FROM layers_microgrid m JOIN layers_grid g ON g.id = m.grid_id"
            " WHERE g.community_id = %s))",
            [community.pk, community.pk],
        )
    report.parcels_kept, report.parcels_created = len(kept), len(new)
    report.parcels_deleted = len(gone)
    report.parcels_after = Parcel.objects.filter(community=community).count()


def community_freehand(*, community: Community) -> bool:
    """Has the community a freehand grid or micro-grid (a layout the editor cannot edit yet)?"""
    return (
        Grid.objects.filter(community=community, geom_source=GeomSource.FREEHAND).exists()
        or MicroGrid.objects.filter(
            grid__community=community, geom_source=GeomSource.FREEHAND
        ).exists()
    )


def layout_parcelise(*, community_code: str, dry_run: bool = False) -> ParceliseReport:
    """Cut a community with a freehand layout into parcels and derive its grids and micro-grids
    from them (module docstring); with dry_run, only report what would happen."""
    with transaction.atomic():
        community = (
            Community.objects.select_for_update(of=("self",)).filter(code=community_code).first()
        )
        if community is None:
            raise NotFound(f"no community with code {community_code}")
        if not community_freehand(community=community):
            raise BadRequest(
                f"community {community_code} has no freehand grid or micro-grid: its layout is "
                "already made of parcels"
            )
        report = ParceliseReport(community=community.code, dry_run=dry_run)
        report.parcels_before = Parcel.objects.filter(community=community).count()
        faces, report.slivers_merged = faces_without_slivers(
            _faces(community), min_area_m2=settings.GRIDATLAS_MIN_VIOLATION_AREA_M2
        )
        report.faces = len(faces)
        report.assigned = sum(1 for f in faces if len(f.grids) == 1)
        report.problems = _problems(community, faces)
        if not dry_run:
            with pghistory.context(action="layout_parcelise", community=community.code):
                _write(community, faces, report)
        return report

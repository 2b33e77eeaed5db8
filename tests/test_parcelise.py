"""Parcels from an imported freehand layout (layers/services/layout_parcelise.py and
`manage.py parcelise_layout`): the faces tile the community, a face owned by one grid goes to
it, a known gap and a known overlap are reported with their areas and left without a grid, a
sliver is merged into its neighbour, and the rule check then reports exactly that gap and that
overlap. Also: the rule check's parcel fast paths report what the general overlays report, on the
tiny demo city with planted defects and on a parcel-derived community with unassigned parcels.

The community is 0..400 × 0..200 (~metres) with one parcel covering it all and a compound at
20..80 × 20..80. Freehand grids: G1 = 0..150, G2 = 140..300 (overlap 140..150 with G1),
G3 = 320..400 (gap 300..320). Each grid has one micro-grid drawn as the grid, except G3's, which
stops 5 mm short of the community's north edge: a 0.4 m² sliver.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layers.models import GeomSource, Grid, MicroGrid, Parcel, Xiaoqu
from layers.rules import boundary_violations
from layers.services.layout_parcelise import layout_parcelise
from tests.factories import (
    area_m2,
    box,
    building_make,
    grid_make,
    hierarchy_make,
    microgrid_make,
    multi,
    parcel_make,
)

STRUCTURAL = ("outside_parent", "overlap", "gap", "split_building")
GAP = box(300, 0, 320, 200)
OVERLAP = box(140, 0, 150, 200)


@pytest.fixture
def imported(db):
    c = hierarchy_make()
    whole = parcel_make(community=c, extent=(0, 0, 400, 200))
    Xiaoqu.objects.create(
        code=c.code + "001",
        name="幸福小区",
        community=c,
        kind=Xiaoqu.Kind.OLD,
        geom=multi(box(20, 20, 80, 80)),
    )
    grids = {}
    for seq, extent, micro_extent in (
        (1, (0, 0, 150, 200), (0, 0, 150, 200)),
        (2, (140, 0, 300, 200), (140, 0, 300, 200)),
        (3, (320, 0, 400, 200), (320, 0, 400, 199.995)),
    ):
        g = grid_make(
            community=c, seq=seq, geom=multi(box(*extent)), geom_source=GeomSource.FREEHAND
        )
        microgrid_make(
            grid=g, seq=1, geom=multi(box(*micro_extent)), geom_source=GeomSource.FREEHAND
        )
        grids[seq] = g
    building_make(community=c, seq=1, extent=(30, 30, 50, 50), households=100)
    building_make(community=c, seq=2, extent=(200, 50, 220, 70), households=50)
    building_make(community=c, seq=3, extent=(350, 50, 370, 70), households=70)
    return {"community": c, "grids": grids, "whole": whole}


def by_kind(report) -> dict:
    return {p.kind: p for p in report.problems}


def test_the_freehand_layout_breaks_the_rules_where_the_gap_and_overlap_are(imported):
    c = imported["community"]
    found = boundary_violations(rules=STRUCTURAL, scope=c.code)
    assert sorted(v.rule for v in found) == ["gap", "overlap"]
    gap = next(v for v in found if v.rule == "gap")
    overlap = next(v for v in found if v.rule == "overlap")
    assert gap.area_m2 == pytest.approx(area_m2(GAP), rel=0.01)
    assert overlap.area_m2 == pytest.approx(area_m2(OVERLAP), rel=0.01)


def test_a_dry_run_reports_the_faces_the_gap_and_the_overlap(imported):
    c, grids = imported["community"], imported["grids"]
    report = layout_parcelise(community_code=c.code, dry_run=True)
    # 0..140 less the compound, the compound, 140..150, 150..300, 300..320, 320..400.
    assert report.faces == 6 and report.slivers_merged == 1
    assert report.assigned == 4
    problems = by_kind(report)
    assert set(problems) == {"gap", "overlap"}
    assert problems["gap"].codes == () and problems["gap"].parent == c.code
    assert problems["gap"].area_m2 == pytest.approx(area_m2(GAP), rel=0.01)
    assert problems["overlap"].codes == (grids[1].code, grids[2].code)
    assert problems["overlap"].area_m2 == pytest.approx(area_m2(OVERLAP), rel=0.01)
    assert GAP.covers(_point(problems["gap"])) and OVERLAP.covers(_point(problems["overlap"]))
    # Nothing written.
    assert Parcel.objects.filter(community=c).count() == 1
    assert set(Grid.objects.filter(community=c).values_list("geom_source", flat=True)) == {
        GeomSource.FREEHAND
    }


def _point(problem):
    from django.contrib.gis.geos import Point

    return Point(problem.lon, problem.lat, srid=4326)


def test_parcelising_derives_the_grids_and_the_check_reports_exactly_the_gap_and_overlap(
    imported,
):
    c, grids, whole = imported["community"], imported["grids"], imported["whole"]
    report = layout_parcelise(community_code=c.code)
    parcels = list(Parcel.objects.filter(community=c).select_related("grid", "micro_grid"))
    assert len(parcels) == report.parcels_after == 6
    # The faces tile the community exactly.
    union = parcels[0].geom
    for p in parcels[1:]:
        union = union.union(p.geom)
    assert area_m2(union.sym_difference(c.geom)) < 1e-3
    assert sum(area_m2(p.geom) for p in parcels) == pytest.approx(area_m2(c.geom), rel=1e-9)
    # The old parcel keeps its id for its largest face (150..300, grid 2).
    kept = Parcel.objects.get(pk=whole.pk)
    assert kept.grid_id == grids[2].pk and area_m2(kept.geom) == pytest.approx(
        area_m2(box(150, 0, 300, 200)), rel=1e-6
    )
    unassigned = [p for p in parcels if p.grid_id is None]
    assert sorted(round(area_m2(p.geom)) for p in unassigned) == sorted(
        [round(area_m2(OVERLAP)), round(area_m2(GAP))]
    )
    # Every assigned face has its grid's micro-grid; the grids are derived now.
    assert all(p.micro_grid is not None for p in parcels if p.grid_id)
    assert not Grid.objects.filter(community=c, geom_source=GeomSource.FREEHAND).exists()
    assert not MicroGrid.objects.filter(grid__community=c, geom_source="freehand").exists()
    hh = dict(Grid.objects.filter(community=c).values_list("code", "households"))
    assert hh == {grids[1].code: 100, grids[2].code: 50, grids[3].code: 70}
    # The rule check reports exactly the reported gap and overlap: as parts of the community
    # that no grid covers now, at the same places and with the same areas.
    found = boundary_violations(rules=STRUCTURAL, scope=c.code)
    assert [v.rule for v in found] == ["gap", "gap"]
    assert all(v.codes == (c.code,) for v in found)
    assert sorted(v.area_m2 for v in found) == pytest.approx(
        sorted(p.area_m2 for p in report.problems), abs=0.5
    )
    for p in report.problems:
        assert any(v.geom.covers(_point(p)) for v in found)
    with pytest.raises(Exception, match="already made of parcels"):
        layout_parcelise(community_code=c.code)


def test_the_command(imported):
    c = imported["community"]
    out = StringIO()
    call_command("parcelise_layout", c.code, "--dry-run", stdout=out)
    text = out.getvalue()
    assert "dry run" in text and "gap (no grid)" in text and "overlap (grids)" in text
    assert Parcel.objects.filter(community=c).count() == 1
    out = StringIO()
    call_command("parcelise_layout", c.code, stdout=out)
    assert "parcels after 6" in out.getvalue()
    with pytest.raises(CommandError, match="already made of parcels"):
        call_command("parcelise_layout", c.code)
    with pytest.raises(CommandError, match="no community"):
        call_command("parcelise_layout", "999999999999")


# --- the rule check's fast paths (layers/rules/sql/*_units.sql) against the general overlays -----

SPLIT_GENERAL = """
WITH pieces AS (
  SELECT b.id, b.code, b.geom, u.code AS unit_code,
         ST_Area(ST_Intersection(b.geom, u.geom)::geography) AS a
    FROM layers_building b
    JOIN {unit} u ON u.geom && b.geom AND ST_Relate(u.geom, b.geom, '2********')
   WHERE b.code LIKE %(scope_like)s
)
SELECT 'split_building' AS rule, (ARRAY[code] || array_agg(unit_code ORDER BY unit_code))::text[]
       AS codes, ST_Area(geom::geography) AS area_m2, geom
  FROM pieces WHERE a > %(min_area_m2)s GROUP BY id, code, geom HAVING count(*) > 1
 ORDER BY code
"""


def general_violations(scope: str | None) -> list[tuple]:
    """The structural rules for grids and micro-grids by the general overlays only (the SQL the
    street and community levels still use, and split_building as it was): the oracle."""
    from django.conf import settings
    from django.db import connection

    from geo.srid import metric_srid
    from layers.rules import check

    params = {
        "scope_like": f"{scope}%" if scope else "%",
        "metric_srid": metric_srid(),
        "tolerance_m": settings.GRIDATLAS_BOUNDARY_TOLERANCE_M,
        "min_area_m2": settings.GRIDATLAS_MIN_VIOLATION_AREA_M2,
    }
    rows = []
    for level in ("grid", "microgrid"):
        child, parent, fk = check.RELATIONS[level]
        slots = {"child": child, "parent": parent, "fk": fk}
        rows += check._run("outside_parent.sql", level=level, params=params, **slots)
        rows += check._run("overlap.sql", level=level, params=params, child=child, fk=fk)
        # gap.sql judges where the level is in use as the fast path does (check.GAP_USE).
        gap_params = {**params, **check.GAP_USE[level]}
        rows += check._run("gap.sql", level=level, params=gap_params, **slots)
        with connection.cursor() as cur:
            from psycopg import sql

            text = sql.SQL(SPLIT_GENERAL).format(unit=sql.Identifier(check.UNITS[level]))
            cur.execute(text.as_string(connection.connection), params)
            rows += [
                check.Violation("split_building", level, tuple(r[1]), "", r[2], None)
                for r in cur.fetchall()
            ]
    return sorted((v.rule, v.level, v.codes, round(v.area_m2 or 0, 1)) for v in rows)


def fast_violations(scope: str | None) -> list[tuple]:
    rules = ("outside_parent", "overlap", "gap", "split_building")
    return sorted(
        (v.rule, v.level, v.codes, round(v.area_m2 or 0, 1))
        for v in boundary_violations(rules=rules, scope=scope)
        if v.level in ("grid", "microgrid")
    )


class TestFastPathsAgree:
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def defect_city(cls, django_db_setup, django_db_blocker):
        from tests.demo_city_support import city_loaded, plan_make

        with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1, with_defects=True)):
            yield

    @pytest.mark.django_db
    def test_on_the_city_with_planted_defects(self):
        from layers.models import Community

        general = general_violations(None)
        assert {r[0] for r in general} >= {"overlap", "gap"}
        assert fast_violations(None) == general
        for code in Community.objects.values_list("code", flat=True):
            assert fast_violations(code) == general_violations(code), code

    @pytest.mark.django_db
    def test_after_parcels_lose_their_grid_or_micro_grid(self):
        # Made parcel-derived, then one parcel leaves its grid (a gap in the community) and one
        # its micro-grid (a gap in the grid): the fast paths report what the overlays do.
        from django.db import connection

        from layers.models import Community

        community = Community.objects.order_by("code").last()
        c = community.code
        Grid.objects.filter(community=community).update(geom_source=GeomSource.PARCELS)
        MicroGrid.objects.filter(grid__community=community).update(geom_source=GeomSource.PARCELS)
        with connection.cursor() as cur:
            cur.execute("SELECT ga_refresh_units(NULL, NULL)")
        assert fast_violations(c) == general_violations(c)
        parcels = list(Parcel.objects.filter(community__code=c).order_by("-households")[:2])
        Parcel.objects.filter(pk=parcels[0].pk).update(grid=None, micro_grid=None)
        Parcel.objects.filter(pk=parcels[1].pk).update(micro_grid=None)
        general = general_violations(c)
        assert {(r[0], r[1]) for r in general} == {("gap", "grid"), ("gap", "microgrid")}
        assert fast_violations(c) == general

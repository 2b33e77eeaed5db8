"""Model-layer validation (save() runs full_clean) and the database constraints behind it.

Every refused save is checked to leave the tables as they were; every raw-SQL write that breaks a
rule is checked to be refused by PostgreSQL itself.
"""

import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from geo.srid import STORAGE_SRID, metric_srid
from layers.models import (
    Building,
    Community,
    GeomSource,
    Grid,
    MicroGrid,
    Parcel,
    Street,
    Worker,
)
from tests.factories import (
    STREET_CODE,
    area_m2,
    bowtie,
    box,
    building_make,
    community_make,
    grid_make,
    hierarchy_make,
    lonlat,
    microgrid_make,
    multi,
    parcel_make,
)

pytestmark = pytest.mark.django_db

TABLES = (Community, Grid, MicroGrid, Parcel, Building, Worker)


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def refused(instance, field: str) -> list[ValidationError]:
    """Save `instance`, expect a ValidationError on `field`, and no row written anywhere."""
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        instance.save()
    assert row_counts() == before
    assert field in exc.value.error_dict, exc.value.message_dict
    return exc.value.error_dict[field]


def text(err: ValidationError) -> str:
    return err.message % err.params if err.params else err.message


@pytest.fixture
def community():
    return hierarchy_make()


@pytest.fixture
def grid(community):
    """A grid made of one parcel, 0..100 × 0..100."""
    g = grid_make(community=community, seq=1)
    parcel_make(community=community, extent=(0, 0, 100, 100), grid=g)
    g.refresh_from_db()
    return g


# --- the geometry every model shares ------------------------------------------------------------


def new_community(street, geom):
    return Community(code=street.code + "009", name="新社区", street=street, geom=geom)


def new_parcel(community, geom):
    return Parcel(community=community, geom=geom)


def new_building(community, geom):
    return Building(
        code=community.code + "0009", name="9栋", community=community, geom=geom, households=10
    )


def new_freehand_grid(community, geom):
    return Grid(
        code=community.code + "009",
        name="新网格",
        community=community,
        geom=geom,
        geom_source=GeomSource.FREEHAND,
    )


# (builder, parent accessor, whether the field takes a MultiPolygon)
GEOMETRY_CASES = {
    "community": (new_community, lambda c: c.street, True),
    "freehand grid": (new_freehand_grid, lambda c: c, True),
    "parcel": (new_parcel, lambda c: c, False),
    "building": (new_building, lambda c: c, False),
}


def shaped(polygon: Polygon, as_multi: bool):
    return multi(polygon) if as_multi else polygon


@pytest.mark.parametrize("case", list(GEOMETRY_CASES))
def test_a_bow_tie_is_refused_with_the_geos_reason_and_where(community, case):
    build, parent, as_multi = GEOMETRY_CASES[case]
    (err,) = refused(build(parent(community), shaped(bowtie(20, 20, 40), as_multi)), "geom")
    assert err.code == "invalid"
    match = re.search(r"Self-intersection\[([-\d.]+) ([-\d.]+)\]", text(err))
    assert match, text(err)
    # The two edges of the bow-tie cross at the middle of its square.
    assert (float(match[1]), float(match[2])) == pytest.approx(lonlat(40, 40), abs=1e-9)


@pytest.mark.parametrize("case", list(GEOMETRY_CASES))
def test_an_empty_geometry_is_refused(community, case):
    build, parent, as_multi = GEOMETRY_CASES[case]
    empty = MultiPolygon(srid=STORAGE_SRID) if as_multi else Polygon(srid=STORAGE_SRID)
    (err,) = refused(build(parent(community), empty), "geom")
    assert err.code == "empty"
    assert "empty" in text(err)


@pytest.mark.parametrize("case", list(GEOMETRY_CASES))
def test_projected_metres_sent_as_lonlat_are_named_a_wrong_crs(community, case):
    build, parent, as_multi = GEOMETRY_CASES[case]
    metres = Polygon(
        [(500000, 3380000), (500100, 3380000), (500100, 3380100), (500000, 3380000)],
        srid=STORAGE_SRID,
    )
    (err,) = refused(build(parent(community), shaped(metres, as_multi)), "geom")
    assert err.code == "wrong_crs"
    assert "(500000.0, 3380000.0)" in text(err)
    assert "not longitude/latitude" in text(err)


def test_a_sliver_part_is_refused_with_its_area_and_place(community):
    sliver = box(300, 100, 300.5, 100.5)
    geom = multi(box(0, 0, 200, 200), sliver)
    (err,) = refused(new_community(community.street, geom), "geom")
    assert err.code == "sliver"
    where = sliver.point_on_surface
    assert f"Part 2 of the geometry is a sliver of {area_m2(sliver):.2f} m²" in text(err)
    assert f"near ({where.x:.6f}, {where.y:.6f})" in text(err)


def test_a_single_polygon_sliver_is_refused(community):
    (err,) = refused(new_parcel(community, box(10, 10, 10.5, 10.5)), "geom")
    assert err.code == "sliver"
    assert "Part 1 " in text(err)


def test_the_sliver_threshold_is_a_setting_read_at_call_time(community):
    small = box(10, 10, 12, 12)  # ~4 m²
    assert 3.5 < area_m2(small) < 4.5
    new_parcel(community, small).full_clean()
    with override_settings(GRIDATLAS_SLIVER_MIN_AREA_M2=5.0):
        (err,) = refused(new_parcel(community, small), "geom")
    assert err.code == "sliver"
    assert "(minimum 5.0 m²)" in text(err)


def test_a_geometry_declared_in_the_metric_crs_is_stored_as_lonlat(community):
    metric = box(10, 10, 60, 60).transform(metric_srid(), clone=True)
    assert metric.extent[0] > 400000  # metres
    parcel = new_parcel(community, metric)
    parcel.save()
    parcel.refresh_from_db()
    assert parcel.geom.srid == STORAGE_SRID
    assert parcel.geom.equals_exact(box(10, 10, 60, 60), tolerance=1e-9)


# --- codes and parents --------------------------------------------------------------------------


def test_a_community_code_must_start_with_its_street_code(community):
    stray = Community(
        code="420188001009",
        name="错码社区",
        street=community.street,
        geom=multi(box(0, 0, 100, 100)),
    )
    (err,) = refused(stray, "code")
    assert err.code == "code_parent_mismatch"
    assert "420188001009" in text(err) and STREET_CODE in text(err)


def test_a_full_width_code_is_refused_as_malformed(community):
    full_width = "４２０１９９００１００１００１"
    errs = refused(Grid(code=full_width, name="全角", community=community), "code")
    (err,) = [e for e in errs if e.code == "bad_code"]
    assert "A grid (网格) code is 15 digits" in text(err)


def test_a_community_reaching_outside_its_street_is_refused(community):
    street = Street.objects.get(code=STREET_CODE)  # -2000..2000 square
    (err,) = refused(new_community(street, multi(box(1900, 0, 2100, 100))), "geom")
    assert err.code == "outside_parent"
    assert f"outside its street {STREET_CODE}" in text(err)


def test_a_grid_without_parcels_has_no_polygon_and_saves(community):
    # A new grid is an empty set of parcels: its geometry is NULL until a parcel joins.
    g = grid_make(community=community, seq=7)
    g.refresh_from_db()
    assert g.geom is None
    assert (g.households, g.building_count) == (0, 0)


def test_a_freehand_micro_grid_reaching_outside_its_grid_names_area_and_place(grid):
    reach = box(50, 0, 150, 100)  # half of it east of the grid's 0..100 parcel
    mg = MicroGrid(
        code=grid.code + "001",
        name="越界微网格",
        grid=grid,
        geom=multi(reach),
        geom_source=GeomSource.FREEHAND,
    )
    (err,) = refused(mg, "geom")
    assert err.code == "outside_parent"
    inner = reach.transform(metric_srid(), clone=True)
    outer = grid.geom.transform(metric_srid(), clone=True).buffer(0.5)
    expected_m2 = inner.difference(outer).area
    assert 4800 < expected_m2 < 5100
    assert f"reaches {expected_m2:.0f} m² outside its grid {grid.code}" in text(err)
    x, y = map(float, re.search(r"near \(([\d.]+), ([\d.]+)\)", text(err)).groups())
    # The place named lies in the part outside the grid, not inside it.
    assert lonlat(100, 0)[0] < x < lonlat(150, 0)[0]
    assert lonlat(0, 0)[1] < y < lonlat(0, 100)[1]


def test_reaching_out_less_than_the_tolerance_is_accepted_until_the_setting_shrinks(grid):
    def almost():
        return MicroGrid(
            code=grid.code + "001",
            name="贴边微网格",
            grid=grid,
            geom=multi(box(0, 0, 100.3, 100)),
            geom_source=GeomSource.FREEHAND,
        )

    almost().full_clean()  # 0.3 m over the edge, tolerance 0.5 m
    with override_settings(GRIDATLAS_BOUNDARY_TOLERANCE_M=0.1):
        (err,) = refused(almost(), "geom")
    assert err.code == "outside_parent"


def test_a_parcel_whose_micro_grid_belongs_to_another_grid_is_refused(community, grid):
    other = grid_make(community=community, seq=2)
    foreign_mg = microgrid_make(grid=other, seq=1)
    parcel = Parcel(
        community=community, grid=grid, micro_grid=foreign_mg, geom=box(100, 0, 200, 100)
    )
    (err,) = refused(parcel, "micro_grid")
    assert foreign_mg.code in err.message and grid.code in err.message


def test_a_parcel_joining_a_grid_of_another_community_is_refused(community, grid):
    neighbour = community_make(
        street=community.street, code=community.street.code + "002", extent=(500, 0, 700, 200)
    )
    parcel = Parcel(community=neighbour, grid=grid, geom=box(500, 0, 600, 100))
    (err,) = refused(parcel, "grid")
    assert grid.code in err.message and neighbour.code in err.message


def test_a_parcel_outside_its_community_is_refused(community):
    (err,) = refused(new_parcel(community, box(350, 150, 450, 250)), "geom")
    assert err.code == "outside_parent"
    assert f"community {community.code}" in text(err)


def test_editing_a_saved_row_into_an_invalid_one_leaves_the_row_as_it_was(community):
    before = community.geom.clone()
    community.geom = multi(bowtie(0, 0, 100))
    refused(community, "geom")
    community.refresh_from_db()
    assert community.geom.equals_exact(before, tolerance=0)


# --- workers ------------------------------------------------------------------------------------


@pytest.fixture
def places(community, grid):
    mg = microgrid_make(grid=grid, seq=1)
    b = building_make(community=community, seq=1, extent=(10, 10, 30, 30), households=20)
    return {"grid": grid, "micro_grid": mg, "building": b}


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Worker.Role.GRID_WORKER, "grid"),
        (Worker.Role.GRID_WORKER, "micro_grid"),
        (Worker.Role.GRID_HEAD, "grid"),
        (Worker.Role.BUILDING_HEAD, "building"),
        (Worker.Role.BUILDING_HEAD, "micro_grid"),
        (Worker.Role.VOLUNTEER, "grid"),
        (Worker.Role.VOLUNTEER, "micro_grid"),
        (Worker.Role.VOLUNTEER, "building"),
    ],
)
def test_a_worker_attached_where_the_role_allows_is_saved(places, role, where):
    Worker(name="李华", role=role, **{where: places[where]}).save()
    assert Worker.objects.filter(role=role, **{where: places[where]}).count() == 1


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Worker.Role.GRID_HEAD, "building"),
        (Worker.Role.GRID_HEAD, "micro_grid"),
        (Worker.Role.GRID_WORKER, "building"),
        (Worker.Role.BUILDING_HEAD, "grid"),
    ],
)
def test_a_worker_attached_where_the_role_does_not_allow_is_refused(places, role, where):
    (err,) = refused(Worker(name="王强", role=role, **{where: places[where]}), where)
    assert Worker.Role(role).label in err.message
    assert f"not a {where.replace('_', '-')}" in err.message


def test_a_grid_head_on_a_building_is_told_where_a_grid_head_goes(places):
    (err,) = refused(
        Worker(name="王强", role=Worker.Role.GRID_HEAD, building=places["building"]), "building"
    )
    assert err.message == "A 网格长 is attached to grid, not a building."


@pytest.mark.parametrize("where", [(), ("grid", "building"), ("grid", "micro_grid", "building")])
def test_a_worker_needs_exactly_one_attachment(places, where):
    worker = Worker(name="赵敏", role=Worker.Role.VOLUNTEER, **{w: places[w] for w in where})
    (err,) = refused(worker, NON_FIELD_ERRORS)
    assert "exactly one grid, micro-grid or building" in err.message


# --- the database refuses what the models refuse, even from raw SQL -----------------------------


def raw_refused(sql: str, params) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.mark.parametrize("table", ["community", "grid", "parcel", "building"])
def test_raw_sql_cannot_store_an_invalid_geometry(community, grid, table):
    building_make(community=community, seq=1, extent=(10, 10, 30, 30), households=20)
    bad = bowtie(0, 0, 50)
    model = {"community": Community, "grid": Grid, "parcel": Parcel, "building": Building}[table]
    row = model.objects.order_by("pk").last()
    as_multi = table in ("community", "grid")
    raw_refused(
        f"UPDATE layers_{table} SET geom = ST_GeomFromEWKT(%s) WHERE id = %s",
        [shaped(bad, as_multi).ewkt, row.pk],
    )
    after = model.objects.get(pk=row.pk)
    assert after.geom.valid and after.geom.equals_exact(row.geom, tolerance=0)


@pytest.mark.parametrize(
    ("table", "code"),
    [
        ("community", "４２０１９９００１００１"),  # full-width
        ("community", "42019900100"),  # 11 digits
        ("grid", "42019900100100A"),
        ("building", "420199001001 001"),
    ],
)
def test_raw_sql_cannot_store_a_malformed_code(community, grid, table, code):
    building_make(community=community, seq=1, extent=(10, 10, 30, 30), households=20)
    model = {"community": Community, "grid": Grid, "building": Building}[table]
    row = model.objects.order_by("pk").last()
    raw_refused(
        f"UPDATE layers_{table} SET code = %s WHERE id = %s",
        [code, row.pk],
    )
    assert model.objects.get(pk=row.pk).code == row.code


def test_raw_sql_cannot_attach_a_worker_twice(places):
    worker = Worker.objects.create(name="刘洋", role=Worker.Role.VOLUNTEER, grid=places["grid"])
    raw_refused(
        "UPDATE layers_worker SET building_id = %s WHERE id = %s",
        [places["building"].pk, worker.pk],
    )
    raw_refused("UPDATE layers_worker SET grid_id = NULL WHERE id = %s", [worker.pk])
    worker.refresh_from_db()
    assert (worker.grid_id, worker.building_id) == (places["grid"].pk, None)

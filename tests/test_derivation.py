"""The derivation triggers of migration 0002: buildings -> parcels -> micro-grids and grids.

The town used here (offsets in ~metres east/north of the origin):

    y=200 +-------+-------+---------+---------+
          |  p2   |  p4   |         |         |
          |  b2   |       |   p5    |   p6    |
    y=100 +-------+-------+   b5    |         |
          |  p1   |  p3   |         |         |
          |  b1   | b3 b4 |         |         |
    y=0   +-------+-------+---------+---------+
          0      100     200       300       400
          |-- M1 -|-- M2 -|
          |----- G1 ------|------- G2 --------|

Households typed on buildings: b1 40, b2 25, b3 30, b4 12, b5 60.
"""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from layers.models import Building, GeomSource, LoadStatus, MicroGrid, Parcel
from tests.factories import (
    area_m2,
    box,
    building_make,
    community_make,
    grid_make,
    hierarchy_make,
    microgrid_make,
    multi,
    parcel_make,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    c = hierarchy_make()
    g1, g2 = grid_make(community=c, seq=1), grid_make(community=c, seq=2)
    m1, m2 = microgrid_make(grid=g1, seq=1), microgrid_make(grid=g1, seq=2)
    p = {
        1: parcel_make(community=c, extent=(0, 0, 100, 100), grid=g1, micro_grid=m1),
        2: parcel_make(community=c, extent=(0, 100, 100, 200), grid=g1, micro_grid=m1),
        3: parcel_make(community=c, extent=(100, 0, 200, 100), grid=g1, micro_grid=m2),
        4: parcel_make(community=c, extent=(100, 100, 200, 200), grid=g1, micro_grid=m2),
        5: parcel_make(community=c, extent=(200, 0, 300, 200), grid=g2),
        6: parcel_make(community=c, extent=(300, 0, 400, 200), grid=g2),
    }
    b = {
        1: building_make(community=c, seq=1, extent=(10, 10, 40, 40), households=40),
        2: building_make(community=c, seq=2, extent=(10, 110, 40, 140), households=25),
        3: building_make(community=c, seq=3, extent=(110, 10, 140, 40), households=30),
        4: building_make(community=c, seq=4, extent=(150, 50, 190, 90), households=12),
        5: building_make(community=c, seq=5, extent=(210, 10, 260, 60), households=60),
    }
    return SimpleNamespace(community=c, g1=g1, g2=g2, m1=m1, m2=m2, p=p, b=b)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def totals(obj) -> tuple[int, int]:
    row = fresh(obj)
    return row.households, row.building_count


def union_area_m2(parcels) -> float:
    geoms = [fresh(p).geom for p in parcels]
    u = geoms[0]
    for g in geoms[1:]:
        u = u.union(g)
    return area_m2(u)


def assert_geom_is_union(unit, parcels):
    """The unit's polygon is exactly the union of these parcels (areas in m², 1 cm² apart)."""
    geom = fresh(unit).geom
    expected = union_area_m2(parcels)
    assert area_m2(geom) == pytest.approx(expected, abs=0.01)
    u = fresh(parcels[0]).geom
    for p in parcels[1:]:
        u = u.union(fresh(p).geom)
    assert area_m2(geom.sym_difference(u)) < 0.01


def point_on_surface_covered_by(building, parcels) -> list[int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT p.id FROM layers_parcel p, layers_building b "
            "WHERE b.id = %s AND p.id = ANY(%s) "
            "AND ST_Covers(p.geom, ST_PointOnSurface(b.geom)) ORDER BY p.id",
            [building.pk, [p.pk for p in parcels]],
        )
        return [r[0] for r in cur.fetchall()]


# --- totals -------------------------------------------------------------------------------------


def test_each_building_lands_in_the_parcel_holding_it(town):
    expected = {1: 1, 2: 2, 3: 3, 4: 3, 5: 5}
    assert {k: fresh(b).parcel_id for k, b in town.b.items()} == {
        k: town.p[v].pk for k, v in expected.items()
    }


def test_parcel_totals_are_the_sums_of_their_buildings(town):
    got = {k: totals(p) for k, p in town.p.items()}
    assert got == {1: (40, 1), 2: (25, 1), 3: (42, 2), 4: (0, 0), 5: (60, 1), 6: (0, 0)}


def test_unit_totals_are_the_sums_of_their_parcels(town):
    assert totals(town.m1) == (65, 2)
    assert totals(town.m2) == (42, 2)
    assert totals(town.g1) == (107, 4)
    assert totals(town.g2) == (60, 1)
    # ... and agree with the buildings counted directly.
    for unit, field in ((town.g1, "parcel__grid"), (town.m2, "parcel__micro_grid")):
        rows = Building.objects.filter(**{field: unit})
        assert totals(unit) == (sum(rows.values_list("households", flat=True)), rows.count())


def test_grid_and_micro_grid_polygons_are_the_unions_of_their_parcels(town):
    p = town.p
    assert_geom_is_union(town.g1, [p[1], p[2], p[3], p[4]])
    assert_geom_is_union(town.g2, [p[5], p[6]])
    assert_geom_is_union(town.m1, [p[1], p[2]])
    assert_geom_is_union(town.m2, [p[3], p[4]])
    # Shared edges dissolve: one polygon, no holes, no slivers between the parcels.
    g1 = fresh(town.g1).geom
    assert g1.geom_type == "MultiPolygon" and len(g1) == 1 and len(g1[0]) == 1
    assert 39000 < area_m2(g1) < 41000


def test_moving_a_parcel_moves_its_households_and_its_ground(town):
    p3 = fresh(town.p[3])
    p3.grid, p3.micro_grid = town.g2, None
    p3.save()
    assert totals(town.g1) == (65, 2)
    assert totals(town.g2) == (102, 3)
    assert totals(town.m2) == (0, 0)
    assert totals(town.m1) == (65, 2)
    assert_geom_is_union(town.g1, [town.p[1], town.p[2], town.p[4]])
    assert_geom_is_union(town.g2, [town.p[3], town.p[5], town.p[6]])
    assert_geom_is_union(town.m2, [town.p[4]])
    centre = p3.geom.point_on_surface
    assert not fresh(town.g1).geom.intersects(centre)
    assert fresh(town.g2).geom.intersects(centre)


def test_a_grid_left_without_parcels_has_no_polygon(town):
    for k in (5, 6):
        p = fresh(town.p[k])
        p.grid = None
        p.save()
    g2 = fresh(town.g2)
    assert g2.geom is None
    assert (g2.households, g2.building_count) == (0, 0)


def test_deleting_a_building_updates_every_total(town):
    town.b[4].delete()
    assert totals(town.p[3]) == (30, 1)
    assert totals(town.m2) == (30, 1)
    assert totals(town.g1) == (95, 3)
    assert totals(town.g2) == (60, 1)


def test_retyping_households_on_a_building_updates_every_total(town):
    b = fresh(town.b[5])
    b.households = 75
    b.save()
    assert totals(town.p[5]) == (75, 1)
    assert totals(town.g2) == (75, 1)
    assert totals(town.g1) == (107, 4)


def test_editing_a_building_right_after_creating_it_keeps_its_parcel(town):
    # The instance create() returns never saw the parcel the trigger chose (parcel_id None):
    # saving it again must not cut the building loose from its parcel.
    b = building_make(community=town.community, seq=9, extent=(120, 120, 150, 150), households=33)
    assert b.parcel_id is None
    b.households = 34
    b.save()
    assert fresh(b).parcel_id == town.p[4].pk
    assert totals(town.p[4]) == (34, 1)
    assert totals(town.g1) == (141, 5)


def test_moving_a_footprint_moves_the_building_to_the_parcel_now_holding_it(town):
    b = fresh(town.b[4])
    b.geom = box(150, 150, 190, 190)  # from p3 to p4
    b.save()
    assert fresh(b).parcel_id == town.p[4].pk
    assert totals(town.p[3]) == (30, 1)
    assert totals(town.p[4]) == (12, 1)
    assert totals(town.m2) == (42, 2)  # both parcels are in M2


def test_a_stale_unit_saved_later_does_not_overwrite_what_the_triggers_derived(town):
    stale_grid, stale_mg, stale_parcel = fresh(town.g1), fresh(town.m1), fresh(town.p[1])
    building_make(community=town.community, seq=9, extent=(60, 60, 80, 80), households=8)
    p4 = fresh(town.p[4])
    p4.grid, p4.micro_grid = town.g2, None
    p4.save()
    for obj in (stale_grid, stale_mg, stale_parcel):
        obj.households = 999  # even typed in on purpose
        obj.save()
    assert totals(town.p[1]) == (48, 2)
    assert totals(town.m1) == (73, 3)
    assert totals(town.g1) == (115, 5)
    assert_geom_is_union(town.g1, [town.p[1], town.p[2], town.p[3]])
    assert fresh(town.g1).name == stale_grid.name


# --- the parcel of a building -------------------------------------------------------------------


def test_a_building_gets_the_parcel_holding_its_point_on_surface(town):
    # The footprint straddles the p1|p3 edge; its point on surface (x=110) is in p3.
    b = building_make(community=town.community, seq=9, extent=(90, 20, 130, 40), households=5)
    assert point_on_surface_covered_by(b, [town.p[1], town.p[3]]) == [town.p[3].pk]
    b.refresh_from_db()
    assert b.parcel_id == town.p[3].pk
    assert totals(town.p[3]) == (47, 3)


def test_a_building_outside_every_parcel_has_none_and_counts_nowhere(town):
    town.p[6].delete()
    b = building_make(community=town.community, seq=9, extent=(320, 20, 360, 60), households=70)
    assert fresh(b).parcel_id is None
    assert totals(town.g2) == (60, 1)


def test_a_point_on_a_shared_edge_goes_to_the_lower_parcel_id(town):
    # 95..105 straddles the p2|p4 edge at x=100: its point on surface is exactly on it.
    p2, p4 = town.p[2], town.p[4]
    assert p2.pk < p4.pk
    twins = [
        building_make(community=town.community, seq=s, extent=(95, 120, 105, 130), households=1)
        for s in (9, 10, 11)
    ]
    assert point_on_surface_covered_by(twins[0], [p2, p4]) == [p2.pk, p4.pk]
    assert {fresh(b).parcel_id for b in twins} == {p2.pk}


def test_the_shared_edge_tie_break_is_by_id_not_by_position():
    """Same edge, but the eastern parcel was created first: it wins, so the rule is the id."""
    c = hierarchy_make()
    east = parcel_make(community=c, extent=(100, 0, 200, 100))
    west = parcel_make(community=c, extent=(0, 0, 100, 100))
    b = building_make(community=c, seq=1, extent=(90, 40, 110, 60), households=1)
    assert point_on_surface_covered_by(b, [east, west]) == sorted([east.pk, west.pk])
    assert fresh(b).parcel_id == east.pk


def test_a_parcel_is_looked_for_in_the_building_own_community_only(town):
    street = town.community.street
    # A neighbouring community drawn over the same ground (an overlap the rules would report).
    other = community_make(street=street, code=street.code + "002", extent=(0, 0, 100, 100))
    b = building_make(community=other, seq=1, extent=(10, 60, 30, 80), households=3)
    assert fresh(b).parcel_id is None
    assert totals(town.p[1]) == (40, 1)


# --- the composite key: a parcel's micro-grid lies in the parcel's grid -------------------------


def test_raw_sql_cannot_put_a_parcel_in_another_grid_than_its_micro_grid(town):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE layers_parcel SET grid_id = %s WHERE id = %s", [town.g2.pk, town.p[1].pk]
        )
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert fresh(town.p[1]).grid_id == town.g1.pk
    assert totals(town.g1) == (107, 4)


def test_the_composite_key_is_checked_at_commit_so_a_transaction_may_pass_through(town):
    # Deferred: inconsistent between two statements, consistent when checked.
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE layers_parcel SET grid_id = %s WHERE id = %s", [town.g2.pk, town.p[1].pk]
        )
        cur.execute("UPDATE layers_parcel SET micro_grid_id = NULL WHERE id = %s", [town.p[1].pk])
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert (fresh(town.p[1]).grid_id, fresh(town.p[1]).micro_grid_id) == (town.g2.pk, None)
    assert totals(town.g2) == (100, 2)
    assert totals(town.m1) == (25, 1)


def test_raw_sql_cannot_give_a_parcel_a_micro_grid_without_a_grid(town):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE layers_parcel SET grid_id = NULL WHERE id = %s", [town.p[1].pk])
    assert fresh(town.p[1]).grid_id == town.g1.pk


def test_moving_a_micro_grid_to_another_grid_carries_its_parcels(town):
    MicroGrid.objects.filter(pk=town.m2.pk).update(grid=town.g2, code=town.g2.code + "001")
    assert {fresh(town.p[k]).grid_id for k in (3, 4)} == {town.g2.pk}
    assert totals(town.g1) == (65, 2)
    assert totals(town.g2) == (102, 3)
    assert totals(town.m2) == (42, 2)
    assert_geom_is_union(town.g1, [town.p[1], town.p[2]])
    assert_geom_is_union(town.g2, [town.p[3], town.p[4], town.p[5], town.p[6]])
    assert_geom_is_union(town.m2, [town.p[3], town.p[4]])


# --- freehand layouts ---------------------------------------------------------------------------


def test_a_freehand_grid_keeps_its_own_polygon_while_its_totals_follow_the_parcels(town):
    drawn = multi(box(200, 0, 400, 190))  # not the parcels' outline: 10 m short at the top
    g2 = fresh(town.g2)
    g2.geom_source, g2.geom = GeomSource.FREEHAND, drawn
    g2.save()
    building_make(community=town.community, seq=9, extent=(310, 10, 350, 50), households=50)
    p4 = fresh(town.p[4])
    p4.grid, p4.micro_grid = town.g2, None
    p4.save()
    g2 = fresh(town.g2)
    assert g2.geom.equals_exact(drawn, tolerance=0)
    assert (g2.households, g2.building_count) == (110, 2)
    # The parcel-derived grid next door still follows its parcels.
    assert_geom_is_union(town.g1, [town.p[1], town.p[2], town.p[3]])


# --- load bands ---------------------------------------------------------------------------------


def test_load_status_uses_the_default_bands(town):
    assert fresh(town.g1).load_status == LoadStatus.UNDER  # 107 < 300
    assert fresh(town.m1).load_status == LoadStatus.OK  # 30 <= 65 <= 100
    building_make(community=town.community, seq=9, extent=(120, 120, 160, 160), households=300)
    assert fresh(town.g1).load_status == LoadStatus.OK  # 407
    assert fresh(town.m2).load_status == LoadStatus.OVER  # 342 > 100


@pytest.mark.parametrize(
    ("lo", "hi", "status"),
    [
        (300, 500, LoadStatus.UNDER),
        (108, 500, LoadStatus.UNDER),
        (107, 500, LoadStatus.OK),  # bands are inclusive
        (50, 107, LoadStatus.OK),
        (50, 106, LoadStatus.OVER),
    ],
)
def test_grid_load_status_follows_the_band_settings(town, lo, hi, status):
    g1 = fresh(town.g1)
    with override_settings(GRIDATLAS_GRID_HOUSEHOLDS_MIN=lo, GRIDATLAS_GRID_HOUSEHOLDS_MAX=hi):
        assert g1.load_status == status


@pytest.mark.parametrize(
    ("lo", "hi", "status"),
    [
        (30, 100, LoadStatus.OK),
        (66, 100, LoadStatus.UNDER),
        (30, 64, LoadStatus.OVER),
    ],
)
def test_micro_grid_load_status_follows_its_own_band_settings(town, lo, hi, status):
    m1 = fresh(town.m1)
    with override_settings(
        GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN=lo,
        GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX=hi,
        GRIDATLAS_GRID_HOUSEHOLDS_MIN=0,
        GRIDATLAS_GRID_HOUSEHOLDS_MAX=0,
    ):
        assert m1.load_status == status


def test_totals_typed_in_at_creation_are_ignored():
    c = hierarchy_make()
    g = grid_make(community=c, seq=1, households=999)
    m = microgrid_make(grid=g, seq=1, households=77)
    p = Parcel.objects.create(
        community=c, grid=g, micro_grid=m, geom=box(0, 0, 50, 50), households=555, building_count=9
    )
    assert totals(fresh(p)) == (0, 0)
    assert totals(fresh(g)) == (0, 0)
    assert totals(fresh(m)) == (0, 0)


def test_a_new_parcel_claims_the_buildings_it_covers():
    c = hierarchy_make()
    g = grid_make(community=c, seq=1)
    b = building_make(community=c, seq=1, extent=(10, 10, 40, 40), households=33)
    assert fresh(b).parcel_id is None  # no parcel yet: it counts nowhere
    p = parcel_make(community=c, extent=(0, 0, 100, 100), grid=g)
    assert fresh(b).parcel_id == p.pk
    assert totals(fresh(p)) == (33, 1)
    assert totals(fresh(g)) == (33, 1)

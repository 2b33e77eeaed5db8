"""Station coverage (layers/analysis/coverage.py) on a hand-built world with known distances
(tests/analysis_world.py), the pure nearest-station search, the coverage endpoints and their
400s, and a consistency check against PostGIS on the tiny demo city."""

import sys

import numpy as np
import pytest
from django.db import connection

from layers.analysis import analysis_area
from layers.analysis.coverage import (
    NO_NETWORK,
    BuildingPoints,
    StationPoints,
    building_coverage,
    coverage_report,
    coverage_summary,
    nearest_straight,
    uncovered_buildings,
)
from tests.analysis_world import HOUSEHOLDS, WALK_M, analysis_world_make
from tests.factories import district_make

ALL = tuple(HOUSEHOLDS)
# Which buildings are covered, by station level and distance (walks in tests/analysis_world.py).
EXPECTED = {
    None: {
        300: {"b200", "b700", "b800"},
        500: {"b200", "b240", "b700", "b800"},
        1000: {"b200", "b240", "b450", "b700", "b800"},
    },
    ("community",): {300: {"b200"}, 500: {"b200", "b240"}, 1000: {"b200", "b240", "b450", "b700"}},
    ("xiaoqu",): {300: {"b700", "b800"}, 500: {"b700", "b800"}, 1000: set(ALL) - {"b1700"}},
    ("street",): {300: set(), 500: set(), 1000: set()},
}


@pytest.fixture
def world(db):
    return analysis_world_make()


def covered_keys(world, cov) -> set[str]:
    key_of = {b.id: k for k, b in world.buildings.items()}
    return {key_of[int(i)] for i in cov.building_id[cov.covered]}


def hh(keys) -> int:
    return sum(HOUSEHOLDS[k] for k in keys)


# --- the selector ---------------------------------------------------------------------------------
@pytest.mark.parametrize("levels", list(EXPECTED))
@pytest.mark.parametrize("distance", [300, 500, 1000])
def test_exactly_the_expected_buildings_are_covered(world, levels, distance):
    cov = building_coverage(distance_m=distance, levels=levels)
    assert covered_keys(world, cov) == EXPECTED[levels][distance]
    assert cov.households_covered == hh(EXPECTED[levels][distance])
    assert cov.households_total == hh(ALL)


@pytest.mark.django_db
def test_arrays_are_aligned_and_walks_use_the_detour_factor(world, settings):
    cov = building_coverage(distance_m=500)
    n = len(world.buildings)
    for name in ("building_id", "households", "grid_id", "x_m", "lon", "distance_m", "covered"):
        assert len(getattr(cov, name)) == n
    assert list(cov.building_id) == sorted(cov.building_id)
    by_id = {b.id: k for k, b in world.buildings.items()}
    for i, bid in enumerate(cov.building_id):
        key = by_id[int(bid)]
        assert cov.distance_m[i] == pytest.approx(WALK_M[key], abs=0.05)
        assert cov.households[i] == HOUSEHOLDS[key]
        station = "S1" if key in ("b200", "b240") else "S2"
        assert cov.nearest_station_id[i] == world.stations[station].id
    b800 = list(cov.building_id).index(world.buildings["b800"].id)
    assert cov.grid_id[b800] == -1  # its parcel is in no grid
    assert cov.community_id[b800] == world.b.id and cov.street_id[b800] == world.street1.id
    # The walk is the straight line times the factor: a factor of 1 covers b240 at 300 m.
    settings.GRIDATLAS_WALK_DETOUR_FACTOR = 1.0
    assert "b240" in covered_keys(world, building_coverage(distance_m=300))


@pytest.mark.django_db
def test_no_station_of_a_level_leaves_every_building_uncovered_with_no_nearest(world):
    cov = building_coverage(distance_m=1000, levels=("street",))
    assert not cov.covered.any()
    assert (cov.nearest_station_id == -1).all() and np.isinf(cov.distance_m).all()


@pytest.mark.parametrize("by", ["district", "street", "community", "grid"])
@pytest.mark.parametrize("levels", list(EXPECTED))
@pytest.mark.parametrize("distance", [300, 500, 1000])
def test_rows_add_up_to_the_total_for_every_level_and_division(world, by, levels, distance):
    rows = coverage_summary(distance_m=distance, by=by, levels=levels)
    *parts, total = rows
    assert total.kind == "total"
    assert total.households_total == hh(ALL)
    assert total.households_covered == hh(EXPECTED[levels][distance])
    for r in rows:
        assert r.households_covered + r.households_uncovered == r.households_total
    for field in ("households_total", "households_covered", "households_uncovered"):
        assert sum(getattr(r, field) for r in parts) == getattr(total, field)
    assert sum(r.buildings_uncovered for r in parts) == total.buildings_uncovered


@pytest.mark.django_db
def test_rows_by_community_and_by_grid_at_500_m(world):
    rows = {r.code: r for r in coverage_summary(distance_m=500, by="community")}
    a, b, c = rows[world.a.code], rows[world.b.code], rows[world.c.code]
    assert (a.households_total, a.households_covered, a.buildings_uncovered) == (200, 140, 1)
    assert a.percent == 70.0 and a.name == world.a.name
    assert (b.households_total, b.households_covered, b.percent) == (50, 50, 100.0)
    assert (c.households_total, c.households_covered, c.percent) == (10, 0, 0.0)
    grids = {r.code: r for r in coverage_summary(distance_m=500, by="grid")}
    assert grids[""].name == "(no grid)" and grids[""].households_total == 20  # b800
    assert grids[world.grids["B1"].code].households_covered == 30
    assert [r.kind for r in grids.values()][-1] == "total"


@pytest.mark.django_db
def test_each_station_level_alone_then_all_together(world):
    report = coverage_report(distance_m=500, by="street")
    levels = {r.code: r for r in report.by_level}
    assert list(levels) == ["street", "community", "xiaoqu", "all"]
    for key, r in levels.items():
        expected = EXPECTED[None if key == "all" else (key,)][500]
        assert r.households_covered == hh(expected)
        assert r.households_covered + r.households_uncovered == r.households_total == hh(ALL)
    assert levels["all"].households_covered == report.total.households_covered


@pytest.mark.django_db
def test_a_street_filter_keeps_its_buildings_and_every_station(world):
    area = analysis_area(street_code=world.street2.code)
    rows = coverage_summary(distance_m=1000, by="community", area=area)
    assert [r.code for r in rows] == [world.c.code, world.street2.code]
    assert rows[-1].households_total == 10 and rows[-1].households_covered == 0
    # b1700 is 1105 m from S2, a station of the other street: counted, just too far.
    rows = coverage_summary(distance_m=1200, by="community", area=area)
    assert rows[-1].households_covered == 10
    for by, codes in (
        ("district", [world.street2.district.code]),
        ("street", [world.street2.code]),
        ("grid", [world.grids["C1"].code]),
    ):
        rows = coverage_summary(distance_m=500, by=by, area=area)
        assert [r.code for r in rows] == [*codes, world.street2.code]
        assert rows[0].households_total == rows[-1].households_total == 10
    whole = analysis_area(district_code=world.street1.district.code)
    assert coverage_summary(distance_m=500, by="district", area=whole)[-1].households_total == 260


@pytest.mark.django_db
def test_uncovered_buildings_most_households_first_with_their_walk(world):
    result = uncovered_buildings(distance_m=300)
    assert result.total_buildings == 3 and result.total_households == 110
    codes = [r["code"] for r in result.rows]
    assert codes == [world.buildings[k].code for k in ("b450", "b240", "b1700")]
    first = result.rows[0]
    assert first["distance_m"] == pytest.approx(520.0, abs=0.1)
    assert first["nearest_station_name"] == world.stations["S2"].name
    assert first["community_code"] == world.a.code and first["xiaoqu_name"] == "杨柳小区"
    assert first["grid_code"] == world.grids["A1"].code
    assert uncovered_buildings(distance_m=300, limit=1).rows[0]["code"] == codes[0]
    none = uncovered_buildings(distance_m=300, levels=("street",))
    assert none.rows[0]["distance_m"] is None and none.rows[0]["nearest_station_id"] is None


@pytest.mark.django_db
def test_network_mode_without_a_network_says_how_to_load_one(world, monkeypatch):
    from geo.errors import BadRequest

    monkeypatch.setitem(sys.modules, "layers.analysis.network", None)  # import fails
    with pytest.raises(BadRequest, match="load_roads"):
        building_coverage(distance_m=500, mode="network")


# --- pure -----------------------------------------------------------------------------------------
def _points(xs, ys) -> BuildingPoints:
    n = len(xs)
    ids = np.arange(1, n + 1)
    z = np.zeros(n, dtype=np.int64)
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    return BuildingPoints(ids, z + 1, z, z, z, z, xs, ys, xs, ys)


def _stations(ids, xs, ys) -> StationPoints:
    n = len(ids)
    return StationPoints(
        np.asarray(ids), np.array(["community"] * n, dtype=object), np.array([""] * n, object),
        np.asarray(xs, float), np.asarray(ys, float),
    )  # fmt: skip


def test_nearest_straight_breaks_ties_by_the_lowest_station_id():
    buildings = _points([0.0, 10.0], [0.0, 0.0])
    stations = _stations([9, 4, 7], [-5.0, 5.0, 30.0], [0.0, 0.0, 0.0])
    nearest, d = nearest_straight(buildings=buildings, stations=stations)
    assert list(nearest) == [4, 4] and list(d) == [5.0, 5.0]
    stations = _stations([4, 9], [5.0, -5.0], [0.0, 0.0])  # same tie, other order
    assert list(nearest_straight(buildings=buildings, stations=stations)[0]) == [4, 4]


def test_nearest_straight_with_no_stations_or_no_buildings():
    nearest, d = nearest_straight(buildings=_points([1.0], [1.0]), stations=_stations([], [], []))
    assert list(nearest) == [-1] and np.isinf(d).all()
    nearest, d = nearest_straight(buildings=_points([], []), stations=_stations([1], [0], [0]))
    assert len(nearest) == len(d) == 0


# --- endpoints ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_coverage_endpoint_answers_rows_total_and_levels(client, world):
    r = client.get("/api/analysis/coverage", {"distance": "500", "by": "community"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["query"]["distance_m"] == 500 and body["query"]["by"] == "community"
    assert body["total"]["households_covered"] == 190
    assert [row["code"] for row in body["rows"]] == [world.a.code, world.b.code, world.c.code]
    assert len(body["by_level"]) == 4
    assert world.a.name.encode() in r.content  # UTF-8, not \u escapes
    r = client.get("/api/analysis/coverage", {"distance": "500", "level": "community"})
    assert r.json()["total"]["households_covered"] == 140
    r = client.get("/api/analysis/coverage", {"level": "xiaoqu,community", "distance": "1000"})
    assert r.json()["query"]["levels"] == ["xiaoqu", "community"]
    assert r.json()["total"]["households_covered"] == 250


@pytest.mark.django_db
def test_uncovered_endpoint_lists_and_counts(client, world):
    r = client.get("/api/analysis/coverage/uncovered", {"distance": "300", "limit": "2"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total_buildings"] == 3 and body["total_households"] == 110
    assert [b["code"] for b in body["buildings"]] == [
        world.buildings["b450"].code,
        world.buildings["b240"].code,
    ]
    street = client.get(
        "/api/analysis/coverage/uncovered", {"distance": "300", "street": world.street2.code}
    ).json()
    assert [b["code"] for b in street["buildings"]] == [world.buildings["b1700"].code]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"distance": "abc"}, "distance must be a number"),
        ({"distance": "0"}, "out of range"),
        ({"distance": "-300"}, "out of range"),
        ({"distance": "nan"}, "out of range"),
        ({"distance": "99999"}, "out of range"),
        ({"by": "city"}, "by must be one of"),
        ({"mode": "flying"}, "mode must be one of"),
        ({"level": "palace"}, "level must be one or more of"),
        ({"level": "community,palace"}, "palace"),
        ({"district": "42"}, "6-digit district code"),
        ({"street": "abcdefghi"}, "9-digit street code"),
        ({"limit": "0"}, "limit must be a whole number"),
        ({"limit": "ten"}, "limit must be a whole number"),
    ],
)
@pytest.mark.django_db
def test_bad_parameters_are_400_with_a_message(client, params, message):
    for url in ("/api/analysis/coverage", "/api/analysis/coverage/uncovered"):
        r = client.get(url, params)
        assert r.status_code == 400, (url, params)
        assert message in r.json()["error"]


@pytest.mark.django_db
def test_unknown_codes_are_404_and_a_mismatched_pair_400(client, world):
    r = client.get("/api/analysis/coverage", {"street": "420199009"})
    assert r.status_code == 404 and "no street" in r.json()["error"]
    r = client.get("/api/analysis/coverage", {"district": "420198"})
    assert r.status_code == 404
    district_make(code="420198", extent=(5000, 5000, 6000, 6000))
    r = client.get("/api/analysis/coverage", {"district": "420198", "street": world.street1.code})
    assert r.status_code == 400 and "lies in district 420199" in r.json()["error"]
    r = client.get("/api/analysis/coverage", {"mode": "network"})
    assert r.status_code in (400, 200)  # 200 once a road network is there; never a 500


@pytest.mark.django_db
def test_network_mode_endpoint_is_400_without_a_network(client, world, monkeypatch):
    monkeypatch.setitem(sys.modules, "layers.analysis.network", None)
    r = client.get("/api/analysis/coverage", {"mode": "network"})
    assert r.status_code == 400 and r.json()["error"] == NO_NETWORK


# --- the tiny demo city: against PostGIS ----------------------------------------------------------


NEAREST_SQL = """
SELECT b.id,
       (SELECT min(ST_Distance(ST_Transform(ST_PointOnSurface(b.geom), %(srid)s),
                               ST_Transform(s.geom, %(srid)s)))
          FROM layers_servicestation s)
  FROM layers_building b ORDER BY b.id"""


@pytest.mark.django_db
def test_tiny_city_distances_equal_postgis_and_everything_adds_up(tiny_city, settings):
    from geo.srid import metric_srid

    cov = building_coverage(distance_m=500)
    with connection.cursor() as cur:
        cur.execute(NEAREST_SQL, {"srid": metric_srid()})
        expected = np.array([d for _, d in cur.fetchall()])
    assert len(cov.building_id) == len(expected) > 0
    factor = settings.GRIDATLAS_WALK_DETOUR_FACTOR
    assert np.allclose(cov.distance_m / factor, expected, atol=0.01)
    assert (cov.covered == (expected * factor <= 500)).all()
    for distance in (300, 500, 1000):
        report = coverage_report(distance_m=distance, by="grid")
        rows, total = report.rows, report.total
        assert sum(r.households_total for r in rows) == total.households_total
        assert sum(r.households_covered for r in rows) == total.households_covered
        for r in [*rows, total, *report.by_level]:
            assert r.households_covered + r.households_uncovered == r.households_total
        assert report.by_level[-1].households_covered == total.households_covered
        each = [r.households_covered for r in report.by_level[:-1]]
        assert max(each) <= total.households_covered <= sum(each)
        grids = {r.code for r in rows}
        assert {g for (g,) in _grid_codes()} <= grids


def _grid_codes():
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM layers_grid")
        return cur.fetchall()


@pytest.mark.django_db
def test_tiny_city_network_walks_are_never_shorter_than_the_straight_line(tiny_city, settings):
    straight = building_coverage(distance_m=1000)
    network = building_coverage(distance_m=1000, mode="network")
    assert (network.building_id == straight.building_id).all()
    reached = np.isfinite(network.distance_m)
    assert reached.any() and (network.covered == (network.distance_m <= 1000)).all()
    # Along the roads (snap steps included) is at least as far as the crow flies.
    crow = straight.distance_m / settings.GRIDATLAS_WALK_DETOUR_FACTOR
    assert (network.distance_m[reached] >= crow[reached] - 0.01).all()
    assert (network.nearest_station_id[reached] >= 0).all()
    assert (network.nearest_station_id[~reached] == -1).all()
    levels = coverage_report(distance_m=500, mode="network", by="community").by_level
    for r in levels:
        assert r.households_covered + r.households_uncovered == r.households_total

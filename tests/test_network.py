"""Walking distances along the road network: a hand-built river crossing with known answers, the
snapping and cutoff limits, and the demo city's roads."""

import functools
import json

import networkx as nx
import numpy as np
import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point, Polygon
from pyproj import Transformer

from fixtures.demo_city.sample import plan_dump, plan_read
from geo.errors import BadRequest
from geo.srid import STORAGE_SRID, metric_srid
from layers.analysis.network import (
    graph_build,
    points_snap,
    roads_loaded,
    walkable_lines,
    walking_distances,
)
from layers.models import Building, Road, ServiceStation
from tests.demo_city_support import city_loaded, plan_make
from tests.factories import ORIGIN, community_make, district_make, street_make

# The scene, in metres of the metric CRS east and north of the factories' ORIGIN:
#
#   y=180   -100 ═══════════ north bank road ═══════════════ 700     ★ station N at (0, 190)
#                   ║ x=100 (expressway,      ║ x=600 (bridge,
#                   ║  not walkable)          ║  walkable)            ~~~ river ~~~
#   y=0     -100 ═══════════ south bank road ═══════════════ 700     ■ building at (0, -10)
#
# Straight from the building to station N: 200 m. On foot: 10 m onto the south road, 600 m east,
# 180 m over the bridge, 600 m back west, 10 m to the station = 1,400 m.
WALK_ACROSS_M = 1400.0


@functools.cache
def _frame() -> tuple[float, float, Transformer]:
    ox, oy = Transformer.from_crs(STORAGE_SRID, metric_srid(), always_xy=True).transform(*ORIGIN)
    return ox, oy, Transformer.from_crs(metric_srid(), STORAGE_SRID, always_xy=True)


def to_lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    ox, oy, back = _frame()
    return back.transform(ox + x_m, oy + y_m)


def road(coords, *, walkable=True, kind="secondary") -> Road:
    line = LineString([to_lonlat(*c) for c in coords], srid=STORAGE_SRID)
    return Road.objects.create(
        kind=kind, walkable=walkable, geom=MultiLineString(line, srid=STORAGE_SRID)
    )


@pytest.fixture
def street():
    return street_make(district=district_make())


@pytest.fixture
def community(street):
    return community_make(street=street, extent=(-1200, -1200, 1200, 1200))


@pytest.fixture
def river_scene():
    road([(-100, 0), (700, 0)])
    road([(-100, 180), (700, 180)])
    road([(600, 0), (600, 180)], kind="primary")
    road([(100, 0), (100, 180)], kind="trunk", walkable=False)


def building_at(community, seq: int, x: float, y: float) -> Building:
    ring = [to_lonlat(x + dx, y + dy) for dx, dy in ((-5, -5), (5, -5), (5, 5), (-5, 5), (-5, -5))]
    return Building.objects.create(
        code=f"{community.code}{seq:04d}",
        name=f"{seq}栋",
        community=community,
        geom=Polygon(ring, srid=STORAGE_SRID),
        households=50,
    )


def station_at(street, name: str, x: float, y: float) -> ServiceStation:
    return ServiceStation.objects.create(
        name=name, level="street", street=street, geom=Point(*to_lonlat(x, y), srid=STORAGE_SRID)
    )


def walk(buildings, stations=None, *, max_distance_m=5000.0):
    return walking_distances(
        building_ids=np.array([b.id for b in buildings]),
        station_ids=None if stations is None else np.array([s.id for s in stations]),
        max_distance_m=max_distance_m,
    )


@pytest.mark.django_db
def test_the_walk_goes_round_by_the_bridge(river_scene, community, street):
    b = building_at(community, 1, 0, -10)
    north = station_at(street, "北岸驿站", 0, 190)
    d = walk([b])
    assert d.building_id.tolist() == [b.id]
    assert d.distance_m[0] == pytest.approx(WALK_ACROSS_M, abs=1.0)
    assert d.station_id.tolist() == [north.id]
    # Not over the expressway bridge at x=100 (10 + 100 + 180 + 100 + 10 = 400 m).
    Road.objects.filter(kind="trunk").update(walkable=True)
    assert walk([b]).distance_m[0] == pytest.approx(400.0, abs=1.0)


@pytest.mark.django_db
def test_the_nearest_station_on_foot_wins_over_the_nearest_in_a_straight_line(
    river_scene, community, street
):
    b = building_at(community, 1, 0, -10)
    north = station_at(street, "北岸驿站", 0, 190)  # 200 m away, 1,400 m on foot
    east = station_at(street, "南岸驿站", 690, -10)  # 690 m away, 710 m on foot
    d = walk([b])
    assert d.station_id.tolist() == [east.id]
    assert d.distance_m[0] == pytest.approx(710.0, abs=1.0)
    # Only the stations asked for count.
    d = walk([b], [north])
    assert (d.station_id[0], d.distance_m[0]) == (north.id, pytest.approx(WALK_ACROSS_M, abs=1.0))


@pytest.mark.django_db
def test_a_station_on_the_buildings_own_road_is_walked_to_directly(river_scene, community, street):
    b = building_at(community, 1, 0, -10)
    s = station_at(street, "近邻驿站", 300, -10)  # same road segment, between two junctions
    assert walk([b]).distance_m[0] == pytest.approx(320.0, abs=1.0)
    assert walk([b]).station_id[0] == s.id


@pytest.mark.django_db
def test_the_cutoff_is_respected(river_scene, community, street):
    b = building_at(community, 1, 0, -10)
    station_at(street, "北岸驿站", 0, 190)
    within = walk([b], max_distance_m=WALK_ACROSS_M + 1)
    beyond = walk([b], max_distance_m=WALK_ACROSS_M - 1)
    assert within.distance_m[0] == pytest.approx(WALK_ACROSS_M, abs=1.0)
    assert beyond.distance_m[0] == np.inf and beyond.station_id[0] == -1


@pytest.mark.django_db
def test_points_farther_than_the_snap_maximum_are_unreachable(
    river_scene, community, street, settings
):
    settings.GRIDATLAS_ROAD_SNAP_MAX_M = 100.0
    near = building_at(community, 1, 0, -10)
    far = building_at(community, 2, 300, -150)  # 150 m from the nearest road
    station_at(street, "北岸驿站", 0, 190)
    d = walk([far, near])
    assert d.building_id.tolist() == [far.id, near.id]  # in the order asked
    assert d.distance_m[0] == np.inf and d.station_id[0] == -1
    assert d.distance_m[1] == pytest.approx(WALK_ACROSS_M, abs=1.0)
    # A station off the network is no source: the near building still walks over the river to
    # the north station, not 10 + 300 + 140 m to this one.
    off = station_at(street, "远处驿站", 300, -140)
    d = walk([far, near])
    assert d.distance_m[1] == pytest.approx(WALK_ACROSS_M, abs=1.0)
    # With a longer snap both step onto the south road.
    settings.GRIDATLAS_ROAD_SNAP_MAX_M = 160.0
    d = walk([far, near])
    assert d.station_id.tolist() == [off.id, off.id]
    assert d.distance_m[0] == pytest.approx(150 + 140, abs=1.0)
    assert d.distance_m[1] == pytest.approx(10 + 300 + 140, abs=1.0)


@pytest.mark.django_db
def test_unknown_buildings_and_no_stations_are_unreachable(river_scene, community, street):
    b = building_at(community, 1, 0, -10)
    d = walk([b])  # no station at all
    assert d.distance_m.tolist() == [np.inf] and d.station_id.tolist() == [-1]
    station_at(street, "北岸驿站", 0, 190)
    d = walking_distances(building_ids=np.array([b.id + 1000, b.id]), max_distance_m=5000.0)
    assert d.distance_m[0] == np.inf and d.distance_m[1] == pytest.approx(WALK_ACROSS_M, abs=1)
    d = walking_distances(building_ids=np.array([], dtype=np.int64), max_distance_m=5000.0)
    assert len(d.building_id) == len(d.distance_m) == len(d.station_id) == 0


@pytest.mark.django_db
def test_no_walkable_roads_is_a_clear_error(community, street):
    assert not roads_loaded()
    with pytest.raises(BadRequest, match="no road network loaded: python manage.py load_roads"):
        walking_distances(building_ids=np.array([1]), max_distance_m=500.0)
    road([(0, 0), (100, 0)], walkable=False, kind="trunk")
    assert not roads_loaded()
    road([(0, 0), (0, 100)])
    assert roads_loaded()


def test_lines_that_cross_or_nearly_meet_are_joined():
    # Two crossing lines (no vertex at the crossing) and one ending 1 mm short of another.
    import shapely

    lines = np.array(
        [
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(50, -50), (50, 50)]),
            shapely.LineString([(100.001, -50), (100.001, 50)]),
        ]
    )
    net = graph_build(lines)
    assert nx.is_connected(net.graph)
    # Junctions (50, 0) and (100, 0), and the five loose ends.
    assert net.graph.number_of_nodes() == 7
    assert net.edge_length_m.round(2).tolist() == [50.0] * 6


# --- the demo city ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_city(django_db_setup, django_db_blocker):
    with city_loaded(django_db_blocker, plan_make(scale="small", seed=42)) as plan:
        yield plan


@pytest.mark.django_db
def test_the_demo_city_has_roads_a_river_and_bridges(small_city):
    assert roads_loaded()
    kinds = {k for k in Road.objects.values_list("kind", flat=True)}
    assert {"primary", "secondary", "residential", "trunk"} <= kinds
    assert Road.objects.filter(walkable=False).exists()  # an expressway bridge
    assert Road.objects.count() == len(small_city.roads)
    # No road touches the water except the bridges (and the shore roads along it).
    water = small_city.water.buffer(-1.0)
    crossing = [r for r in small_city.roads if r["geom"].intersects(water)]
    assert crossing and all(r["name"].endswith("长江大桥") for r in crossing)


@pytest.mark.django_db
def test_every_station_of_the_demo_city_is_reachable(small_city, settings):
    net = graph_build(walkable_lines())
    stations = list(ServiceStation.objects.all())
    to_metric = Transformer.from_crs(STORAGE_SRID, metric_srid(), always_xy=True)
    xy = np.array([to_metric.transform(s.geom.x, s.geom.y) for s in stations])
    snapped = points_snap(net, xy, max_step_m=settings.GRIDATLAS_ROAD_SNAP_MAX_M)
    assert (snapped.edge >= 0).all()
    # All on one connected network: across the river too, by the walkable bridge.
    components = {
        frozenset(nx.node_connected_component(net.graph, int(net.edge_u[e]))) for e in snapped.edge
    }
    assert len(components) == 1
    # And every building walks to some station, a long way round the river for a few.
    ids = np.array(sorted(Building.objects.values_list("id", flat=True)))
    d = walking_distances(building_ids=ids, max_distance_m=10_000.0)
    assert np.isfinite(d.distance_m).all()
    assert set(d.station_id.tolist()) <= {s.id for s in stations}


def test_samples_keep_their_roads_and_older_samples_load_with_none(tmp_path):
    plan = plan_make(scale="tiny", seed=1)
    assert plan.roads
    path = tmp_path / "tiny.json"
    plan_dump(plan, path, srid=metric_srid())
    back, _ = plan_read(path)
    assert [(r["name"], r["kind"], r["walkable"]) for r in back.roads] == [
        (r["name"], r["kind"], r["walkable"]) for r in plan.roads
    ]
    assert all(r["geom"].geom_type == "LineString" for r in back.roads)
    # A sample written before the city had roads (the committed tiny_city.json) has no key.
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["roads"]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    old, _ = plan_read(path)
    assert old.roads == [] and len(old.buildings) == len(plan.buildings)

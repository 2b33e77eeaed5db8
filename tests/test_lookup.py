"""GET /api/lookup by point on the tiny demo city: the card's parts against the database, the
shared-edge tie-break, points in no grid, stations by distance, who may see contacts, GCJ-02 and
BD-09 input, and the 400s of bad input."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from geo.chinese_crs import bd09_from_wgs84, gcj02_from_wgs84
from layers.models import Building, Grid, Worker
from layers.selectors.batch_points import point_columns


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def lookup(client, **params):
    r = client.get("/api/lookup", params)
    assert r.status_code == 200, r.content
    return r.json()


def building_with_workers():
    return (
        Building.objects.filter(parcel__micro_grid__isnull=False, xiaoqu__isnull=False)
        .select_related("parcel__grid__community__street", "parcel__micro_grid", "xiaoqu")
        .order_by("code")
        .first()
    )


@pytest.mark.django_db
def test_point_in_a_building_gets_the_whole_card(client, tiny_city, settings):
    b = building_with_workers()
    p = b.geom.point_on_surface
    body = lookup(client, lon=p.x, lat=p.y)
    card = body["card"]
    grid = b.parcel.grid
    assert card["in_grid"] is True
    assert card["grid"]["code"] == grid.code and card["grid"]["households"] == grid.households
    assert card["grid"]["load"] == str(grid.load_status)
    assert card["microgrid"]["code"] == b.parcel.micro_grid.code
    assert card["building"]["code"] == b.code and card["building"]["households"] == b.households
    assert card["xiaoqu"]["code"] == b.xiaoqu.code
    assert card["community"]["code"] == grid.community.code
    assert card["street"]["code"] == grid.community.street.code
    assert body["query"]["crs"] == "wgs84"
    assert card["nearest_grid"] is None and card["notes"] == []


@pytest.mark.django_db
def test_stations_come_nearest_first_with_true_and_walking_distance(client, tiny_city, settings):
    p = building_with_workers().geom.point_on_surface
    stations = lookup(client, lon=p.x, lat=p.y)["card"]["stations"]
    assert len(stations) == 3
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
            "::geography) AS d FROM layers_servicestation ORDER BY d LIMIT 3",
            [p.x, p.y],
        )
        expected = cur.fetchall()
    assert [s["id"] for s in stations] == [row[0] for row in expected]
    for s, (_, d) in zip(stations, expected, strict=True):
        assert s["distance_m"] == pytest.approx(d, abs=0.1)
        assert s["walk_m"] == round(s["distance_m"] * settings.GRIDATLAS_WALK_DETOUR_FACTOR)


@pytest.mark.django_db
def test_a_point_on_a_shared_edge_always_goes_to_the_lower_code(client, tiny_city):
    with connection.cursor() as cur:
        cur.execute(
            """SELECT a.code, b.code, ST_X(v.geom), ST_Y(v.geom)
                 FROM layers_grid a JOIN layers_grid b ON a.code < b.code
                      AND ST_Relate(a.geom, b.geom, 'F***1****'),
                      LATERAL ST_DumpPoints(ST_Intersection(a.geom, b.geom)) v
                WHERE ST_Covers(a.geom, v.geom) AND ST_Covers(b.geom, v.geom)
                  -- The API rounds a point to 7 decimals (~1 cm): take a vertex that rounding
                  -- keeps inside some grid (one on the community's boundary may be moved out
                  -- of every grid), and the same one every time.
                  AND EXISTS (SELECT 1 FROM layers_grid g WHERE ST_Covers(g.geom, ST_SetSRID(
                      ST_MakePoint(round(ST_X(v.geom)::numeric, 7)::float8,
                                   round(ST_Y(v.geom)::numeric, 7)::float8), 4326)))
                ORDER BY a.code, b.code, ST_X(v.geom), ST_Y(v.geom)
                LIMIT 1"""
        )
        _, _, lon, lat = cur.fetchone()
        cur.execute(
            "SELECT array_agg(code ORDER BY code) FROM layers_grid"
            " WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            [lon, lat],
        )
        covering = cur.fetchone()[0]
        cur.execute(
            "SELECT array_agg(code ORDER BY code) FROM layers_grid"
            " WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            [round(lon, 7), round(lat, 7)],
        )
        covering_as_sent = cur.fetchone()[0]  # where the API's rounded point lies
    assert len(covering) >= 2  # the vertex is on two grids (or three, at a corner)
    codes = {lookup(client, lon=lon, lat=lat)["card"]["grid"]["code"] for _ in range(5)}
    assert codes == {covering_as_sent[0]}, (covering_as_sent, codes)
    # The batch lookup breaks the tie the same way.
    assert point_columns(lons=np.array([lon]), lats=np.array([lat])).grid_code == [covering[0]]


@pytest.mark.django_db
def test_a_point_in_no_grid_names_the_nearest(client, tiny_city):
    g = Grid.objects.order_by("code").first()
    west = g.geom.extent[0]
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(ST_Extent(geom)) FROM layers_grid")
        city_west = cur.fetchone()[0]
    lon, lat = city_west - 0.01, g.geom.point_on_surface.y  # ~1 km west of every grid
    card = lookup(client, lon=lon, lat=lat)["card"]
    assert card["in_grid"] is False and card["grid"] is None
    nearest = card["nearest_grid"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT code, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
            "::geography) d FROM layers_grid ORDER BY d LIMIT 1",
            [lon, lat],
        )
        code, distance = cur.fetchone()
    assert nearest["code"] == code and nearest["distance_m"] == pytest.approx(distance, abs=0.1)
    assert 500 < nearest["distance_m"] < 5000
    assert code in card["notes"][0] and "in no grid" in card["notes"][0]
    assert west >= city_west


@pytest.mark.django_db
def test_contacts_only_for_users_with_the_permission(client, tiny_city):
    b = building_with_workers()
    p = b.geom.point_on_surface
    workers = list(Worker.objects.filter(grid=b.parcel.grid, role__in=["grid_worker", "grid_head"]))
    assert workers, "the tiny city gives every grid a worker"
    anonymous = lookup(client, lon=p.x, lat=p.y)["card"]
    assert anonymous["contacts_visible"] is False
    assert anonymous["workers"] and all(w["name"] is None for w in anonymous["workers"])
    assert workers[0].phone not in str(anonymous)

    user = get_user_model().objects.create_user("worker1", password="pw-lookup-1")
    client.force_login(user)
    assert lookup(client, lon=p.x, lat=p.y)["card"]["contacts_visible"] is False
    user.user_permissions.add(Permission.objects.get(codename="view_worker"))
    client.force_login(get_user_model().objects.get(pk=user.pk))
    card = lookup(client, lon=p.x, lat=p.y)["card"]
    assert card["contacts_visible"] is True
    shown = {(w["role"], w["name"], w["phone"]) for w in card["workers"]}
    assert {(w.role, w.name, w.phone) for w in workers} <= shown


@pytest.mark.django_db
@pytest.mark.parametrize("convert, crs", [(gcj02_from_wgs84, "gcj02"), (bd09_from_wgs84, "bd09")])
def test_gcj02_and_bd09_points_find_the_same_building(client, tiny_city, convert, crs):
    b = building_with_workers()
    p = b.geom.point_on_surface
    lon, lat = convert(p.x, p.y)
    assert abs(lon - p.x) + abs(lat - p.y) > 0.001  # really shifted (hundreds of metres)
    body = lookup(client, lon=f"{lon:.8f}", lat=f"{lat:.8f}", crs=crs.upper())
    assert body["card"]["building"]["code"] == b.code
    assert body["query"]["wgs84_lon"] == pytest.approx(p.x, abs=1e-6)
    assert body["query"]["wgs84_lat"] == pytest.approx(p.y, abs=1e-6)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "give an address"),
        ({"lon": "114.3"}, "lat must be a number"),
        ({"lon": "abc", "lat": "30.5"}, "lon must be a number"),
        ({"lon": "114.3", "lat": "95"}, "lat=95 is out of range"),
        ({"lon": "nan", "lat": "30.5"}, "lon=nan is out of range"),
        ({"lon": "114.3", "lat": "30.5", "crs": "epsg:3857"}, "wgs84"),
        ({"q": "   "}, "q is empty"),
        ({"q": "湖" * 101}, "at most 100"),
    ],
)
def test_bad_lookups_are_400_with_a_reason(client, tiny_city, params, message):
    r = client.get("/api/lookup", params)
    assert r.status_code == 400, r.content
    assert message in r.json()["error"]

"""The city profile (geo/city_profile.py, issue 15): a district loaded far from Wuhan gets its
own city, name, Gauss-Krüger zone and opening view; two cities loaded open on one of them; a
setting overrides its field; with nothing loaded, Wuhan's values. And the lookup's nearest
station is capped (GRIDATLAS_NEAREST_STATION_MAX_M)."""

import math

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import CRS, Geod

from geo.city_profile import (
    FALLBACK_CENTRE,
    cities_loaded,
    city_profile,
    city_profile_forget,
    zoom_to_fit,
)
from geo.gk_zones import GK3_FIRST_SRID, GK3_LAST_SRID, gk3_central_meridian, gk3_zone_srid
from geo.srid import STORAGE_SRID, metric_srid
from layers.models import Community, District, ServiceStation, Street
from layers.selectors.batch_points import point_columns

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid (WGS84's differs in the 10th digit)
SHIYAN = (110.8, 32.6)  # 十堰市, 565 km west-north-west of Wuhan
WUHAN = (114.30, 30.59)


def offset(origin: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    """The point east_m, then north_m metres (geodesic) from origin (lon, lat)."""
    lon, lat, _ = GEOD.fwd(*origin, 90, east_m) if east_m else (*origin, 0)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, north_m) if north_m else (lon, lat, 0)
    return lon, lat


def square(origin, x0, y0, x1, y1) -> MultiPolygon:
    """A quadrilateral from metre offsets of origin, as a MultiPolygon in STORAGE_SRID."""
    corners = [offset(origin, x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    return MultiPolygon(Polygon([*corners, corners[0]], srid=STORAGE_SRID), srid=STORAGE_SRID)


def city_make(origin, district_codes, names, *, communities_per_district=1) -> list[Street]:
    """Districts side by side east of origin (4 km each), one street and some communities each."""
    streets = []
    for i, (code, name) in enumerate(zip(district_codes, names, strict=True)):
        x = 4000 * i
        district = District.objects.create(
            code=code, name=name, geom=square(origin, x, 0, x + 4000, 4000)
        )
        street = Street.objects.create(
            code=code + "001",
            name=f"{name}街道",
            district=district,
            geom=square(origin, x + 500, 500, x + 3500, 3500),
        )
        for k in range(communities_per_district):
            Community.objects.create(
                code=f"{street.code}{k + 1:03d}",
                name=f"{name}社区{k + 1}",
                street=street,
                geom=square(origin, x + 600 + 200 * k, 600, x + 780 + 200 * k, 800),
            )
        streets.append(street)
    city_profile_forget()
    return streets


def shiyan_make(**kw) -> list[Street]:
    return city_make(SHIYAN, ["420302", "420303"], ["茅箭区", "张湾区"], **kw)


def station_make(street: Street, lonlat, name: str) -> ServiceStation:
    return ServiceStation.objects.create(
        name=name,
        level=ServiceStation.Level.STREET,
        street=street,
        geom=Point(*lonlat, srid=STORAGE_SRID),
    )


# --- the zone formula, against PROJ ------------------------------------------------------------


def test_the_gauss_kruger_zone_formula_matches_proj():
    for srid in range(GK3_FIRST_SRID, GK3_LAST_SRID + 1):
        crs = CRS.from_epsg(srid)
        params = {p.name: p.value for p in crs.coordinate_operation.params}
        cm = params["Longitude of natural origin"]
        assert "CGCS2000" in crs.name and "3-degree Gauss-Kruger CM" in crs.name, crs.name
        assert params["False easting"] == 500_000  # no zone prefix in the eastings
        assert gk3_central_meridian(srid) == cm
        for lon in (cm - 1.49, cm, cm + 1.49):
            assert gk3_zone_srid(lon) == srid, (lon, srid)
    # Shiyan at 110.8°E is in CM 111E, EPSG:4546 (issue 15 guessed 4540, which is CM 93E).
    assert gk3_zone_srid(SHIYAN[0]) == 4546
    assert gk3_zone_srid(WUHAN[0]) == 4547
    assert gk3_zone_srid(120.2) == 4549  # Hangzhou: CM 120E


# --- a city far from Wuhan -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_city_far_from_wuhan_gets_its_own_profile():
    streets = shiyan_make()
    p = city_profile()
    assert (p.code, p.name, p.metric_srid) == ("4203", "十堰市", 4546)
    assert p.source == dict.fromkeys(
        ("code", "name", "centre", "zoom", "bounds", "metric_srid"), "data"
    )
    assert p.zone_label == "CGCS2000 3° Gauss-Krüger CM 111E"
    # The bounds are the streets' box; the centre is on a street (to the 6 decimals kept: 10 cm),
    # not in the gap between the two that the box's middle falls in; the view fits the box.
    w, s, e, n = p.bounds
    box = MultiPolygon(*[st.geom[0] for st in streets], srid=STORAGE_SRID).extent
    assert p.bounds == pytest.approx(box, abs=1e-6)
    assert w < p.centre[0] < e and s < p.centre[1] < n
    assert any(st.geom.buffer(2e-6).covers(Point(*p.centre, srid=STORAGE_SRID)) for st in streets)
    assert p.zoom == zoom_to_fit(p.bounds) and 11 <= p.zoom <= 14  # 11 km × 3 km of streets
    assert metric_srid() == 4546


@pytest.mark.django_db
def test_one_district_is_the_profile_code_and_name():
    city_make(SHIYAN, ["420303"], ["张湾区"])
    p = city_profile()
    assert (p.code, p.name) == ("420303", "十堰市")
    assert p.city_code == "4203"
    assert [(c.district_code, c.district_name) for c in cities_loaded()] == [("420303", "张湾区")]


@pytest.mark.django_db
def test_areas_in_the_profile_zone_are_true_to_a_hundredth_of_a_percent():
    shiyan_make()
    one_km2 = square(offset(SHIYAN, 2000, 1000), 0, 0, 1000, 1000)
    ring = one_km2[0].exterior_ring.coords
    true_m2 = abs(GEOD.polygon_area_perimeter([c[0] for c in ring], [c[1] for c in ring])[0])
    assert true_m2 == pytest.approx(1e6, rel=1e-3)

    def area_in(srid: int) -> float:
        return one_km2.transform(srid, clone=True).area

    assert area_in(metric_srid()) == pytest.approx(true_m2, rel=1e-4)
    # Wuhan's zone (CM 114E), 3.2° away, is 0.2 % off: what a hard-wired setting gave.
    assert abs(area_in(4547) / true_m2 - 1) > 1e-3


# --- two cities ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_cities_open_on_one_of_them_never_between(settings):
    shiyan = shiyan_make(communities_per_district=2)  # 4 communities
    wuhan = city_make(WUHAN, ["420102"], ["江岸区"])  # 1 community
    cities = {c.code: c for c in cities_loaded()}
    assert sorted(cities) == ["4201", "4203"]
    assert (cities["4201"].name, cities["4203"].name) == ("武汉市", "十堰市")
    assert cities["4203"].bounds[2] < cities["4201"].bounds[0]  # each city its own box

    p = city_profile()  # the most communities: Shiyan
    assert (p.code, p.bounds, p.metric_srid) == ("4203", cities["4203"].bounds, 4546)
    on = Point(*p.centre, srid=STORAGE_SRID)
    assert any(st.geom.buffer(2e-6).covers(on) for st in shiyan)

    settings.GRIDATLAS_CITY_CODE = "4201"  # the setting picks the loaded city it names
    p = city_profile()
    assert (p.code, p.name, p.metric_srid) == ("4201", "武汉市", 4547)
    assert p.bounds == cities["4201"].bounds
    assert wuhan[0].geom.buffer(2e-6).covers(Point(*p.centre, srid=STORAGE_SRID))


@pytest.mark.django_db
def test_the_map_page_names_the_loaded_city_and_its_zone(client):
    shiyan_make()
    html = client.get("/").content.decode()
    assert "十堰市" in html and "武汉市" not in html
    assert 'value="EPSG:4546"' in html and 'value="EPSG:4547"' not in html
    assert client.get("/ogc").json()["title"] == "GridAtlas · 十堰市"
    dashboard = client.get("/dashboard/").content.decode()
    assert "十堰市" in dashboard and "武汉市" not in dashboard


# --- settings and the fallback ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_setting_overrides_its_field(settings):
    shiyan_make()
    settings.GRIDATLAS_CITY_NAME = "十堰"
    settings.GRIDATLAS_METRIC_SRID = 4545
    settings.GRIDATLAS_MAP_CENTRE = (110.5, 32.5)
    settings.GRIDATLAS_MAP_ZOOM = 9.0
    p = city_profile()
    assert (p.name, p.metric_srid, p.centre, p.zoom) == ("十堰", 4545, (110.5, 32.5), 9.0)
    assert p.code == "4203" and p.source["code"] == "data"
    assert {p.source[k] for k in ("name", "metric_srid", "centre", "zoom")} == {"setting"}


@pytest.mark.django_db
def test_nothing_loaded_is_wuhan_and_says_so(settings):
    p = city_profile()
    assert (p.code, p.name, p.centre, p.zoom, p.metric_srid, p.bounds) == (
        "4201",
        "武汉市",
        FALLBACK_CENTRE,
        11.0,
        4547,
        None,
    )
    assert set(p.source.values()) == {"fallback"}
    settings.GRIDATLAS_CITY_CODE = "3301"  # an empty Hangzhou install
    settings.GRIDATLAS_MAP_CENTRE = (120.2, 30.25)
    p = city_profile()
    assert (p.code, p.name, p.metric_srid) == ("3301", "杭州市", 4549)


@pytest.mark.django_db
def test_the_profile_is_read_once_until_forgotten():
    shiyan_make()
    city_profile()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            metric_srid()
    assert len(queries) == 0
    for model in (Community, Street, District):  # not seen until forgotten (or the TTL)
        model.objects.filter(code__startswith="420303").delete()
    assert city_profile().code == "4203"
    city_profile_forget()
    assert city_profile().code == "420302"


@pytest.mark.django_db
def test_the_demo_city_keeps_wuhans_values():
    from fixtures.demo_city import city_load
    from tests.demo_city_support import plan_make

    city_load(plan=plan_make(scale="tiny", seed=1), replace=True)  # rolled back with the test
    city_profile_forget()
    p = city_profile()
    # The tiny and small demos are one district, 江岸区; the city-scale one is 13, and 4201.
    assert (p.code, p.name, p.metric_srid) == ("420102", "武汉市", 4547)
    assert p.city_code == "4201"
    assert p.centre == pytest.approx(WUHAN, abs=0.05)
    assert 14 <= p.zoom <= 16  # the tiny demo is 1 km across


# --- the nearest station, within the cap --------------------------------------------------------


@pytest.mark.django_db
def test_a_station_beyond_the_cap_is_not_the_nearest(client, settings):
    street = shiyan_make()[0]
    here = offset(SHIYAN, 1000, 1000)
    station_make(street, offset(here, 3000, 0), "近站")
    station_make(street, offset(here, 0, 8000), "远站")
    card = client.get("/api/lookup", {"lon": here[0], "lat": here[1]}).json()["card"]
    assert [s["name"] for s in card["stations"]] == ["近站"]
    assert card["stations"][0]["distance_m"] == pytest.approx(3000, abs=1)
    assert card["nearest_station_max_m"] == 5000

    settings.GRIDATLAS_NEAREST_STATION_MAX_M = 2000.0
    card = client.get("/api/lookup", {"lon": here[0], "lat": here[1]}).json()["card"]
    assert card["stations"] == [] and card["nearest_station_max_m"] == 2000
    assert "no service station within 2,000 m" in card["notes"]


@pytest.mark.django_db
def test_the_cap_holds_at_its_edge_and_in_the_batch(settings):
    street = shiyan_make()[0]
    here = offset(SHIYAN, 1000, 1000)
    station_make(street, offset(here, 4990, 0), "东站")  # inside the cap, near the box's corner
    far = offset(here, -60_000, 0)  # 60 km west: no station within 5 km
    cols = point_columns(lons=np.array([here[0], far[0]]), lats=np.array([here[1], far[1]]))
    assert cols.station_name == ["东站", ""]
    assert cols.station_distance_m[0] == pytest.approx(4990, abs=1)
    assert math.isnan(cols.station_distance_m[1])
    settings.GRIDATLAS_NEAREST_STATION_MAX_M = 4980.0
    cols = point_columns(lons=np.array([here[0]]), lats=np.array([here[1]]))
    assert cols.station_name == [""]


@pytest.mark.django_db
def test_the_lookup_page_can_say_there_is_no_station_nearby(client):
    response = client.get("/lookup/")
    # The page's strings in its language (json_script escapes them in the HTML).
    assert response.context["strings"]["noStation"] == "%(km)s 公里内没有服务站"


def test_the_opening_zoom_fits_the_box():
    # 0.35° of longitude fill ~90 % of 1024 px at zoom 11 (512-pixel tiles: 2,913 px a degree).
    assert zoom_to_fit((114.1, 30.5, 114.45, 30.7)) == pytest.approx(10.8, abs=0.2)
    assert zoom_to_fit((114.3, 30.59, 114.3, 30.59)) == 16.0  # a point: the closest allowed
    assert zoom_to_fit((73.5, 18.0, 135.0, 53.5)) == 4.0  # all of China: the widest allowed

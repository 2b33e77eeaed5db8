"""GCJ-02 and BD-09 to and from WGS84 (geo.chinese_crs): the published reference values, round
trips to the millimetre over Wuhan and over China, the size of the offsets, the outside-China rule,
arrays agreeing with single points, and the dispatcher's names and refusals. Pure maths: no
database."""

import math

import numpy as np
import pytest
from pyproj import Geod

from geo import chinese_crs as crs
from geo.errors import BadRequest

GEOD = Geod(ellps="WGS84")
ROUND_TRIP_MAX_M = 0.01  # the brief: under a centimetre (the inverses aim at 0.1 mm)


def grid(lon_min, lon_max, lat_min, lat_max, n=60) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(lon_min, lon_max, n), np.linspace(lat_min, lat_max, n))
    return lon.ravel(), lat.ravel()


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, metres."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


WUHAN = grid(114.0, 114.6, 30.4, 30.8)
# China's land from Xinjiang to Heilongjiang and Hainan to Mohe, and, further, the whole
# outside-China box less a 0.05° margin (the GCJ-02 shift is < 0.01°, so no point crosses an edge).
CHINA = grid(73.5, 135.0, 18.0, 53.5)
BOX = grid(
    crs.CHINA_LON_MIN + 0.05,
    crs.CHINA_LON_MAX - 0.05,
    crs.CHINA_LAT_MIN + 0.05,
    crs.CHINA_LAT_MAX - 0.05,
)
AREAS = {"wuhan": WUHAN, "china": CHINA, "box": BOX}

# (forward, inverse) pairs, for arrays and for single points.
PAIRS_MANY = {
    "gcj02": (crs.gcj02_from_wgs84_many, crs.wgs84_from_gcj02_many),
    "bd09 from gcj02": (crs.bd09_from_gcj02_many, crs.gcj02_from_bd09_many),
    "bd09 from wgs84": (crs.bd09_from_wgs84_many, crs.wgs84_from_bd09_many),
}
PAIRS_ONE = {
    "gcj02": (crs.gcj02_from_wgs84, crs.wgs84_from_gcj02),
    "bd09 from gcj02": (crs.bd09_from_gcj02, crs.gcj02_from_bd09),
    "bd09 from wgs84": (crs.bd09_from_wgs84, crs.wgs84_from_bd09),
}

# --- published reference values ----------------------------------------------------------------
# The example in wandergis/coordtransform (test/app.js), the most widely used open-source
# converter, for the point (116.404, 39.915) in central Beijing, by Tiananmen. Its forward
# directions are the same closed-form formulas as ours, so they must agree to rounding.
BEIJING = (116.404, 39.915)
PUBLISHED_GCJ02_FROM_WGS84 = (116.41024449916938, 39.91640428150164)
PUBLISHED_BD09_FROM_GCJ02 = (116.41036949371029, 39.92133699351021)
# Its inverses are the one-step approximations; ours iterate, so they differ by centimetres.
PUBLISHED_WGS84_FROM_GCJ02 = (116.39775550083061, 39.91359571849836)
PUBLISHED_GCJ02_FROM_BD09 = (116.39762729119315, 39.90865673957631)


def test_forward_formulas_reproduce_the_published_values():
    assert crs.gcj02_from_wgs84(*BEIJING) == pytest.approx(PUBLISHED_GCJ02_FROM_WGS84, abs=1e-12)
    assert crs.bd09_from_gcj02(*BEIJING) == pytest.approx(PUBLISHED_BD09_FROM_GCJ02, abs=1e-12)


@pytest.mark.parametrize(
    "ours, forward, published",
    [
        (crs.wgs84_from_gcj02, crs.gcj02_from_wgs84, PUBLISHED_WGS84_FROM_GCJ02),
        (crs.gcj02_from_bd09, crs.bd09_from_gcj02, PUBLISHED_GCJ02_FROM_BD09),
    ],
    ids=["gcj02", "bd09"],
)
def test_inverses_are_exact_where_the_published_one_step_ones_are_not(ours, forward, published):
    mine = ours(*BEIJING)
    # Close to the published approximation...
    assert distance_m(*mine, *published) < 0.1
    # ...but only ours maps back onto the input: the one-step inverse misses by centimetres.
    assert distance_m(*forward(*mine), *BEIJING) < 0.001
    assert distance_m(*forward(*published), *BEIJING) > 0.01


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("area", list(AREAS))
@pytest.mark.parametrize("pair", list(PAIRS_MANY))
def test_round_trip_on_arrays_is_within_a_centimetre(pair, area):
    forward, inverse = PAIRS_MANY[pair]
    lon, lat = AREAS[area]
    back_lon, back_lat = inverse(*forward(lon, lat))
    error_m = distance_m(lon, lat, back_lon, back_lat)
    assert error_m.max() < ROUND_TRIP_MAX_M, f"{pair} over {area}: {error_m.max():.2e} m"
    # Also starting from the other end: a point read off a Chinese map, to WGS84 and back.
    there_lon, there_lat = forward(*inverse(lon, lat))
    assert distance_m(lon, lat, there_lon, there_lat).max() < ROUND_TRIP_MAX_M


@pytest.mark.parametrize("pair", list(PAIRS_ONE))
def test_round_trip_on_single_points_is_within_a_centimetre(pair):
    forward, inverse = PAIRS_ONE[pair]
    lon, lat = grid(114.0, 114.6, 30.4, 30.8, n=12)
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        back = inverse(*forward(x, y))
        assert distance_m(x, y, *back) < ROUND_TRIP_MAX_M, (pair, x, y, back)


# --- how far the offsets move a point -------------------------------------------------------------
# Measured bands, not the folklore ones: the brief expected ~300–600 m for GCJ-02 and ~600–700 m
# more for BD-09 around Wuhan, but the formulas (which reproduce the published values above to
# 1e-12°) give 561–609 m and 888–936 m over this grid. BD-09's constant part alone is
# (0.0065°, 0.006°) ≈ (620 m east, 670 m north) ≈ 910 m here. The bands below have ~5 % margin.


def test_gcj02_moves_wuhan_by_550_to_650_m():
    lon, lat = WUHAN
    offset_m = distance_m(lon, lat, *crs.gcj02_from_wgs84_many(lon, lat))
    assert 550 < offset_m.min() and offset_m.max() < 650, (offset_m.min(), offset_m.max())


def test_bd09_moves_wuhan_a_further_850_to_980_m():
    gcj_lon, gcj_lat = crs.gcj02_from_wgs84_many(*WUHAN)
    offset_m = distance_m(gcj_lon, gcj_lat, *crs.bd09_from_gcj02_many(gcj_lon, gcj_lat))
    assert 850 < offset_m.min() and offset_m.max() < 980, (offset_m.min(), offset_m.max())


def test_both_shifts_point_north_east_at_wuhan():
    # A sign error in a term would still give a plausible distance, so check the direction too.
    lon, lat = 114.305, 30.593
    gcj = crs.gcj02_from_wgs84(lon, lat)
    bd = crs.bd09_from_gcj02(*gcj)
    assert gcj[0] > lon and gcj[1] < lat  # GCJ-02 here: ~570 m east, a little south
    assert bd[0] > gcj[0] and bd[1] > gcj[1]


# --- the outside-China rule -----------------------------------------------------------------------

OUTSIDE_CHINA = [
    (2.3522, 48.8566),  # Paris
    (151.2093, -33.8688),  # Sydney
    (-74.006, 40.7128),  # New York
    (crs.CHINA_LON_MIN - 0.001, 30.0),  # just west of the box
    (crs.CHINA_LON_MAX + 0.001, 30.0),  # just east
    (114.3, crs.CHINA_LAT_MIN - 0.001),  # just south
    (114.3, crs.CHINA_LAT_MAX + 0.001),  # just north
    (0.0, 0.0),
    (180.0, 90.0),
    (-180.0, -90.0),
]


@pytest.mark.parametrize("point", OUTSIDE_CHINA)
def test_gcj02_leaves_points_outside_china_unchanged(point):
    assert crs.gcj02_from_wgs84(*point) == point
    assert crs.wgs84_from_gcj02(*point) == point
    assert crs.to_wgs84(*point, crs="gcj02") == point


def test_arrays_shift_only_the_points_inside_china():
    lon = np.array([2.3522, 114.305, 151.2093, 116.404])
    lat = np.array([48.8566, 30.593, -33.8688, 39.915])
    inside = np.array([False, True, False, True])
    for convert in (crs.gcj02_from_wgs84_many, crs.wgs84_from_gcj02_many):
        out_lon, out_lat = convert(lon, lat)
        assert np.array_equal(out_lon[~inside], lon[~inside])
        assert np.array_equal(out_lat[~inside], lat[~inside])
        assert (distance_m(lon[inside], lat[inside], out_lon[inside], out_lat[inside]) > 100).all()


def test_bd09_has_no_outside_china_rule():
    # The published BD-09 formula shifts every point; only its GCJ-02 step stops at the box.
    paris = (2.3522, 48.8566)
    assert crs.bd09_from_wgs84(*paris) == crs.bd09_from_gcj02(*paris)
    assert distance_m(*paris, *crs.bd09_from_wgs84(*paris)) > 100
    assert crs.wgs84_from_bd09(*crs.bd09_from_wgs84(*paris)) == pytest.approx(paris, abs=1e-9)


# --- arrays agree with single points --------------------------------------------------------------

SCALAR_AND_ARRAY = [
    (crs.gcj02_from_wgs84, crs.gcj02_from_wgs84_many),
    (crs.wgs84_from_gcj02, crs.wgs84_from_gcj02_many),
    (crs.bd09_from_gcj02, crs.bd09_from_gcj02_many),
    (crs.gcj02_from_bd09, crs.gcj02_from_bd09_many),
    (crs.wgs84_from_bd09, crs.wgs84_from_bd09_many),
    (crs.bd09_from_wgs84, crs.bd09_from_wgs84_many),
]


@pytest.mark.parametrize("one, many", SCALAR_AND_ARRAY, ids=lambda f: f.__name__)
def test_array_version_equals_single_point_version(one, many):
    lon, lat = grid(70.0, 140.0, -5.0, 60.0, n=25)  # straddles the box's edges on every side
    out_lon, out_lat = many(lon, lat)
    expected = np.array([one(x, y) for x, y in zip(lon.tolist(), lat.tolist(), strict=True)])
    # The forwards are the same arithmetic: numpy's and libm's sines may differ in the last bit,
    # and 1e-12° is 0.1 µm. The inverses stop when the worst point of the array has converged,
    # a single point when it has, so they agree to the inverse's tolerance (2e-9° is 0.2 mm).
    inverse = one.__name__.startswith(("wgs84_from", "gcj02_from_bd09"))
    atol = 2 * crs.INVERSE_TOLERANCE_DEG if inverse else 1e-12
    np.testing.assert_allclose(out_lon, expected[:, 0], rtol=0, atol=atol)
    np.testing.assert_allclose(out_lat, expected[:, 1], rtol=0, atol=atol)


def test_array_versions_keep_shape_leave_input_alone_and_accept_lists_and_empties():
    lon = np.array([[114.3, 114.4], [114.5, 114.6]])
    lat = np.array([[30.5, 30.6], [30.7, 30.8]])
    before = lon.copy(), lat.copy()
    out_lon, out_lat = crs.to_wgs84_many(lon, lat, crs="bd09")
    assert out_lon.shape == out_lat.shape == (2, 2)
    assert np.array_equal(lon, before[0]) and np.array_equal(lat, before[1])
    # wgs84 in, a copy out: writing to it must not reach the caller's array.
    same_lon, _ = crs.to_wgs84_many(lon, lat, crs="wgs84")
    same_lon[0, 0] = 0.0
    assert lon[0, 0] == 114.3
    assert crs.to_wgs84_many([114.3], [30.5], crs="amap")[0].shape == (1,)
    empty_lon, empty_lat = crs.to_wgs84_many([], [], crs="gcj02")
    assert empty_lon.size == empty_lat.size == 0
    assert crs.to_wgs84_many([], [], crs="bd09")[0].size == 0


# --- the dispatcher -------------------------------------------------------------------------------

WUHAN_POINT = (114.305, 30.593)


@pytest.mark.parametrize(
    "name, system",
    [
        ("wgs84", "wgs84"),
        ("WGS84", "wgs84"),
        ("cgcs2000", "wgs84"),
        ("CGCS2000", "wgs84"),
        ("gcj02", "gcj02"),
        ("GCJ02", "gcj02"),
        ("amap", "gcj02"),
        ("AMap", "gcj02"),
        ("tencent", "gcj02"),
        ("bd09", "bd09"),
        ("BD09", "bd09"),
        ("baidu", "bd09"),
        (" Baidu ", "bd09"),
    ],
)
def test_dispatcher_accepts_each_name_and_alias(name, system):
    expected = {
        "wgs84": WUHAN_POINT,
        "gcj02": crs.wgs84_from_gcj02(*WUHAN_POINT),
        "bd09": crs.wgs84_from_bd09(*WUHAN_POINT),
    }[system]
    assert crs.canonical_crs(name) == system
    assert crs.to_wgs84(*WUHAN_POINT, crs=name) == expected
    out_lon, out_lat = crs.to_wgs84_many([WUHAN_POINT[0]], [WUHAN_POINT[1]], crs=name)
    assert (out_lon[0], out_lat[0]) == pytest.approx(expected, abs=1e-12)


def test_the_three_systems_give_three_different_points():
    points = {name: crs.to_wgs84(*WUHAN_POINT, crs=name) for name in ("wgs84", "gcj02", "bd09")}
    assert len(set(points.values())) == 3
    assert isinstance(points["wgs84"][0], float) and isinstance(points["bd09"][1], float)


def test_chinese_crs_lists_every_accepted_name_systems_first():
    assert crs.CHINESE_CRS[:3] == ("wgs84", "gcj02", "bd09")
    aliases = {"cgcs2000", "amap", "tencent", "baidu"}
    assert set(crs.CHINESE_CRS) == {"wgs84", "gcj02", "bd09"} | aliases
    for name in crs.CHINESE_CRS:
        crs.to_wgs84(*WUHAN_POINT, crs=name)


@pytest.mark.parametrize("name", ["epsg:4326", "4326", "gcj-02", "bd-09", "google", "", None, 4326])
def test_dispatcher_refuses_other_names_naming_the_allowed_ones(name):
    for call in (
        lambda: crs.to_wgs84(*WUHAN_POINT, crs=name),
        lambda: crs.to_wgs84_many([114.3], [30.5], crs=name),
    ):
        with pytest.raises(BadRequest) as exc:
            call()
        message = exc.value.message
        assert repr(name) in message
        for allowed in crs.CHINESE_CRS:
            assert allowed in message
        assert exc.value.status == 400


# --- bad coordinates ------------------------------------------------------------------------------

ALL_SINGLE = [f for pair in PAIRS_ONE.values() for f in pair]


@pytest.mark.parametrize(
    "lon, lat, named",
    [
        (math.nan, 30.5, "longitude nan"),
        (114.3, math.nan, "latitude nan"),
        (math.inf, 30.5, "longitude inf"),
        (114.3, -math.inf, "latitude -inf"),
        (180.5, 30.5, "longitude 180.5"),
        (-181.0, 30.5, "longitude -181.0"),
        (114.3, 90.25, "latitude 90.25"),
        (30.5, 114.3, "latitude 114.3"),  # swapped: the message says so
        ("abc", 30.5, "longitude 'abc'"),
        (114.3, None, "latitude None"),
    ],
)
def test_bad_coordinates_are_refused_naming_the_value(lon, lat, named):
    for convert in [*ALL_SINGLE, lambda x, y: crs.to_wgs84(x, y, crs="wgs84")]:
        with pytest.raises(BadRequest) as exc:
            convert(lon, lat)
        assert named in exc.value.message, exc.value.message
    if named == "latitude 114.3":
        assert "swapped" in exc.value.message


def test_the_edges_of_the_valid_range_are_accepted():
    for lon, lat in ((180.0, 90.0), (-180.0, -90.0), ("114.3", "30.5")):
        crs.to_wgs84(lon, lat, crs="bd09")
    crs.to_wgs84_many([180.0, -180.0], [90.0, -90.0], crs="gcj02")


@pytest.mark.parametrize(
    "lons, lats, named",
    [
        ([114.3, np.nan, 114.5], [30.5, 30.6, 30.7], "point 1 (counting from 0): longitude nan"),
        ([114.3, 114.4, 114.5], [30.5, 30.6, np.inf], "point 2 (counting from 0): latitude inf"),
        ([114.3, 200.0], [30.5, 30.6], "point 1 (counting from 0): longitude 200.0"),
        ([114.3, 114.4], [-95.5, 30.6], "point 0 (counting from 0): latitude -95.5"),
    ],
)
def test_bad_coordinates_in_arrays_are_refused_naming_point_and_value(lons, lats, named):
    for convert in [*(f for pair in PAIRS_MANY.values() for f in pair)]:
        with pytest.raises(BadRequest) as exc:
            convert(lons, lats)
        assert named in exc.value.message, exc.value.message
    for name in ("wgs84", "gcj02", "bd09"):
        with pytest.raises(BadRequest, match=named.replace("(", r"\(").replace(")", r"\)")):
            crs.to_wgs84_many(lons, lats, crs=name)


def test_arrays_of_different_lengths_or_not_numbers_are_refused():
    with pytest.raises(BadRequest, match="3 longitudes but 2 latitudes"):
        crs.to_wgs84_many([114.3, 114.4, 114.5], [30.5, 30.6], crs="gcj02")
    with pytest.raises(BadRequest, match="numbers of degrees"):
        crs.to_wgs84_many(["114.3", "east"], [30.5, 30.6], crs="gcj02")

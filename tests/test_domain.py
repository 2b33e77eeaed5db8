"""The domain rules of geo/domain.py: bands, codes, walking distances, lon/lat ranges and the maps'
home view, read from settings at call time. No database."""

import math

import numpy as np
import pytest
from django.test import override_settings

from geo import codes, domain
from geo.errors import BadRequest


@pytest.mark.parametrize(
    ("households", "status"),
    [(0, "under"), (299, "under"), (300, "ok"), (500, "ok"), (501, "over")],
)
def test_a_band_includes_both_limits(households, status):
    assert domain.Band(300, 500).status(households) == status


def test_bands_follow_the_settings_at_call_time():
    with override_settings(GRIDATLAS_GRID_HOUSEHOLDS_MIN=10, GRIDATLAS_GRID_HOUSEHOLDS_MAX=20):
        assert domain.grid_band() == domain.Band(10, 20)
        assert domain.band_of("grid").status(21) == "over"
    with override_settings(
        GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN=1, GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX=2
    ):
        assert domain.band_of("microgrid").as_sql_params("microgrid") == {
            "microgrid_min": 1,
            "microgrid_max": 2,
        }


def test_codes_are_geo_codes():
    assert domain.LEVELS is codes.LEVELS and domain.code_parent is codes.code_parent
    assert domain.is_code("street", "420102002")
    for bad in ("42010200", "4201020021", "42010200²", "４20102002", None, 420102002):
        assert not domain.is_code("street", bad)
    assert domain.code_parse("district", "  ") is None
    with pytest.raises(BadRequest, match="6-digit district code, e.g. 420102"):
        domain.code_parse("district", "42")


def test_walks_are_the_life_circles_from_settings():
    assert [w.minutes for w in domain.walks()] == [5, 10, 15]
    with override_settings(GRIDATLAS_WALK_10MIN_M=450.0):
        assert domain.default_walk_m() == 450.0
        assert domain.walk_distance_parse(None) == 450.0
        assert domain.walks()[1].metres == 450.0


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (0.0, "more than 0"),
        (-5.0, "more than 0"),
        (math.nan, "more than 0"),
        (math.inf, "more than 0"),
        (0.5, "at least 1 metres"),
        (5_001.0, "at most 5000 metres"),
    ],
)
def test_one_walking_distance_check(value, said):
    with pytest.raises(BadRequest, match=said):
        domain.walk_distance_check(value, name="--distance")


def test_the_walking_distance_parameter():
    assert domain.walk_distance_parse("300") == 300.0
    for raw, said in (("far", "must be a number"), ("1e-300", "more than 0|at least")):
        with pytest.raises(BadRequest, match=said):
            domain.walk_distance_parse(raw)


def test_lonlat_ranges_on_points_and_arrays():
    assert domain.lonlat_valid(114.3, 30.6) and not domain.lonlat_valid(181, 0)
    assert not domain.lonlat_valid(math.nan, 0)
    mask = domain.lonlat_in_china(np.array([114.3, 2.35, np.nan]), np.array([30.6, 48.9, 30]))
    assert mask.tolist() == [True, False, False]
    assert domain.lonlat_box_valid(114.2, 30.5, 114.4, 30.7)
    assert not domain.lonlat_box_valid(114.4, 30.5, 114.2, 30.7)  # west after east
    assert not domain.lonlat_box_valid(114.2, 30.5, 114.4, 95)


@pytest.mark.parametrize(
    ("lon", "lat", "said"),
    [
        (114.3, 95.0, "lat=95 is out of range"),
        (math.nan, 30.0, "lon=nan is out of range"),
        (0.0, 0.0, "before it has a fix"),
        (30.6, 114.3, "out of range"),
        (30.6, 14.3, "lon=30.6, lat=14.3 is not in China"),
    ],
)
def test_lonlat_check_refuses_what_no_grid_answers(lon, lat, said):
    with pytest.raises(BadRequest, match=said):
        domain.lonlat_check(lon, lat)


def test_lonlat_check_takes_a_point_in_china():
    assert domain.lonlat_check(114.3, 30.6) is None


def test_the_map_home_is_a_setting_given_to_pages_as_data():
    assert domain.map_home() == (114.30, 30.59, 11.0)
    with override_settings(GRIDATLAS_MAP_CENTRE=(116.4, 39.9), GRIDATLAS_MAP_ZOOM=10.5):
        assert domain.map_home_data() == {"centre": "116.4,39.9", "zoom": "10.5"}

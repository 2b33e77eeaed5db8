"""The start-up checks of the GridAtlas settings (geo/checks.py): each fires on a bad value, naming
the setting, its value and what is allowed, and the shipped settings pass. No database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error, run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


def gridatlas_errors() -> list[Error]:
    return run_checks(tags=["gridatlas"])


def test_the_shipped_settings_pass():
    assert gridatlas_errors() == []


def test_the_checks_run_with_every_check():
    # Registered by geo/apps.py: `manage.py check` (no tag) runs them too.
    with override_settings(GRIDATLAS_GRID_HOUSEHOLDS_MIN=501):
        ids = {e.id for e in run_checks()}
    assert "gridatlas.E003" in ids


BAD = [
    # (overrides, id, the setting named, words of what is allowed)
    ({"GRIDATLAS_GRID_HOUSEHOLDS_MIN": 600}, "E003", "GRIDATLAS_GRID_HOUSEHOLDS_MIN", "≤"),
    ({"GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX": 10}, "E003", "GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN", "≤"),
    ({"GRIDATLAS_GRID_HOUSEHOLDS_MIN": -1}, "E002", "GRIDATLAS_GRID_HOUSEHOLDS_MIN", "0 or more"),
    (
        {"GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES": 20_000},
        "E004",
        "GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES",
        "GRIDATLAS_OGC_MAX_LIMIT_FEATURES",
    ),
    ({"GRIDATLAS_WALK_5MIN_M": 600.0}, "E005", "GRIDATLAS_WALK_5MIN_M", "GRIDATLAS_WALK_10MIN_M"),
    ({"GRIDATLAS_WALK_15MIN_M": 400.0}, "E005", "GRIDATLAS_WALK_10MIN_M", "GRIDATLAS_WALK_15MIN_M"),
    (
        {"GRIDATLAS_WALK_10MIN_M": 6_000.0, "GRIDATLAS_WALK_15MIN_M": 7_000.0},
        "E005",
        "GRIDATLAS_WALK_10MIN_M",
        "GRIDATLAS_ANALYSIS_MAX_DISTANCE_M",
    ),
    ({"GRIDATLAS_WALK_DETOUR_FACTOR": 0.5}, "E005", "GRIDATLAS_WALK_DETOUR_FACTOR", "1 or more"),
    ({"GRIDATLAS_METRIC_SRID": 999_999}, "E006", "GRIDATLAS_METRIC_SRID", "projected CRS"),
    ({"GRIDATLAS_METRIC_SRID": 4326}, "E006", "GRIDATLAS_METRIC_SRID", "metres"),
    ({"GRIDATLAS_TILE_MAX_BYTES": 0}, "E002", "GRIDATLAS_TILE_MAX_BYTES", "more than 0"),
    (
        {"GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS": -5},
        "E002",
        "GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS",
        "more than 0",
    ),
    ({"GRIDATLAS_HEALTHZ_RETRY_AFTER_S": 0}, "E002", "GRIDATLAS_HEALTHZ_RETRY_AFTER_S", "more"),
    ({"GRIDATLAS_TILE_MAX_BYTES": "500k"}, "E001", "GRIDATLAS_TILE_MAX_BYTES", "whole number"),
    ({"GRIDATLAS_CUT_SNAP_M": float("nan")}, "E001", "GRIDATLAS_CUT_SNAP_M", "finite number"),
    ({"GRIDATLAS_JOB_KEEP_HOURS": True}, "E001", "GRIDATLAS_JOB_KEEP_HOURS", "whole number"),
    (
        {"GRIDATLAS_HEATMAP_CELL_M": 20_000.0},
        "E008",
        "GRIDATLAS_HEATMAP_CELL_M",
        "GRIDATLAS_HEATMAP_MAX_CELL_M",
    ),
    ({"GRIDATLAS_ADDRESS_CERTAIN_SCORE": 1.5}, "E002", "GRIDATLAS_ADDRESS_CERTAIN_SCORE", "0 to 1"),
    ({"GRIDATLAS_MAP_CENTRE": (2.35, 48.86)}, "E007", "GRIDATLAS_MAP_CENTRE", "lon 70 to 140"),
    ({"GRIDATLAS_MAP_CENTRE": (30.59, 114.30)}, "E007", "GRIDATLAS_MAP_CENTRE", "not in China"),
    ({"GRIDATLAS_MAP_CENTRE": "114.3"}, "E007", "GRIDATLAS_MAP_CENTRE", "(lon, lat)"),
    ({"GRIDATLAS_MAP_ZOOM": 30.0}, "E007", "GRIDATLAS_MAP_ZOOM", "0 to 24"),
    ({"GRIDATLAS_CITY_CODE": "42010"}, "E009", "GRIDATLAS_CITY_CODE", "4-digit"),
    ({"GRIDATLAS_CITY_NAME": " "}, "E009", "GRIDATLAS_CITY_NAME", "division list"),
    ({"GRIDATLAS_METRIC_SRID": "4547"}, "E001", "GRIDATLAS_METRIC_SRID", "whole number"),
    ({"GRIDATLAS_NEAREST_STATION_MAX_M": 0.0}, "E002", "GRIDATLAS_NEAREST_STATION_MAX_M", "more"),
    (
        {"GRIDATLAS_IMPORT_SLIVER_M2": 0.5},
        "E008",
        "GRIDATLAS_SLIVER_MIN_AREA_M2",
        "GRIDATLAS_IMPORT_SLIVER_M2",
    ),
]


def test_the_city_settings_are_unset_by_default_and_fine_when_set():
    # Unset (None): the city profile takes them from the data (geo/city_profile.py).
    from django.conf import settings

    names = ("CITY_CODE", "CITY_NAME", "METRIC_SRID", "MAP_CENTRE", "MAP_ZOOM")
    assert [getattr(settings, f"GRIDATLAS_{n}") for n in names] == [None] * 5
    with override_settings(
        GRIDATLAS_CITY_CODE="4203",
        GRIDATLAS_CITY_NAME="十堰市",
        GRIDATLAS_METRIC_SRID=4546,
        GRIDATLAS_MAP_CENTRE=(110.8, 32.6),
        GRIDATLAS_MAP_ZOOM=11.0,
    ):
        assert gridatlas_errors() == []


@pytest.mark.parametrize(("overrides", "code", "named", "allowed"), BAD)
def test_a_bad_value_is_an_error_naming_it(overrides, code, named, allowed):
    with override_settings(**overrides):
        errors = gridatlas_errors()
    assert [e.id for e in errors] == [f"gridatlas.{code}"], errors
    (error,) = errors
    said = f"{error.msg} {error.hint}"
    assert error.obj == named
    assert named in error.msg
    value = overrides.get(named, next(iter(overrides.values())))
    if not isinstance(value, tuple):
        assert repr(value) in error.msg or f"{value:g}" in error.msg, error.msg
    assert allowed in said, said


def test_zero_is_allowed_where_it_means_off():
    with override_settings(GRIDATLAS_TILE_MEMORY_BYTES=0, GRIDATLAS_TRUSTED_PROXY_COUNT=0):
        assert gridatlas_errors() == []


def test_a_malformed_environment_value_stops_start_up_naming_it():
    # Values the type refuses never reach the checks: settings.py says which variable it was.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geo.settings"}
    for name, raw in (("GRIDATLAS_TILE_MAX_BYTES", "500k"), ("GRIDATLAS_MAP_CENTRE", "114.3")):
        done = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT,
            env={**env, name: raw},
            capture_output=True,
            text=True,
        )
        assert done.returncode != 0
        assert f"{name}={raw!r} is not a valid" in done.stderr


def test_manage_py_check_fails_on_a_bad_band():
    env = {
        **os.environ,
        "GRIDATLAS_GRID_HOUSEHOLDS_MIN": "600",
        "DJANGO_SETTINGS_MODULE": "geo.settings",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "gridatlas.E003" in done.stderr
    assert "GRIDATLAS_GRID_HOUSEHOLDS_MIN is 600" in done.stderr

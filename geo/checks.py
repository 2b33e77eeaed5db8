"""Start-up checks of the GridAtlas settings: Django system checks (registered in geo/apps.py), so
`manage.py check`, `migrate`, `runserver` and the job worker refuse a configuration that would
serve wrong answers: a band with min > max, an OGC default above its maximum, walking distances
out of order, an SRID PROJ does not know, a size or timeout that is not positive, a map centre
outside China. Each error names the setting, its value and what is allowed. The city's settings
(code, name, metric SRID, map centre and zoom) are None unless set, and checked only when set.

geo.settings.env() already refused values of the wrong type from the environment; these checks
see the settings as Django holds them (override_settings too) and their relations.
"""

import math
import os
from importlib import import_module

from django.conf import settings
from django.core import checks
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.domain import CHINA_BOUNDS_LONLAT

# Settings that may be 0 (every other number must be more than 0): 0 turns the memory tile
# cache off, means no proxy, no tolerance, no snapping, caching for no seconds, or any size.
ZERO_ALLOWED = {
    "GRIDATLAS_TILE_MEMORY_BYTES",
    "GRIDATLAS_TRUSTED_PROXY_COUNT",
    "GRIDATLAS_TILE_CACHE_MAX_AGE_S",
    "GRIDATLAS_CITY_PROFILE_TTL_S",
    "GRIDATLAS_BOUNDARY_TOLERANCE_M",
    "GRIDATLAS_MIN_VIOLATION_AREA_M2",
    "GRIDATLAS_SLIVER_MIN_AREA_M2",
    "GRIDATLAS_CUT_SNAP_M",
    "GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M",
    "GRIDATLAS_IMPORT_BULK_MIN_ROWS",
    "GRIDATLAS_BATCH_DISAGREE_M",
    "GRIDATLAS_GRID_HOUSEHOLDS_MIN",
    "GRIDATLAS_GRID_HOUSEHOLDS_MAX",
    "GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN",
    "GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX",
    "GRIDATLAS_ADDRESS_MIN_SCORE",
    "GRIDATLAS_ADDRESS_CERTAIN_SCORE",
    "GRIDATLAS_ADDRESS_CERTAIN_MARGIN",
    "GRIDATLAS_MAP_ZOOM",
}
# Units that take decimals although the default is written as a whole number (100 m).
DECIMAL_SUFFIXES = ("_M", "_M2", "_RATIO", "_FACTOR", "_SCORE", "_MARGIN", "_ZOOM")
# Pairs (low, high) where low ≤ high must hold, and what the pair is.
ORDERED = (
    ("GRIDATLAS_GRID_HOUSEHOLDS_MIN", "GRIDATLAS_GRID_HOUSEHOLDS_MAX", "E003", "a household band"),
    (
        "GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN",
        "GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX",
        "E003",
        "a household band",
    ),
    (
        "GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES",
        "GRIDATLAS_OGC_MAX_LIMIT_FEATURES",
        "E004",
        "the OGC page size",
    ),
    ("GRIDATLAS_WALK_5MIN_M", "GRIDATLAS_WALK_10MIN_M", "E005", "the walking distances"),
    ("GRIDATLAS_WALK_10MIN_M", "GRIDATLAS_WALK_15MIN_M", "E005", "the walking distances"),
    (
        "GRIDATLAS_ANALYSIS_MIN_DISTANCE_M",
        "GRIDATLAS_WALK_10MIN_M",
        "E005",
        "the default walk an analysis accepts",
    ),
    (
        "GRIDATLAS_WALK_10MIN_M",
        "GRIDATLAS_ANALYSIS_MAX_DISTANCE_M",
        "E005",
        "the default walk an analysis accepts",
    ),
    ("GRIDATLAS_HEATMAP_MIN_CELL_M", "GRIDATLAS_HEATMAP_CELL_M", "E008", "the heatmap cells"),
    ("GRIDATLAS_HEATMAP_CELL_M", "GRIDATLAS_HEATMAP_MAX_CELL_M", "E008", "the heatmap cells"),
    ("GRIDATLAS_ADDRESS_MIN_SCORE", "GRIDATLAS_ADDRESS_CERTAIN_SCORE", "E008", "address scores"),
    ("GRIDATLAS_SLIVER_MIN_AREA_M2", "GRIDATLAS_IMPORT_SLIVER_M2", "E008", "the sliver areas"),
)
SCORES = (
    "GRIDATLAS_ADDRESS_MIN_SCORE",
    "GRIDATLAS_ADDRESS_CERTAIN_SCORE",
    "GRIDATLAS_ADDRESS_CERTAIN_MARGIN",
)
MAP_ZOOM_RANGE = (0.0, 24.0)
# Numbers that are None unless set: the city profile takes them from the data (geo/city_profile.py),
# each with whether it must be whole.
OPTIONAL_NUMBERS = {"GRIDATLAS_METRIC_SRID": True, "GRIDATLAS_MAP_ZOOM": False}


def _error(name: str, message: str, hint: str, code: str) -> checks.Error:
    hint = hint or f"Set the environment variable {name} (docs/architecture.md, geo/settings.py)."
    return checks.Error(message, hint=hint, obj=name, id=f"gridatlas.{code}")


def _numbers() -> dict[str, bool]:
    """The GridAtlas settings that are numbers: those the settings module gives a number (what
    Django holds now may be overridden with anything), each with whether it must be whole (an
    int default, and not a unit that takes decimals)."""
    shipped = vars(import_module(os.environ.get("DJANGO_SETTINGS_MODULE", "geo.settings")))
    return {
        k: isinstance(v, int) and not k.endswith(DECIMAL_SUFFIXES)
        for k, v in sorted(shipped.items())
        if k.startswith("GRIDATLAS_") and isinstance(v, int | float) and not isinstance(v, bool)
    } | OPTIONAL_NUMBERS


def _typed(errors: list) -> set[str]:
    """E001 for a number of the wrong type; E002 for one out of its range. Returns the names
    that are well-typed numbers, for the relation checks."""
    good = set()
    for name, whole in _numbers().items():
        value = getattr(settings, name)
        if value is None and name in OPTIONAL_NUMBERS:
            continue  # not set: from the data
        kind = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
            wanted = "a whole number" if whole else "a finite number"
            errors.append(_error(name, f"{name} is {value!r}; it must be {wanted}.", "", "E001"))
            continue
        good.add(name)
        zero_ok = name in ZERO_ALLOWED
        if value < 0 or (value == 0 and not zero_ok):
            allowed = "0 or more" if zero_ok else "more than 0"
            errors.append(_error(name, f"{name} is {value!r}; it must be {allowed}.", "", "E002"))
    return good


def _relations(good: set[str], errors: list) -> None:
    for low, high, code, what in ORDERED:
        if {low, high} <= good and getattr(settings, low) > getattr(settings, high):
            lv, hv = getattr(settings, low), getattr(settings, high)
            errors.append(
                _error(
                    low,
                    f"{low} is {lv!r}, more than {high} ({hv!r}): {what} must run from low to "
                    "high.",
                    f"Allowed: {low} ≤ {high}.",
                    code,
                )
            )
    for name in SCORES:
        if name in good and getattr(settings, name) > 1:
            errors.append(
                _error(
                    name,
                    f"{name} is {getattr(settings, name)!r}; a score is from 0 to 1.",
                    "Allowed: 0 to 1.",
                    "E002",
                )
            )
    if "GRIDATLAS_WALK_DETOUR_FACTOR" in good and settings.GRIDATLAS_WALK_DETOUR_FACTOR < 1:
        errors.append(
            _error(
                "GRIDATLAS_WALK_DETOUR_FACTOR",
                f"GRIDATLAS_WALK_DETOUR_FACTOR is {settings.GRIDATLAS_WALK_DETOUR_FACTOR!r}; a "
                "walk is never shorter than the straight line.",
                "Allowed: 1 or more (1.3 is usual).",
                "E005",
            )
        )


def _srid(good: set[str], errors: list) -> None:
    name = "GRIDATLAS_METRIC_SRID"
    if name not in good:
        return
    srid = settings.GRIDATLAS_METRIC_SRID
    hint = "A projected CRS in metres, e.g. 4547 (CGCS2000 3-degree Gauss-Krüger CM 114E)."
    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        errors.append(_error(name, f"{name} is {srid}: PROJ knows no EPSG:{srid}.", hint, "E006"))
        return
    metres = crs.is_projected and all(a.unit_name in ("metre", "meter") for a in crs.axis_info)
    if not metres:
        errors.append(
            _error(
                name,
                f"{name} is {srid} ({crs.name}): lengths and areas need a projected CRS in metres.",
                hint,
                "E006",
            )
        )


def _map_home(good: set[str], errors: list) -> None:
    name = "GRIDATLAS_MAP_CENTRE"
    centre = settings.GRIDATLAS_MAP_CENTRE
    x0, y0, x1, y1 = CHINA_BOUNDS_LONLAT
    hint = (
        f'"lon,lat" in degrees within lon {x0:g} to {x1:g}, lat {y0:g} to {y1:g}, '
        'e.g. "114.30,30.59".'
    )
    numbers = centre is None or (
        isinstance(centre, tuple | list)
        and len(centre) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in centre)
    )
    if not numbers:
        errors.append(_error(name, f"{name} is {centre!r}; it must be (lon, lat).", hint, "E007"))
    elif centre is not None and not (x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1):
        errors.append(
            _error(name, f"{name} is {centre[0]:g},{centre[1]:g}: not in China.", hint, "E007")
        )
    zoom = "GRIDATLAS_MAP_ZOOM"
    lo, hi = MAP_ZOOM_RANGE
    if zoom in good and not lo <= settings.GRIDATLAS_MAP_ZOOM <= hi:
        errors.append(
            _error(
                zoom,
                f"{zoom} is {settings.GRIDATLAS_MAP_ZOOM!r}; a map zoom is {lo:g} to {hi:g}.",
                "11 shows a city.",
                "E007",
            )
        )


def _city(errors: list) -> None:
    code = settings.GRIDATLAS_CITY_CODE
    four_digits = isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == 4
    if code is not None and not four_digits:
        errors.append(
            _error(
                "GRIDATLAS_CITY_CODE",
                f"GRIDATLAS_CITY_CODE is {code!r}; it must be the city's 4-digit prefix.",
                "The first 4 digits of the GB/T 2260 codes, e.g. 4201 for Wuhan; or unset, "
                "to take it from the loaded districts.",
                "E009",
            )
        )
    name = settings.GRIDATLAS_CITY_NAME
    if name is not None and not (isinstance(name, str) and name.strip()):
        errors.append(
            _error(
                "GRIDATLAS_CITY_NAME",
                f"GRIDATLAS_CITY_NAME is {name!r}; it must be the city's name.",
                "e.g. 武汉市; or unset, to take it from the national division list.",
                "E009",
            )
        )


@checks.register("gridatlas")
def gridatlas_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    good = _typed(errors)
    _relations(good, errors)
    _srid(good, errors)
    _map_home(good, errors)
    _city(errors)
    return errors

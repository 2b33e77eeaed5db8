"""The domain rules, stated once: household bands, code formats and levels, walking distances,
coordinate ranges and the map's home view (docs/design.md says why each is what it is).

Values come from settings at call time (tests override them), so read them through the
functions here, never `settings.GRIDATLAS_*` directly. SQL gets them as parameters
(`Band.as_sql_params`), JavaScript as page data (`data-grid-min`/`-max`, `data-map-centre`/
`-zoom` from `map_home_data`), and neither restates them.

>>> Band(300, 500).status(299), Band(300, 500).status(500), Band(300, 500).status(501)
('under', 'ok', 'over')
>>> Band(300, 500).as_sql_params("grid")
{'grid_min': 300, 'grid_max': 500}
"""

import math
from typing import NamedTuple

import numpy as np
from django.conf import settings

from geo.city_profile import city_profile

# Code formats and levels live in geo.codes (model validators and migrations name them there);
# they are part of this module's vocabulary.
from geo.codes import (  # noqa: F401 - re-exported
    LEVELS,
    CodeLevel,
    CodeValidator,
    check_code_prefix,
    code_parent,
    code_regex,
)
from geo.errors import BadRequest
from geo.params import float_parse

# --- household bands ---------------------------------------------------------------------------


class Band(NamedTuple):
    """An inclusive household band: under below `min`, over above `max`, ok in between."""

    min: int
    max: int

    def status(self, households: int) -> str:
        if households < self.min:
            return "under"
        if households > self.max:
            return "over"
        return "ok"

    def as_sql_params(self, prefix: str) -> dict:
        """The band as a SQL file's %(<prefix>_min)s and %(<prefix>_max)s parameters."""
        return {f"{prefix}_min": self.min, f"{prefix}_max": self.max}


def grid_band() -> Band:
    """GRIDATLAS_GRID_HOUSEHOLDS_MIN–MAX."""
    return Band(settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN, settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX)


def microgrid_band() -> Band:
    """GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN–MAX."""
    return Band(
        settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN, settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX
    )


def band_of(level: str) -> Band:
    """The band of a "grid" or "microgrid"."""
    return {"grid": grid_band, "microgrid": microgrid_band}[level]()


# --- codes -------------------------------------------------------------------------------------


def is_code(level: str, raw) -> bool:
    """Whether `raw` is a code of `level`: ASCII digits ("²".isdigit() is true), its length."""
    digits = LEVELS[level].digits
    return isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) == digits


def code_parse(level: str, raw: str | None, *, name: str | None = None) -> str | None:
    """A code of `level` from request input, None when absent or blank, else BadRequest naming
    the parameter, the length and an example."""
    if raw is None or not raw.strip():
        return None
    if not is_code(level, raw):
        lvl = LEVELS[level]
        raise BadRequest(
            f"{name or level} must be a {lvl.digits}-digit {level} code, e.g. {lvl.example}, "
            f"not {raw[:40]!r}",
            parameter=name or level,
        )
    return raw


# --- walking distances -------------------------------------------------------------------------


class Walk(NamedTuple):
    minutes: int
    metres: float


def walks() -> tuple[Walk, ...]:
    """The 5-, 10- and 15-minute life circles (GB 50180-2018), GRIDATLAS_WALK_<N>MIN_M."""
    return (
        Walk(5, float(settings.GRIDATLAS_WALK_5MIN_M)),
        Walk(10, float(settings.GRIDATLAS_WALK_10MIN_M)),
        Walk(15, float(settings.GRIDATLAS_WALK_15MIN_M)),
    )


def default_walk_m() -> float:
    """The distance an analysis uses when none is given: the 10-minute walk."""
    return float(settings.GRIDATLAS_WALK_10MIN_M)


def detour_factor() -> float:
    """Straight line × this = the estimated walk (GRIDATLAS_WALK_DETOUR_FACTOR)."""
    return float(settings.GRIDATLAS_WALK_DETOUR_FACTOR)


def walk_distance_check(value: float, *, name: str = "distance") -> float:
    """A walking distance in metres an analysis accepts: finite, at least
    GRIDATLAS_ANALYSIS_MIN_DISTANCE_M (a 1e-300 m radius overflows the siting grid), at most
    GRIDATLAS_ANALYSIS_MAX_DISTANCE_M; else BadRequest. The views and the commands share it."""
    low = settings.GRIDATLAS_ANALYSIS_MIN_DISTANCE_M
    high = settings.GRIDATLAS_ANALYSIS_MAX_DISTANCE_M
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise BadRequest(f"{name} must be more than 0 metres, not {value!r}", parameter=name)
    if value < low:
        raise BadRequest(f"{name} must be at least {low:g} metres, not {value:g}", parameter=name)
    if value > high:
        raise BadRequest(
            f"{name} must be more than 0 and at most {high:g} metres (out of range: {value:g})",
            parameter=name,
        )
    return float(value)


def walk_distance_parse(raw: str | None, *, name: str = "distance") -> float:
    """?distance= in metres: the 10-minute walk when absent, else `walk_distance_check`."""
    value = float_parse(
        raw,
        name=name,
        low=0,
        low_inclusive=False,
        high=settings.GRIDATLAS_ANALYSIS_MAX_DISTANCE_M,
        unit="metres",
        default=default_walk_m(),
    )
    return walk_distance_check(value, name=name)


# --- coordinate ranges -------------------------------------------------------------------------

LON_LIMIT_DEG, LAT_LIMIT_DEG = 180.0, 90.0
# Plausible lon/lat for China (with a margin): a projected coordinate sent as degrees lands far
# outside, which is the commonest "wrong coordinate system" mistake.
CHINA_BOUNDS_LONLAT = (70.0, 15.0, 140.0, 56.0)


def lonlat_valid(lon, lat):
    """Finite degrees within ±180 / ±90: a bool, or a mask for arrays."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lon) & np.isfinite(lat)
        ok &= (np.abs(lon) <= LON_LIMIT_DEG) & (np.abs(lat) <= LAT_LIMIT_DEG)
    return bool(ok) if ok.ndim == 0 else ok


def lonlat_in_china(lon, lat):
    """Inside CHINA_BOUNDS_LONLAT: a bool, or a mask for arrays (NaN is outside)."""
    x0, y0, x1, y1 = CHINA_BOUNDS_LONLAT
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return bool(ok) if ok.ndim == 0 else ok


def lonlat_box_valid(west: float, south: float, east: float, north: float) -> bool:
    """A lon/lat box whose corners are valid degrees, min before max."""
    corners = bool(lonlat_valid([west, east], [south, north]).all())
    return corners and west <= east and south <= north


def lonlat_check(lon: float, lat: float) -> None:
    """The point a user asks about: degrees in range, not (0, 0), in China; else BadRequest.
    (0, 0) is what a phone sends without a GPS fix, and a point outside China is a wrong
    coordinate system or swapped lon/lat: a grid "12,324 km away" would be sent as an answer."""
    for name, value, limit in (("lon", lon, LON_LIMIT_DEG), ("lat", lat, LAT_LIMIT_DEG)):
        if not math.isfinite(value) or abs(value) > limit:
            raise BadRequest(
                f"{name}={value:g} is out of range (-{limit:g} to {limit:g} degrees)",
                parameter=name,
            )
    if lon == 0 and lat == 0:
        raise BadRequest(
            "lon=0, lat=0 is what a GPS sends before it has a fix: wait for the location, or "
            "type the address as ?q=…"
        )
    if not lonlat_in_china(lon, lat):
        x0, y0, x1, y1 = CHINA_BOUNDS_LONLAT
        raise BadRequest(
            f"lon={lon:g}, lat={lat:g} is not in China (lon {x0:g} to {x1:g}, lat {y0:g} to "
            f"{y1:g} degrees): are lon and lat swapped, or in another coordinate system?"
        )


# --- the map's home view -----------------------------------------------------------------------


class MapHome(NamedTuple):
    """Where a map opens when it has nothing else to show: (lon, lat) in EPSG:4326 degrees at a
    MapLibre zoom (512-pixel tiles). From the city profile: a point on the loaded city at a zoom
    that fits it, or GRIDATLAS_MAP_CENTRE / _ZOOM when set (geo/city_profile.py)."""

    lon: float
    lat: float
    zoom: float


def map_home() -> MapHome:
    profile = city_profile()
    return MapHome(*profile.centre, profile.zoom)


def map_home_data() -> dict:
    """The home view as page data: a map element's data-map-centre="lon,lat" and data-map-zoom,
    which offline_maplibre.js's gridatlasMapHome reads."""
    home = map_home()
    return {"centre": f"{home.lon!r},{home.lat!r}", "zoom": f"{home.zoom:g}"}


def map_home_context(request) -> dict:
    """Template context processor: `map_home` on every page that draws a map."""
    return {"map_home": map_home_data()}

"""The city GridAtlas serves, read from its data rather than assumed (issue 15): its code and
name, the extent of what is loaded, where the maps open, and the projected CRS for metres.

    >>> p = city_profile()                     # doctest: +SKIP
    >>> p.code, p.name, p.metric_srid, p.source["metric_srid"]
    ('4203', '十堰市', 4546, 'data')

The rules it keeps:
- The city is the 4-digit prefix of the loaded districts (the 6-digit district when the city has
  only one). Several cities loaded (the demo and a new district): the one GRIDATLAS_CITY_CODE
  names, when it is loaded, else the one with the most communities; its own bounds, never a box
  around two cities, so a map opens on data. `cities_loaded()` lists them all, each with its box.
- The name is the city's from the national division list (geo/division_list.py), else the
  stored name of its first district; with one district loaded too, so the demo (江岸区 alone at
  the tiny and small scales) still reads 武汉市. `district_name` of `cities_loaded()` has the
  district's.
- The metric CRS is the CGCS2000 3-degree Gauss-Krüger zone of the middle of the city's box
  (geo.gk_zones.gk3_zone_srid). The scale error grows as (Δλ·cos φ)²/2 with the distance Δλ from
  the zone's meridian: inside the zone (Δλ ≤ 1.5°) a length is off by at most 0.03 % and an
  area 0.06 % (at 18°N; less farther north). Data reaching into the next zones (a province) is
  off by about 0.5 % in area 4.5° away and 0.9 % 6° away: set GRIDATLAS_METRIC_SRID, or load
  one city per instance.
- Each GRIDATLAS_CITY_CODE, _CITY_NAME, _METRIC_SRID, _MAP_CENTRE, _MAP_ZOOM that is set overrides
  its one field; `source` says, per field, "data", "setting" or "fallback" (nothing loaded and
  nothing set: Wuhan's values, so an empty install still opens somewhere sensible).
- Fresh enough and cheap: the data is read once per GRIDATLAS_CITY_PROFILE_TTL_S per process (one
  statement, cities_loaded.sql) and forgotten at once by `city_profile_forget()` after an import
  or a demo load in this process; other processes see the change within the TTL. A setting
  changed at run time (override_settings) derives the profile again (`setting_changed`). A cached
  call is a clock read and two dict look-ups (metric_srid() sits on hot paths).

No model import: geo must not depend on layers, so the SQL names the tables itself.
"""

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, connection, transaction
from django.dispatch import receiver

from geo import division_list
from geo.gk_zones import gk3_central_meridian, gk3_zone_srid
from geo.sql import sql_text

SQL_DIR = Path(__file__).resolve().parent / "sql"

# With nothing loaded and nothing set: Wuhan, the demo city (EPSG:4547 is its zone, CM 114E).
FALLBACK_CODE, FALLBACK_NAME = "4201", "武汉市"
FALLBACK_CENTRE, FALLBACK_ZOOM = (114.30, 30.59), 11.0

# The opening zoom fits the city's box into a typical desktop map (CSS pixels, 512-pixel tiles as
# MapLibre counts zooms), kept between a province and a few blocks.
VIEW_PX = (1024, 640)
VIEW_PADDING = 0.9  # the box fills 90 % of the view
TILE_PX = 512
ZOOM_RANGE = (4.0, 16.0)

SETTING_OF = {
    "code": "GRIDATLAS_CITY_CODE",
    "name": "GRIDATLAS_CITY_NAME",
    "metric_srid": "GRIDATLAS_METRIC_SRID",
    "centre": "GRIDATLAS_MAP_CENTRE",
    "zoom": "GRIDATLAS_MAP_ZOOM",
}

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class CityLoaded:
    """One city of the loaded data (a 4-digit prefix of the district codes)."""

    code: str  # 4 digits
    name: str
    districts: int
    communities: int
    bounds: Bounds | None  # [west, south, east, north] degrees; None without geometries
    centre: tuple[float, float] | None  # lon, lat of a point on its streets near the box's middle
    district_code: str | None  # the only district's, when there is one
    district_name: str | None


@dataclass(frozen=True)
class CityProfile:
    code: str  # 4 digits, or 6 when the city has one district loaded
    name: str
    bounds: Bounds | None  # the city's; None when nothing is loaded
    centre: tuple[float, float]  # lon, lat (EPSG:4326)
    zoom: float  # MapLibre zoom (512-pixel tiles)
    metric_srid: int
    source: dict[str, str] = field(default_factory=dict)  # field → "data" | "setting" | "fallback"

    @property
    def city_code(self) -> str:
        """The city's 4 digits, also when `code` is its one district's."""
        return self.code[:4]

    @property
    def zone_cm(self) -> int | None:
        """The central meridian (degrees east) of a Gauss-Krüger metric CRS, else None."""
        return gk3_central_meridian(self.metric_srid)

    @property
    def zone_label(self) -> str:
        """How the import and download pages name the metric CRS, e.g. "CGCS2000 3° Gauss-Krüger
        CM 111E"; another projected CRS (a setting) by its EPSG code."""
        cm = gk3_central_meridian(self.metric_srid)
        if cm is None:
            return f"EPSG:{self.metric_srid}"
        return f"CGCS2000 3° Gauss-Krüger CM {cm}E"


# --- reading the data --------------------------------------------------------------------------


def _cities_read() -> list[CityLoaded] | None:
    """The loaded cities, or None when the tables cannot be read (before `migrate`, no database):
    then the profile falls back and nothing is cached."""
    try:
        # A savepoint, so that a failure leaves the caller's transaction usable.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql_text(SQL_DIR / "cities_loaded.sql"))
            rows = cur.fetchall()
    except DatabaseError:
        return None
    cities = []
    for code, districts, communities, d_code, d_name, *box, c_lon, c_lat in rows:
        single = districts == 1
        entry = division_list.division(d_code)
        d_name = entry.name if entry else d_name  # the list's name before the stored one
        cities.append(
            CityLoaded(
                code=code,
                name=division_list.city_name(code) or d_name,
                districts=districts,
                communities=communities,
                bounds=None if box[0] is None else tuple(round(v, 6) for v in box),
                centre=None if c_lon is None else (round(c_lon, 6), round(c_lat, 6)),
                district_code=d_code if single else None,
                district_name=d_name if single else None,
            )
        )
    return cities


_lock = threading.Lock()
_cache: dict = {}  # "cities": (expires on time.monotonic(), list); "profile": CityProfile


def city_profile_forget() -> None:
    """Read the data again on the next call (after an import or a demo load)."""
    with _lock:
        _cache.clear()


def cities_loaded() -> list[CityLoaded]:
    """Every city with loaded districts, by code, each with its own bounds (for a city switch)."""
    return list(_cities_cached() or [])


def _cities_cached() -> list[CityLoaded] | None:
    now = time.monotonic()
    found = _cache.get("cities")
    if found is not None and found[0] > now:
        return found[1]
    cities = _cities_read()
    if cities is not None:
        with _lock:
            _cache.clear()  # the profiles were derived from the old data
            _cache["cities"] = (now + settings.GRIDATLAS_CITY_PROFILE_TTL_S, cities)
    return cities


# --- the profile ------------------------------------------------------------------------------


def city_profile() -> CityProfile:
    """The profile of the city this instance serves (see the module docstring)."""
    cities = _cities_cached()
    profile = _cache.get("profile")
    if profile is None or cities is None:
        overrides = {field: getattr(settings, name) for field, name in SETTING_OF.items()}
        profile = profile_from(cities or [], overrides)
        if cities is not None:
            _cache["profile"] = profile
    return profile


@receiver(setting_changed)
def _setting_changed(*, setting, **kwargs) -> None:
    # override_settings and tests change a setting at run time: derive the profile again.
    if setting in SETTING_OF.values():
        _cache.pop("profile", None)


def city_chosen(cities: list[CityLoaded], code: str | None) -> CityLoaded | None:
    """The city the maps open on: `code`'s when loaded, else the one with the most communities
    (then districts; then the lower code, so the answer never flips)."""
    located = [c for c in cities if c.bounds is not None] or cities
    named = [c for c in located if code and c.code == code]
    if named:
        return named[0]
    return min(located, key=lambda c: (-c.communities, -c.districts, c.code), default=None)


def profile_from(cities: list[CityLoaded], overrides: dict) -> CityProfile:
    """The profile from the loaded cities and the settings that are set (None: not set)."""
    city = city_chosen(cities, overrides["code"])
    values, source = {}, {}
    for name, from_data, fallback in (
        ("code", city and (city.district_code or city.code), FALLBACK_CODE),
        ("name", city and city.name, FALLBACK_NAME),
        ("centre", city and city.centre, FALLBACK_CENTRE),
        ("zoom", city and city.bounds and zoom_to_fit(city.bounds), FALLBACK_ZOOM),
    ):
        found = (overrides[name], "setting"), (from_data, "data"), (fallback, "fallback")
        values[name], source[name] = next((v, s) for v, s in found if v is not None)
    set_code = overrides["code"]
    if set_code and source["name"] != "setting" and not (city and city.code == set_code):
        # The city the setting names is not loaded: its name from the list, not another city's.
        values["name"] = division_list.city_name(set_code) or set_code
        source["name"] = "setting"
    bounds = city.bounds if city else None
    source["bounds"] = "data" if bounds else "fallback"
    srid, source["metric_srid"] = _metric_srid(bounds, values["centre"], source, overrides)
    return CityProfile(
        code=values["code"],
        name=values["name"],
        bounds=bounds,
        centre=(float(values["centre"][0]), float(values["centre"][1])),
        zoom=float(values["zoom"]),
        metric_srid=int(srid),
        source=source,
    )


def _metric_srid(bounds, centre, source: dict, overrides: dict) -> tuple[int, str]:
    """The zone of the data's middle (with no data, of wherever the maps open) and where it
    came from; the setting when set."""
    if overrides["metric_srid"]:
        return overrides["metric_srid"], "setting"
    if bounds:
        return gk3_zone_srid((bounds[0] + bounds[2]) / 2), "data"
    # No data: the zone of the centre, a setting's when one is set.
    return gk3_zone_srid(centre[0]), "setting" if source["centre"] == "setting" else "fallback"


def city_profile_context(request) -> dict:
    """Template context processor: `city_profile` (name, code, metric_srid, zone_cm) on every
    page, so that a page names the city's metric CRS (the import and download choices)."""
    return {"city_profile": city_profile()}


def zoom_to_fit(bounds: Bounds) -> float:
    """The MapLibre zoom (512-pixel tiles, Web Mercator) at which `bounds` fills VIEW_PADDING of
    a VIEW_PX map, rounded down to a tenth and kept within ZOOM_RANGE."""
    west, south, east, north = bounds
    width_px, height_px = (VIEW_PADDING * v for v in VIEW_PX)
    span_x = max(east - west, 1e-9) / 360  # of the world's width
    y = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    span_y = max(y(north) - y(south), 1e-9) / (2 * math.pi)
    zoom = math.log2(min(width_px / span_x, height_px / span_y) / TILE_PX)
    lo, hi = ZOOM_RANGE
    return min(max(math.floor(zoom * 10) / 10, lo), hi)

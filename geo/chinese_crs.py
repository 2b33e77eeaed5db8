"""GCJ-02 and BD-09, the coordinate systems of Chinese web maps, to and from WGS84.

We store WGS84 lon/lat degrees (STORAGE_SRID; CGCS2000 is taken as equal, see geo.srid). Chinese
web maps publish other coordinates, and this module is the only place that converts them
(docs/style.md habit 3: at the import and lookup edges only):

- **GCJ-02** ("Mars coordinates", 火星坐标), the national obfuscation every map licensed in China
  must apply: AMap/高德, Tencent/腾讯, Google's China tiles. It shifts a point by a smooth but
  deliberately irregular offset of a few hundred metres (about 300–600 m around Wuhan).
- **BD-09** (百度坐标), Baidu's own second layer on top of GCJ-02: a further ~600–700 m shift.

Neither is an EPSG CRS, and PROJ does not know them. The formulas below are the well-known
published ones (reverse-engineered, used by every open-source converter), written out here with
their constants explained. Only the forward directions exist in closed form; the inverses are
solved by iteration to a tenth of a millimetre, far below a GPS fix or a boundary's tolerance.

The outside-China rule: GCJ-02 is applied only inside a rough bounding box of China,
lon 72.004–137.8347 E, lat 0.8293–55.8271 N (the common `out_of_china` test); outside it, GCJ-02
coordinates *are* WGS84. The box is generous: its edges run through neighbouring countries and
the sea, never through China, so the jump at the edge never affects Chinese data. BD-09 has no
such rule in the published formula: its shift applies everywhere.

Units: degrees in and out, longitude first (x, y), as in GeoJSON and PostGIS.

>>> lon, lat = gcj02_from_wgs84(114.305, 30.593)   # Wuhan
>>> [round(v, 6) for v in wgs84_from_gcj02(lon, lat)]
[114.305, 30.593]
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geo.errors import BadRequest

# --- constants ---------------------------------------------------------------------------------

# GCJ-02 converts its offsets from metres to degrees on the Krasovsky 1940 ellipsoid (the
# ellipsoid of the Soviet-era Beijing 1954 datum), not on WGS84's:
KRASOVSKY_A_M = 6378245.0  # semi-major axis a, metres
KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared e² = (a² - b²) / a²

# BD-09 wobbles its radius and angle with a period of 180/3000 = 0.06°: x_pi = π·3000/180 is the
# factor that turns a coordinate in degrees into that phase, in radians.
BD09_X_PI = math.pi * 3000.0 / 180.0
# BD-09's constant shift, degrees (≈ 620 m east, 670 m north at Wuhan) on top of the wobble.
BD09_DLON_DEG = 0.0065
BD09_DLAT_DEG = 0.006

# The outside-China rule's box, degrees (see the module docstring).
CHINA_LON_MIN, CHINA_LON_MAX = 72.004, 137.8347
CHINA_LAT_MIN, CHINA_LAT_MAX = 0.8293, 55.8271

# The inverses stop when the forward transform of the estimate matches the input this closely:
# 1e-9° is 0.1 mm on the ground. The iteration contracts by a factor of ~150 per step, so 3
# steps suffice; the cap only guards against a pathological input.
INVERSE_TOLERANCE_DEG = 1e-9
INVERSE_MAX_ITERATIONS = 10

# Names the API accepts for `crs` (case-insensitive), each mapped to its system. CGCS2000 is taken
# as WGS84 (they differ by centimetres); AMap and Tencent publish GCJ-02; Baidu publishes BD-09.
CRS_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "gcj02": "gcj02",
    "bd09": "bd09",
    "cgcs2000": "wgs84",
    "amap": "gcj02",
    "tencent": "gcj02",
    "baidu": "bd09",
}
# For the API docs and error messages: the three systems first, then their aliases.
CHINESE_CRS: tuple[str, ...] = tuple(CRS_ALIASES)


# --- the formulas, written once for floats and for numpy arrays --------------------------------


@dataclass(frozen=True)
class _Ops:
    """The maths the formulas need: `math` for one point (fast on floats), numpy for arrays."""

    sin: Callable
    cos: Callable
    sqrt: Callable
    atan2: Callable
    abs: Callable
    max_abs: Callable  # largest |value|, as a float: the inverses' convergence test


_SCALAR = _Ops(math.sin, math.cos, math.sqrt, math.atan2, math.fabs, math.fabs)
_ARRAY = _Ops(
    np.sin,
    np.cos,
    np.sqrt,
    np.arctan2,
    np.abs,
    lambda a: float(np.max(np.abs(a))) if a.size else 0.0,
)


def _gcj02_shift_deg(lon, lat, ops: _Ops):
    """The (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 point, ignoring the China box.

    The offset is first computed in metres-like units from x = lon - 105, y = lat - 35 (the
    origin is roughly China's centre). It is a low-order polynomial (the bulk of the offset, a
    few hundred metres) plus sines of periods from 1/3° to 60°, whose only purpose is to make the
    offset hard to model; every coefficient is part of the published formula, not derived.
    """
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    # Shared by both axes: the short-period wobble along the longitude (periods 1/3° and 1°).
    wobble = (20.0 * ops.sin(6.0 * x * pi) + 20.0 * ops.sin(2.0 * x * pi)) * 2.0 / 3.0
    north_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * ops.sqrt(ops.abs(x))
    north_m = north_m + wobble
    north_m = north_m + (20.0 * ops.sin(y * pi) + 40.0 * ops.sin(y / 3.0 * pi)) * 2.0 / 3.0
    north_m = north_m + (160.0 * ops.sin(y / 12.0 * pi) + 320.0 * ops.sin(y / 30.0 * pi)) * 2 / 3
    east_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * ops.sqrt(ops.abs(x))
    east_m = east_m + wobble
    east_m = east_m + (20.0 * ops.sin(x * pi) + 40.0 * ops.sin(x / 3.0 * pi)) * 2.0 / 3.0
    east_m = east_m + (150.0 * ops.sin(x / 12.0 * pi) + 300.0 * ops.sin(x / 30.0 * pi)) * 2.0 / 3.0

    # Metres to degrees on the Krasovsky ellipsoid, at the point's latitude φ. With
    # W² = 1 - e² sin²φ, a degree of latitude is M·π/180 metres, M = a(1 - e²)/W³ the meridian's
    # radius of curvature; a degree of longitude is N·cosφ·π/180 metres, N = a/W the prime
    # vertical's radius of curvature.
    phi = lat * (pi / 180.0)
    sin_phi = ops.sin(phi)
    w2 = 1.0 - KRASOVSKY_EE * sin_phi * sin_phi
    w = ops.sqrt(w2)
    meridian_m = KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE) / (w2 * w)
    prime_vertical_m = KRASOVSKY_A_M / w
    dlat = north_m * 180.0 / (meridian_m * pi)
    dlon = east_m * 180.0 / (prime_vertical_m * ops.cos(phi) * pi)
    return dlon, dlat


def _gcj02_raw(lon, lat, ops: _Ops):
    """WGS84 → GCJ-02 without the China box (the inverse iterates on this smooth function)."""
    dlon, dlat = _gcj02_shift_deg(lon, lat, ops)
    return lon + dlon, lat + dlat


def _bd09_raw(lon, lat, ops: _Ops):
    """GCJ-02 → BD-09: in polar coordinates about (0°, 0°), taken naively in degrees, the radius
    grows by up to 2e-5° (~2 m) with the latitude and the angle by up to 3e-6 rad (~40 m at
    Wuhan's radius of ~118°) with the longitude; then the constant (0.0065°, 0.006°) shift."""
    radius = ops.sqrt(lon * lon + lat * lat) + 0.00002 * ops.sin(lat * BD09_X_PI)
    theta = ops.atan2(lat, lon) + 0.000003 * ops.cos(lon * BD09_X_PI)
    return radius * ops.cos(theta) + BD09_DLON_DEG, radius * ops.sin(theta) + BD09_DLAT_DEG


def _bd09_first_guess(lon, lat, ops: _Ops):
    """BD-09 → GCJ-02 as usually published: the forward steps undone in reverse order, but with
    the wobble evaluated at the BD-09 point instead of the unknown GCJ-02 one, so it is off by up
    to ~0.2 m. Good enough as the starting point of the exact inverse."""
    x = lon - BD09_DLON_DEG
    y = lat - BD09_DLAT_DEG
    radius = ops.sqrt(x * x + y * y) - 0.00002 * ops.sin(y * BD09_X_PI)
    theta = ops.atan2(y, x) - 0.000003 * ops.cos(x * BD09_X_PI)
    return radius * ops.cos(theta), radius * ops.sin(theta)


def _invert(forward, lon, lat, guess_lon, guess_lat, ops: _Ops):
    """Solve forward(est) = (lon, lat) for est by fixed-point iteration from the guess.

    est ← est - (forward(est) - target). The error shrinks each step by the forward's deviation
    from a pure translation, |∂offset/∂position|, which is below 1e-2 for both GCJ-02 and
    BD-09 (measured over China: ~1/150): each step gains about two digits.
    """
    est_lon, est_lat = guess_lon, guess_lat
    for _ in range(INVERSE_MAX_ITERATIONS):
        fwd_lon, fwd_lat = forward(est_lon, est_lat, ops)
        res_lon, res_lat = fwd_lon - lon, fwd_lat - lat
        if max(ops.max_abs(res_lon), ops.max_abs(res_lat)) < INVERSE_TOLERANCE_DEG:
            break
        est_lon, est_lat = est_lon - res_lon, est_lat - res_lat
    return est_lon, est_lat


def _wgs84_from_gcj02_raw(lon, lat, ops: _Ops):
    # First-order guess: subtract the offset evaluated at the GCJ-02 point itself, instead of at
    # the unknown WGS84 one (up to ~5 m off across China; the usual published "inverse").
    dlon, dlat = _gcj02_shift_deg(lon, lat, ops)
    return _invert(_gcj02_raw, lon, lat, lon - dlon, lat - dlat, ops)


def _gcj02_from_bd09_raw(lon, lat, ops: _Ops):
    guess_lon, guess_lat = _bd09_first_guess(lon, lat, ops)
    return _invert(_bd09_raw, lon, lat, guess_lon, guess_lat, ops)


def _in_china(lon: float, lat: float) -> bool:
    return CHINA_LON_MIN <= lon <= CHINA_LON_MAX and CHINA_LAT_MIN <= lat <= CHINA_LAT_MAX


def _in_china_mask(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    in_lon = (lon >= CHINA_LON_MIN) & (lon <= CHINA_LON_MAX)
    return in_lon & (lat >= CHINA_LAT_MIN) & (lat <= CHINA_LAT_MAX)


# --- input checks ------------------------------------------------------------------------------


def _bad_value(name: str, value: float, where: str = "") -> BadRequest | None:
    limit = 180.0 if name == "longitude" else 90.0
    if not math.isfinite(value):
        return BadRequest(f"{where}{name} {value} is not a finite number of degrees")
    if abs(value) > limit:
        hint = " (are longitude and latitude swapped?)" if name == "latitude" else ""
        return BadRequest(
            f"{where}{name} {value!r} is out of range: it must be within "
            f"-{limit:g} to {limit:g} degrees{hint}"
        )
    return None


def _checked_point(lon, lat) -> tuple[float, float]:
    out = []
    for name, raw in (("longitude", lon), ("latitude", lat)):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise BadRequest(f"{name} {raw!r} is not a number of degrees") from None
        if error := _bad_value(name, value):
            raise error
        out.append(value)
    return out[0], out[1]


def _checked_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    try:
        lon = np.array(lons, dtype=np.float64)  # a copy: the caller's arrays are never written
        lat = np.array(lats, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"coordinates must be numbers of degrees ({exc})") from None
    if lon.shape != lat.shape:
        raise BadRequest(
            f"{lon.size} longitudes but {lat.size} latitudes: give one of each per point"
        )
    for name, values, limit in (("longitude", lon, 180.0), ("latitude", lat, 90.0)):
        bad = ~(np.abs(values) <= limit)  # NaN compares False, so it lands here too
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            where = f"point {i} (counting from 0): "
            raise _bad_value(name, float(values.ravel()[i]), where)  # type: ignore[misc]
    return lon, lat


# --- the public conversions, one point ---------------------------------------------------------


def gcj02_from_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02, degrees. Outside China's box the point is returned unchanged."""
    lon, lat = _checked_point(lon, lat)
    if not _in_china(lon, lat):
        return lon, lat
    return _gcj02_raw(lon, lat, _SCALAR)


def wgs84_from_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS84, degrees, exact to ~0.1 mm (iterative). Unchanged outside China's box.

    The box is tested on the GCJ-02 input: the only ambiguity is a ~1 km band along the box's
    edges, which lie outside China (see the module docstring).
    """
    lon, lat = _checked_point(lon, lat)
    if not _in_china(lon, lat):
        return lon, lat
    return _wgs84_from_gcj02_raw(lon, lat, _SCALAR)


def bd09_from_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09, degrees (applied everywhere: BD-09 has no outside-China rule)."""
    lon, lat = _checked_point(lon, lat)
    return _bd09_raw(lon, lat, _SCALAR)


def gcj02_from_bd09(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02, degrees, exact to ~0.1 mm (the published closed form, refined)."""
    lon, lat = _checked_point(lon, lat)
    return _gcj02_from_bd09_raw(lon, lat, _SCALAR)


def wgs84_from_bd09(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02 → WGS84, degrees."""
    lon, lat = gcj02_from_bd09(lon, lat)
    if not _in_china(lon, lat):
        return lon, lat
    return _wgs84_from_gcj02_raw(lon, lat, _SCALAR)


def bd09_from_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 → BD-09, degrees."""
    lon, lat = gcj02_from_wgs84(lon, lat)
    return _bd09_raw(lon, lat, _SCALAR)


# --- the public conversions, numpy arrays (batch import and lookup) ----------------------------
# Each takes array-likes of equal shape and returns new float64 arrays of that shape.


def _gcj02_from_wgs84_arr(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out_lon, out_lat = lon.copy(), lat.copy()
    inside = _in_china_mask(lon, lat)  # outside the box: left as they are
    out_lon[inside], out_lat[inside] = _gcj02_raw(lon[inside], lat[inside], _ARRAY)
    return out_lon, out_lat


def _wgs84_from_gcj02_arr(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out_lon, out_lat = lon.copy(), lat.copy()
    inside = _in_china_mask(lon, lat)
    out_lon[inside], out_lat[inside] = _wgs84_from_gcj02_raw(lon[inside], lat[inside], _ARRAY)
    return out_lon, out_lat


def gcj02_from_wgs84_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 for arrays of degrees; points outside China's box are unchanged."""
    return _gcj02_from_wgs84_arr(*_checked_arrays(lons, lats))


def wgs84_from_gcj02_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 for arrays of degrees (iterative, all points together)."""
    return _wgs84_from_gcj02_arr(*_checked_arrays(lons, lats))


def bd09_from_gcj02_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 for arrays of degrees."""
    return _bd09_raw(*_checked_arrays(lons, lats), _ARRAY)


def gcj02_from_bd09_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 for arrays of degrees."""
    return _gcj02_from_bd09_raw(*_checked_arrays(lons, lats), _ARRAY)


def wgs84_from_bd09_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 → WGS84 for arrays of degrees."""
    return _wgs84_from_gcj02_arr(*_gcj02_from_bd09_raw(*_checked_arrays(lons, lats), _ARRAY))


def bd09_from_wgs84_many(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 → BD-09 for arrays of degrees."""
    return _bd09_raw(*_gcj02_from_wgs84_arr(*_checked_arrays(lons, lats)), _ARRAY)


# --- the dispatchers the import and lookup edges call ------------------------------------------


def canonical_crs(crs: str) -> str:
    """'wgs84', 'gcj02' or 'bd09' for any accepted name (case-insensitive); else BadRequest."""
    key = crs.strip().lower() if isinstance(crs, str) else crs
    if key not in CRS_ALIASES:
        raise BadRequest(
            f"unknown coordinate system {crs!r}: use one of {', '.join(CHINESE_CRS)} "
            "(AMap and Tencent coordinates are gcj02, Baidu's are bd09, GPS and CGCS2000 wgs84)"
        )
    return CRS_ALIASES[key]


def to_wgs84(lon: float, lat: float, *, crs: str) -> tuple[float, float]:
    """A point given in `crs` (any name in CHINESE_CRS), as WGS84 lon/lat degrees.

    Raises BadRequest for an unknown `crs` and for a non-finite or out-of-range coordinate.
    """
    system = canonical_crs(crs)
    if system == "gcj02":
        return wgs84_from_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_from_bd09(lon, lat)
    return _checked_point(lon, lat)


def to_wgs84_many(lons, lats, *, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of points given in `crs`, as new float64 arrays of WGS84 lon/lat degrees."""
    system = canonical_crs(crs)
    if system == "gcj02":
        return wgs84_from_gcj02_many(lons, lats)
    if system == "bd09":
        return wgs84_from_bd09_many(lons, lats)
    return _checked_arrays(lons, lats)

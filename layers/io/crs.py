"""Which coordinate system a file is in, and its geometries brought to STORAGE_SRID.

Order of authority: what the user declares (`--crs`), then what the file embeds (.prj, GeoPackage
or GeoJSON CRS), then nothing — accepted only when the coordinates are plausibly degrees.

- CGCS2000 geographic (EPSG:4490) is taken as WGS84 unchanged (geo.srid: centimetres apart).
- CGCS2000 Gauss-Krüger (EPSG:4491–4554) comes in two flavours: with the zone number prefixed to
  the easting (x = 38 500 000 in 3-degree zone 38) and without (x = 500 000, named by central
  meridian). Cities mix them up constantly: a .prj saying "CM 114E" over x values with a "38"
  prefix. The easting tells which one the data really uses, so the false easting is corrected
  to match it before projecting.
- GCJ-02 and BD-09 cannot be detected from the data; when declared, geo.chinese_crs (the one
  module that knows them) converts the coordinates.
"""

import re
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.chinese_crs import CRS_ALIASES, canonical_crs, to_wgs84_many
from geo.city_profile import city_profile
from geo.domain import lonlat_box_valid
from geo.errors import BadRequest
from geo.srid import CGCS2000_SRID, STORAGE_SRID

ZONE_PREFIX_MIN_X_M = 1e7  # an easting this large carries a zone prefix (zone ≥ 10)
GK_3DEG_PREFIXED = range(4513, 4534)  # zones 25–45
GK_6DEG_PREFIXED = range(4491, 4502)  # zones 13–23
GK_3DEG_CM = range(4534, 4555)  # the same zones named by central meridian, 75E–135E
GK_6DEG_CM = range(4502, 4513)
GK_FIRST_CM_DEG = 75  # central meridian of the first zone named by meridian


@dataclass
class CrsPlan:
    """How to bring a file's coordinates to STORAGE_SRID, and what to tell the user about it."""

    source: CRS | None  # projected or geographic CRS to transform from; None: already lon/lat
    chinese: str | None = None  # "gcj02" or "bd09", converted after the datum step
    label: str = ""
    notes: list[str] = field(default_factory=list)


def _storage_crs() -> CRS:
    return CRS.from_epsg(STORAGE_SRID)


# What a user may declare. Only EPSG codes and names: a PROJ string, WKT, URL or file path could
# make PROJ/GDAL open grid files or the network (+nadgrids=…, +init=…), so none is ever parsed.
CRS_ACCEPTED_HELP = (
    "wgs84, cgcs2000, gcj02 (AMap/Tencent), bd09 (Baidu); a CGCS2000 Gauss-Krüger zone "
    "EPSG:4491–EPSG:4554, or by central meridian gk3:114 / gk6:117; or any geographic or "
    "projected EPSG code such as EPSG:4326, EPSG:4490, EPSG:3857"
)
_EPSG_TEXT = re.compile(r"(?:epsg:)?(\d{1,6})")
_GK_TEXT = re.compile(r"gk([36]):(\d{2,3})")


def crs_epsg_parse(*, text: str) -> int:
    """The EPSG code a user's `EPSG:n`, `n`, `gk3:CM` or `gk6:CM` names, checked to be a 2-D
    geographic or projected CRS that PROJ knows; BadRequest listing what is accepted otherwise."""
    key = text.strip().lower()
    gk = _GK_TEXT.fullmatch(key)
    if gk:
        width, cm = int(gk[1]), int(gk[2])
        zones = GK_3DEG_CM if width == 3 else GK_6DEG_CM
        zone, rest = divmod(cm - GK_FIRST_CM_DEG, width)
        if rest == 0 and cm >= GK_FIRST_CM_DEG and zone < len(zones):
            return zones[zone]
        raise BadRequest(
            f"{text.strip()!r}: no CGCS2000 {width}-degree Gauss-Krüger zone has central meridian "
            f"{cm}E ({'75, 78, … 135' if width == 3 else '75, 81, … 135'}). Accepted: "
            f"{CRS_ACCEPTED_HELP}",
            crs=text,
        )
    match = _EPSG_TEXT.fullmatch(key)
    crs = None
    if match:
        try:
            crs = CRS.from_epsg(int(match[1]))
        except CRSError:
            crs = None
    if crs is None or len(crs.axis_info) != 2 or not (crs.is_geographic or crs.is_projected):
        raise BadRequest(
            f"unknown coordinate system {text.strip()[:80]!r}: accepted are {CRS_ACCEPTED_HELP} "
            "(no PROJ strings, WKT, URLs or file paths)",
            crs=text,
        )
    return int(match[1])


def _parse_declared(declared: str) -> tuple[CRS | None, str | None]:
    key = declared.strip().lower()
    if key in CRS_ALIASES:
        system = canonical_crs(key)
        return (None, None) if system == "wgs84" else (None, system)
    return CRS.from_epsg(crs_epsg_parse(text=declared)), None


def _looks_like_degrees(bounds) -> bool:
    return lonlat_box_valid(*bounds)


def _suggestion(bounds) -> str:
    """An EPSG code to declare, guessed from the eastings (zone prefix), for the refusal."""
    x = (bounds[0] + bounds[2]) / 2
    if x >= ZONE_PREFIX_MIN_X_M:
        zone = int(x // 1e6)
        if zone in range(25, 46):
            return f"EPSG:{GK_3DEG_PREFIXED.start + zone - 25} (CGCS2000 3-degree zone {zone})"
        if zone in range(13, 24):
            return f"EPSG:{GK_6DEG_PREFIXED.start + zone - 13} (CGCS2000 6-degree zone {zone})"
    profile = city_profile()
    return f"EPSG:{profile.metric_srid} ({profile.zone_label}, this city's zone)"


def crs_resolve(*, declared: str | None, embedded: CRS | None, bounds) -> CrsPlan:
    """The plan for a file whose coordinates span `bounds` (xmin, ymin, xmax, ymax)."""
    chinese = None
    source = embedded
    if declared:
        source, chinese = _parse_declared(declared)
    degrees = _looks_like_degrees(bounds) if np.all(np.isfinite(bounds)) else True
    if chinese:
        if not degrees:
            raise BadRequest(
                f"{chinese.upper()} coordinates are longitude/latitude degrees, but this file "
                f"holds x up to {bounds[2]:.0f}: check --crs"
            )
        return CrsPlan(None, chinese, label=chinese.upper())
    if source is None:
        if not degrees:
            raise BadRequest(
                f"The file declares no coordinate system and its coordinates (x {bounds[0]:.0f}–"
                f"{bounds[2]:.0f}) are not degrees. Declare one, e.g. --crs {_suggestion(bounds)}, "
                "or send the .prj with the .shp."
            )
        plan = CrsPlan(None, label="WGS84 / CGCS2000 (none declared)")
        plan.notes.append(
            "No coordinate system declared: taken as WGS84/CGCS2000 longitude/latitude. If the "
            "points were picked on AMap or Tencent declare gcj02, on Baidu bd09."
        )
        return plan
    return _projected_plan(source, bounds, declared=bool(declared))


def _projected_plan(source: CRS, bounds, *, declared: bool) -> CrsPlan:
    epsg = source.to_epsg()
    label = f"EPSG:{epsg}" if epsg else source.name
    if source.is_geographic:
        if epsg in (STORAGE_SRID, CGCS2000_SRID):
            return CrsPlan(None, label=label)
        return CrsPlan(source, label=label)
    fixed, note = _zone_prefix_fixed(source, bounds)
    plan = CrsPlan(fixed, label=label)
    if note:
        plan.notes.append(note)
    if _looks_like_degrees(bounds):
        raise BadRequest(
            f"The file says {label} (metres) but its coordinates look like degrees; "
            "declare --crs wgs84 (or gcj02 / bd09)"
        )
    return plan


def _false_easting(crs: CRS) -> float | None:
    params = (crs.to_json_dict().get("conversion") or {}).get("parameters") or []
    for p in params:
        if p.get("name", "").lower() == "false easting":
            return float(p["value"])
    return None


def _zone_prefix_fixed(crs: CRS, bounds) -> tuple[CRS, str | None]:
    """The CRS with its false easting matched to the data's eastings (see the module docstring)."""
    fe = _false_easting(crs)
    if fe is None:
        return crs, None
    x = (bounds[0] + bounds[2]) / 2
    if x >= ZONE_PREFIX_MIN_X_M and fe < ZONE_PREFIX_MIN_X_M:
        zone = int(x // 1e6)
        new_fe = zone * 1e6 + fe
    elif x < ZONE_PREFIX_MIN_X_M and fe >= ZONE_PREFIX_MIN_X_M:
        zone = int(fe // 1e6)
        new_fe = fe - zone * 1e6
    else:
        return crs, None
    fixed = _sibling(crs, prefixed=new_fe > fe)
    if fixed is None:
        with warnings.catch_warnings():
            # PROJ strings drop datum details; a Gauss-Krüger projection on GRS 1980 keeps all
            # that matters here (CGCS2000 is taken as WGS84 anyway).
            warnings.simplefilter("ignore", UserWarning)
            fixed = CRS.from_dict({**crs.to_dict(), "x_0": new_fe})
    note = (
        f"The eastings {'carry' if new_fe > fe else 'lack'} the zone prefix {zone} that the "
        f"declared system {'lacks' if new_fe > fe else 'carries'}: read with false easting "
        f"{new_fe:.0f} m."
    )
    return fixed, note


def _sibling(crs: CRS, *, prefixed: bool) -> CRS | None:
    """The EPSG twin of a CGCS2000 Gauss-Krüger CRS with (or without) the zone prefix."""
    epsg = crs.to_epsg() or 0
    pairs = ((GK_3DEG_PREFIXED, GK_3DEG_CM), (GK_6DEG_PREFIXED, GK_6DEG_CM))
    for with_prefix, without in pairs:
        if prefixed and epsg in without:
            return CRS.from_epsg(with_prefix.start + epsg - without.start)
        if not prefixed and epsg in with_prefix:
            return CRS.from_epsg(without.start + epsg - with_prefix.start)
    return None


def geometries_to_storage(geoms: gpd.GeoSeries, plan: CrsPlan) -> gpd.GeoSeries:
    """The geometries in STORAGE_SRID (lon/lat degrees)."""
    out = geoms
    if plan.source is not None:
        out = geoms.set_crs(plan.source, allow_override=True).to_crs(_storage_crs())
    if plan.chinese:

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84_many(xy[:, 0], xy[:, 1], crs=plan.chinese)
            return np.column_stack([lon, lat])

        out = gpd.GeoSeries(shapely.transform(np.asarray(out.values), convert), index=geoms.index)
    return out.set_crs(_storage_crs(), allow_override=True)

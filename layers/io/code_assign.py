"""Official codes for a city's own features (issue 15): a grid, micro-grid or compound that arrives
with only its local code (`SQ-3-2`) gets `parent code + NNN`, numbered in reading order
(geo/reading_order.py) as the demo city's are.

A code already given stays: `keep` carries the features that have one (a re-import of the same
source code), `taken` the codes other features hold. New features get the lowest free serials,
in reading order, so re-importing a layer with one feature added changes no other feature's code.

Pure: shapely geometries in, codes out; the importer loads and writes (layers.services).
"""

from collections.abc import Hashable
from typing import TypeVar

import shapely

from geo.codes import LEVELS
from geo.reading_order import READING_BAND_M, reading_order

K = TypeVar("K", bound=Hashable)  # the caller's key of a feature: a source code, a row number


def codes_generated(
    parent_code: str,
    level: str,
    geoms: dict[K, shapely.Geometry],
    *,
    taken: set[str],
    keep: dict[K, str] | None = None,
    band_m: float | None = None,
) -> dict[K, str]:
    """The code of every feature in `geoms` (key → geometry in a metric CRS, metres: project
    lon/lat with geo.srid.metric_srid() first), all children of `parent_code` at `level` (a key
    of geo.codes.LEVELS). Keys in `keep` keep their code; the others get `parent_code` + the
    lowest free serials (001, 002, … never one in `taken` or `keep`) in reading order, in bands
    of `band_m` metres (default: the level's READING_BAND_M). The answer is ordered by code.
    Raises ValueError naming what is wrong: an unknown level, a parent code of the wrong length,
    a kept code that is not a child of the parent or is kept twice, an empty geometry,
    coordinates in degrees, or more features than free serials."""
    keep = dict(keep or {})
    serial_digits = _serial_digits(parent_code, level)
    _kept_check(parent_code, level, keep)
    new = [key for key in geoms if key not in keep]
    _geoms_check(level, {key: geoms[key] for key in new})
    reserved = set(taken) | set(keep.values())
    serials = 10**serial_digits - 1  # 001 … 999 (0001 … 9999 for buildings)
    free = [
        code
        for serial in range(1, serials + 1)
        if (code := f"{parent_code}{serial:0{serial_digits}d}") not in reserved
    ]
    if len(free) < len(new):
        raise ValueError(
            f"{len(new)} {level} features under {parent_code} need a new code but only "
            f"{len(free)} of the {serials} codes are free: split {parent_code} or free codes"
        )
    band = band_m if band_m is not None else READING_BAND_M[level]
    codes = {key: code for key, code in keep.items() if key in geoms}
    if new:
        for index, code in zip(reading_order([geoms[k] for k in new], band), free, strict=False):
            codes[new[index]] = code
    return dict(sorted(codes.items(), key=lambda kc: kc[1]))


def _serial_digits(parent_code: str, level: str) -> int:
    lvl = LEVELS.get(level)
    if lvl is None or lvl.parent is None:
        coded = ", ".join(key for key, lv in LEVELS.items() if lv.parent)
        raise ValueError(f"level {level!r}: codes are generated for {coded}")
    parent = LEVELS[lvl.parent]
    if not (parent_code.isascii() and parent_code.isdigit() and len(parent_code) == parent.digits):
        raise ValueError(
            f"parent code {parent_code!r}: a {level}'s parent is a {parent.label}, "
            f"{parent.digits} digits (e.g. {parent.example})"
        )
    return lvl.digits - parent.digits


def _kept_check(parent_code: str, level: str, keep: dict) -> None:
    digits = LEVELS[level].digits
    holders: dict[str, Hashable] = {}
    for key, code in keep.items():
        if not (code.isascii() and code.isdigit() and len(code) == digits):
            raise ValueError(f"{key}: kept code {code!r} is not a {digits}-digit {level} code")
        if not code.startswith(parent_code):
            raise ValueError(f"{key}: kept code {code} is not under {parent_code}")
        if code in holders:
            raise ValueError(f"{key} and {holders[code]} both keep code {code}: give one a new one")
        holders[code] = key


def _geoms_check(level: str, geoms: dict) -> None:
    for key, geom in geoms.items():
        if geom is None or shapely.is_empty(geom):
            raise ValueError(f"{key}: the {level} has no geometry, so it has no place in the order")
    if geoms:
        x0, y0, x1, y1 = shapely.total_bounds(list(geoms.values()))
        # Metres of a projected CRS are far from these ranges wherever China lies in it.
        if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90:
            raise ValueError(
                f"the {level} geometries look like lon/lat degrees ({x0:.4f}, {y0:.4f} … "
                f"{x1:.4f}, {y1:.4f}): give them in the metric CRS (geo.srid.metric_srid())"
            )

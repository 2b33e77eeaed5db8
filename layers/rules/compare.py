"""Which violations a write brought in: those found after it that were not there before.

A violation is new when no violation of its rule and codes was there before, or when it reaches
beyond the old one of its rule and codes by a significant part (larger than
GRIDATLAS_MIN_VIOLATION_AREA_M2 and thicker than the tolerance, as every rule measures): an
overlap of 267 m² grown to 5,293 m² is new, though its codes are the same. Rules without an
extent (codes, load bands) compare by rule and codes.
"""

from pathlib import Path

from django.conf import settings
from django.db import connection

from geo.sql import sql_text
from geo.srid import metric_srid

from .check import Violation

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Rules whose geometry is the defect itself (an overlap, a gap, a part outside): a larger one is a
# worse defect. The others' geometry is the feature (a building, a grid), so it says nothing of
# the defect's extent.
EXTENT_RULES = {"outside_parent", "overlap", "gap", "derivation"}


def violation_key(v: Violation) -> tuple:
    return (v.rule, v.codes)


def violations_deduplicated(violations: list[Violation]) -> list[Violation]:
    """One of each violation found more than once (checks over several scopes see a pair of
    siblings from both sides): same rule, codes and area to 0.1 m²."""
    seen, out = set(), []
    for v in violations:
        key = (v.rule, v.codes, round(v.area_m2 or 0.0, 1))
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def violations_new(*, before: list[Violation], after: list[Violation]) -> list[Violation]:
    """The violations of `after` that are new against `before` (module docstring)."""
    old_keys = {violation_key(v) for v in before}
    keys: dict[tuple, int] = {}
    olds, olds_key = [], []
    for v in before:
        if v.rule in EXTENT_RULES and v.geom is not None:
            olds.append(bytes(v.geom.ewkb))
            olds_key.append(keys.setdefault(violation_key(v), len(keys)))
    compared = [
        v
        for v in after
        if violation_key(v) in keys and v.rule in EXTENT_RULES and v.geom is not None
    ]
    grown = _grown_m2(compared, keys, olds, olds_key) if compared else []
    grew = {id(v) for v, m2 in zip(compared, grown, strict=True) if m2 > 0}
    return [v for v in after if violation_key(v) not in old_keys or id(v) in grew]


def _grown_m2(compared: list[Violation], keys: dict, olds: list, olds_key: list) -> list[float]:
    params = {
        "news": [bytes(v.geom.ewkb) for v in compared],
        "news_key": [keys[violation_key(v)] for v in compared],
        "olds": olds,
        "olds_key": olds_key,
        "metric_srid": metric_srid(),
        "tolerance_m": settings.GRIDATLAS_BOUNDARY_TOLERANCE_M,
        "min_area_m2": settings.GRIDATLAS_MIN_VIOLATION_AREA_M2,
    }
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "violation_growth.sql"), params)
        return [float(m2) for _, m2 in cur.fetchall()]

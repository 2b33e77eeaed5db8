"""Boundary-rule violations for the check report (`manage.py check_boundaries` and /check/):
scoped to a district, street or community and to some levels, counted by rule, as GeoJSON, and
where the map should look. The report also lists the rules' notices (layers.rules: what a rule
cannot judge where a level is not loaded), apart and never counted as violations.

A violation is in a street or community when the feature a rule checks has a code starting
with that division's code; the rule SQL filters on it (layers/rules), so a scoped check reads only
that division's rows.
"""

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import shapely

from geo.errors import BadRequest, NotFound
from layers.models import Community, District, Street
from layers.rules import CHECK_LEVELS, NOTICE, RULES, VIOLATION, Violation, boundary_violations

# The map page's view when it is sent to a violation: zoomed to fit, within these zooms.
MAP_MIN_ZOOM = 12.0
MAP_MAX_ZOOM = 19.0


@dataclass(frozen=True)
class CheckScope:
    """What to check: the rules, the levels, and the district, street or community whose codes
    the violations name (None: the whole city, imported layouts included)."""

    rules: tuple[str, ...] = RULES
    street_code: str | None = None
    community_code: str | None = None
    district_code: str | None = None
    levels: tuple[str, ...] = CHECK_LEVELS

    @property
    def prefix(self) -> str | None:
        return self.community_code or self.street_code or self.district_code

    @classmethod
    def parse(
        cls,
        *,
        rules: Iterable[str] | None = None,
        street_code: str | None = None,
        community_code: str | None = None,
        district_code: str | None = None,
        levels: Iterable[str] | None = None,
    ) -> "CheckScope":
        """Validate the rule and level names and the division codes (they must exist)."""
        picked = _names(rules, RULES, "rule")
        levels_picked = _names(levels, CHECK_LEVELS, "level")
        street_code = (street_code or "").strip() or None
        community_code = (community_code or "").strip() or None
        district_code = (district_code or "").strip() or None
        if sum(bool(c) for c in (district_code, street_code, community_code)) > 1:
            raise BadRequest("give one of a district, a street or a community, not several")
        if district_code and not District.objects.filter(code=district_code).exists():
            raise NotFound(f"no district with code {district_code} (districts have 6-digit codes)")
        if street_code and not Street.objects.filter(code=street_code).exists():
            raise NotFound(f"no street with code {street_code} (streets have 9-digit codes)")
        if community_code and not Community.objects.filter(code=community_code).exists():
            raise NotFound(
                f"no community with code {community_code} (communities have 12-digit codes)"
            )
        return cls(picked, street_code, community_code, district_code, levels_picked)


def _names(given: Iterable[str] | None, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """The names given (blank ones dropped), in `known`'s order; all of them when none is."""
    picked = {n.strip() for n in given or () if n.strip()}
    unknown = sorted(picked - set(known))
    if unknown:
        raise BadRequest(f"unknown {what} {', '.join(unknown)}: choose from {', '.join(known)}")
    return tuple(n for n in known if n in picked) or known


def violations_checked(
    *, scope: CheckScope, on_rule: Callable[[str], None] | None = None
) -> list[Violation]:
    """The violations and notices of `scope`, rule by rule in RULES order (`severity_split`
    parts them); `on_rule(rule)` after each rule (a progress bar)."""
    out: list[Violation] = []
    for rule in scope.rules:
        out += boundary_violations(
            rules=(rule,), scope=scope.prefix, levels=scope.levels, notices=True
        )
        if on_rule:
            on_rule(rule)
    return out


def severity_split(found: Iterable[Violation]) -> tuple[list[Violation], list[Violation]]:
    """(violations, notices) of a check, each in the order found."""
    found = list(found)
    return (
        [v for v in found if v.severity == VIOLATION],
        [v for v in found if v.severity == NOTICE],
    )


def notices_by_kind(notices: Iterable[Violation]) -> dict[str, int]:
    """Count per notice kind, in the order first seen."""
    counts: dict[str, int] = {}
    for v in notices:
        counts[v.kind] = counts.get(v.kind, 0) + 1
    return counts


def violations_by_rule(violations: Iterable[Violation], *, rules: tuple[str, ...]) -> dict:
    """Count per rule, in `rules` order, zeros included."""
    counts = dict.fromkeys(rules, 0)
    for v in violations:
        counts[v.rule] = counts.get(v.rule, 0) + 1
    return counts


def _geojson_geometry(v: Violation) -> dict | None:
    if v.geom is None:
        return None
    # RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise. The rule SQL does not
    # orient its rings, so orient here; coordinates are already lon/lat (EPSG:4326).
    g = shapely.orient_polygons(shapely.from_wkb(bytes(v.geom.wkb)))
    return json.loads(shapely.to_geojson(g))


def violations_feature_collection(violations: Iterable[Violation]) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946, EPSG:4326, no `crs` member): one feature per
    violation with properties rule, level, codes, message, area_m2 (m², or null)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": _geojson_geometry(v), "properties": v.as_dict()}
            for v in violations
        ],
    }


def violation_map_hash(v: Violation) -> str | None:
    """The map page's `#zoom/lat/lon` (MapLibre `hash: true`) that frames the violation."""
    if v.geom is None or v.geom.empty:
        return None
    spot = v.geom.point_on_surface  # inside the polygon, unlike a centroid of an L-shape
    xmin, ymin, xmax, ymax = v.geom.extent
    # Width on the ground in degrees of latitude; a 256-px tile spans 360/2^z degrees and the
    # map is ~4 tiles wide, so the feature fills about half the width at zoom log2(720/width).
    width_deg = max((xmax - xmin) * math.cos(math.radians(spot.y)), ymax - ymin, 1e-6)
    zoom = min(MAP_MAX_ZOOM, max(MAP_MIN_ZOOM, math.log2(720.0 / width_deg)))
    return f"#{zoom:.2f}/{spot.y:.6f}/{spot.x:.6f}"

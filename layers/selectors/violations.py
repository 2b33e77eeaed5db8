"""Boundary-rule violations for the check report (`manage.py check_boundaries` and /check/):
scoped to a street or a community, counted by rule, as GeoJSON, and where the map should look.

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
from layers.models import Community, Street
from layers.rules import RULES, Violation, boundary_violations

# The map page's view when it is sent to a violation: zoomed to fit, within these zooms.
MAP_MIN_ZOOM = 12.0
MAP_MAX_ZOOM = 19.0


@dataclass(frozen=True)
class CheckScope:
    """What to check: the rules, and the street or community whose codes the violations name
    (None: the whole city, imported layouts included)."""

    rules: tuple[str, ...] = RULES
    street_code: str | None = None
    community_code: str | None = None

    @property
    def prefix(self) -> str | None:
        return self.community_code or self.street_code

    @classmethod
    def parse(
        cls,
        *,
        rules: Iterable[str] | None = None,
        street_code: str | None = None,
        community_code: str | None = None,
    ) -> "CheckScope":
        """Validate the rule names and the division codes (they must exist)."""
        picked = tuple(dict.fromkeys(r.strip() for r in rules or () if r.strip())) or RULES
        unknown = [r for r in picked if r not in RULES]
        if unknown:
            raise BadRequest(f"unknown rule {', '.join(unknown)}: choose from {', '.join(RULES)}")
        street_code = (street_code or "").strip() or None
        community_code = (community_code or "").strip() or None
        if street_code and community_code:
            raise BadRequest("give a street or a community, not both")
        if street_code and not Street.objects.filter(code=street_code).exists():
            raise NotFound(f"no street with code {street_code} (streets have 9-digit codes)")
        if community_code and not Community.objects.filter(code=community_code).exists():
            raise NotFound(
                f"no community with code {community_code} (communities have 12-digit codes)"
            )
        return cls(tuple(r for r in RULES if r in picked), street_code, community_code)


def violations_checked(
    *, scope: CheckScope, on_rule: Callable[[str], None] | None = None
) -> list[Violation]:
    """The violations of `scope`, rule by rule in RULES order; `on_rule(rule)` after each rule
    (a progress bar)."""
    out: list[Violation] = []
    for rule in scope.rules:
        out += boundary_violations(rules=(rule,), scope=scope.prefix)
        if on_rule:
            on_rule(rule)
    return out


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

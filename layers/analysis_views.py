"""The analyses as JSON, under /api/analysis/: station coverage (and its uncovered buildings),
organisation coverage, grid load, unit pairing and the headline figures. Views parse the query
into an AnalysisQuery, call one selector, render; bad input raises a domain error (geo.errors),
which the middleware turns into a 4xx with the message.

Common parameters (each view reads those it needs):
  distance  walking distance in metres (default GRIDATLAS_WALK_10MIN_M, 500)
  mode      straight (default) | network
  level     station levels, comma-separated: street, community, xiaoqu (default: all)
  by        district | street | community (default) | grid
  district  6-digit district code; street: 9-digit street code (default: the whole city)
  limit     most rows in a list (default and most: GRIDATLAS_ANALYSIS_MAX_ROWS, 10,000); the
            totals count every row whatever the limit
distance is at most GRIDATLAS_ANALYSIS_MAX_DISTANCE_M (5,000 m).
"""

from dataclasses import asdict, dataclass

from django.views.decorators.http import require_GET

from geo.codes import LEVELS as CODE_LEVELS
from geo.errors import BadRequest
from geo.http import json_response
from geo.params import int_parse, walk_distance_parse
from geo.ratelimits import coverage_is_network, rate_limited
from layers.analysis import Area, analysis_area, analysis_max_rows
from layers.analysis.coverage import (
    BY,
    MODES,
    coverage_report,
    levels_parse,
    uncovered_buildings,
)
from layers.analysis.load import LISTS, load_report
from layers.analysis.organisation import organisation_report
from layers.analysis.pairing import pairing_report
from layers.analysis.report import city_headline


def _distance(raw: str | None) -> float:
    return walk_distance_parse(raw)


def _choice(name: str, raw: str | None, choices: tuple[str, ...], default: str) -> str:
    value = (raw or "").strip() or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _code(level: str, raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    digits = CODE_LEVELS[level].digits
    if not (raw.isascii() and raw.isdigit() and len(raw) == digits):
        raise BadRequest(f"{level} must be a {digits}-digit {level} code, not {raw!r}")
    return raw


def _limit(raw: str | None) -> int:
    cap = analysis_max_rows()
    return int_parse((raw or "").strip(), name="limit", low=1, high=cap, default=cap)


@dataclass(frozen=True)
class AnalysisQuery:
    """The query string of an analysis request, validated once."""

    distance_m: float
    mode: str
    by: str
    levels: tuple[str, ...] | None
    district: str | None
    street: str | None
    limit: int  # the longest list an answer carries: the row cap unless the client asks fewer
    area: Area

    @classmethod
    def parse(cls, params) -> "AnalysisQuery":
        district = _code("district", params.get("district"))
        street = _code("street", params.get("street"))
        return cls(
            distance_m=_distance(params.get("distance")),
            mode=_choice("mode", params.get("mode"), MODES, "straight"),
            by=_choice("by", params.get("by"), BY, "community"),
            levels=levels_parse(params.get("level")),
            district=district,
            street=street,
            limit=_limit(params.get("limit")),
            area=analysis_area(district_code=district, street_code=street),
        )

    def echo(self, *keys: str) -> dict:
        """The parsed parameters the answer depends on, as the client can re-send them."""
        values = {
            "distance_m": self.distance_m,
            "mode": self.mode,
            "by": self.by,
            "levels": list(self.levels) if self.levels else None,
            "limit": self.limit,
        }
        return {
            **{k: values[k] for k in keys},
            "district": self.district,
            "street": self.street,
        }


@rate_limited("files", when=coverage_is_network)
@require_GET
def coverage(request):
    """GET ?distance=&by=&mode=&level=&district=&street=: households within walking distance of a
    station, per division, with the total and one row per station level."""
    q = AnalysisQuery.parse(request.GET)
    report = coverage_report(
        distance_m=q.distance_m, mode=q.mode, by=q.by, levels=q.levels, area=q.area
    )
    return json_response(
        {
            "query": q.echo("distance_m", "mode", "by", "levels"),
            "rows": [asdict(r) for r in report.rows],
            "total": asdict(report.total),
            "by_level": [asdict(r) for r in report.by_level],
        }
    )


@require_GET
def coverage_uncovered(request):
    """GET ?distance=&mode=&level=&district=&street=&limit=: the buildings out of reach, the
    most households first."""
    q = AnalysisQuery.parse(request.GET)
    result = uncovered_buildings(
        distance_m=q.distance_m, mode=q.mode, levels=q.levels, area=q.area, limit=q.limit
    )
    return json_response(
        {
            "query": q.echo("distance_m", "mode", "levels", "limit"),
            "total_buildings": result.total_buildings,
            "total_households": result.total_households,
            "buildings": result.rows,
        }
    )


@require_GET
def organisation(request):
    """GET ?distance=&level=&district=&street=&limit=: compounds with no party organisation, no
    owners' committee or no station within the distance of their polygon; counts per street and
    community."""
    q = AnalysisQuery.parse(request.GET)
    report = organisation_report(
        distance_m=q.distance_m, levels=q.levels, area=q.area, limit=q.limit
    )
    body = asdict(report)
    body.pop("distance_m")
    body.pop("levels")
    return json_response({"query": q.echo("distance_m", "levels", "limit"), **body})


@require_GET
def load(request):
    """GET ?district=&street=&list=exceptions|all&limit=: households per grid worker and per
    micro-grid; grids and micro-grids out of band; grids with no worker."""
    q = AnalysisQuery.parse(request.GET)
    listed = _choice("list", request.GET.get("list"), LISTS, "exceptions")
    report = load_report(area=q.area, listed=listed, limit=q.limit)
    return json_response({"query": {**q.echo("limit"), "list": listed}, **asdict(report)})


@require_GET
def pairing(request):
    """GET ?district=&street=: communities with no paired unit; registered members against the
    1:50 rule."""
    q = AnalysisQuery.parse(request.GET)
    return json_response({"query": q.echo(), **asdict(pairing_report(area=q.area))})


@require_GET
def headline(request):
    """GET ?district=&street=: the figures a city report quotes."""
    q = AnalysisQuery.parse(request.GET)
    return json_response({"query": q.echo(), **asdict(city_headline(area=q.area))})

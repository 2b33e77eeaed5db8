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

from dataclasses import asdict

from django.views.decorators.http import require_GET

from geo.http import json_response
from geo.ratelimits import coverage_is_network, rate_limited
from layers.analysis.coverage import coverage_report, uncovered_buildings
from layers.analysis.load import LISTS, load_report
from layers.analysis.organisation import organisation_report
from layers.analysis.pairing import pairing_report
from layers.analysis.query import AnalysisQuery, choice_parse
from layers.analysis.report import city_headline


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
    """GET ?distance=&level=&district=&street=&limit=&gap=: compounds with no party
    organisation, no owners' committee or no station within the distance of their polygon
    (gap: only those with that one gap); counts per street and community. compounds_listed
    counts every compound of the list, whatever the limit."""
    q = AnalysisQuery.parse(request.GET)
    gap = request.GET.get("gap", "").strip() or None  # checked by the selector
    report = organisation_report(
        distance_m=q.distance_m, levels=q.levels, area=q.area, limit=q.limit, gap=gap
    )
    body = asdict(report)
    body.pop("distance_m")
    body.pop("levels")
    body.pop("gap")
    query = {**q.echo("distance_m", "levels", "limit"), "gap": gap}
    return json_response({"query": query, **body})


@require_GET
def load(request):
    """GET ?district=&street=&list=exceptions|all&limit=: households per grid worker and per
    micro-grid; grids and micro-grids out of band; grids with no worker."""
    q = AnalysisQuery.parse(request.GET)
    listed = choice_parse("list", request.GET.get("list"), LISTS, "exceptions")
    report = load_report(area=q.area, listed=listed, limit=q.limit)
    return json_response({"query": {**q.echo("limit"), "list": listed}, **asdict(report)})


@require_GET
def pairing(request):
    """GET ?district=&street=: communities with no paired unit; registered members against the
    1:50 rule."""
    q = AnalysisQuery.parse(request.GET)
    return json_response({"query": q.echo(), **asdict(pairing_report(area=q.area))})


@rate_limited("files", when=coverage_is_network)
@require_GET
def headline(request):
    """GET ?distance=&mode=&level=&district=&street=: the figures a city report quotes, the
    station coverage at that distance, mode and levels (every figure follows every filter)."""
    q = AnalysisQuery.parse(request.GET)
    headline = city_headline(distance_m=q.distance_m, mode=q.mode, levels=q.levels, area=q.area)
    return json_response({"query": q.echo("distance_m", "mode", "levels"), **asdict(headline)})

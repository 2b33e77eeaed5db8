"""The leadership dashboard (/dashboard/) and its offline report map download. The page's data
comes from the analysis API (/api/analysis/…); this view sets up the filters and the texts."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo.city_profile import city_profile
from geo.domain import default_walk_m, walks
from layers.analysis.query import AnalysisQuery
from layers.models import District, ServiceStation
from layers.selectors.summary import WORLD_BOUNDS
from layers.services.report_map import report_map_html


def _distances() -> list[dict]:
    labels = {5: _("5-minute walk"), 10: _("10-minute walk"), 15: _("15-minute walk")}
    return [
        {
            "metres": f"{w.metres:g}",
            "label": f"{labels[w.minutes]} ({w.metres:g} m)",
            "default": w.metres == default_walk_m(),
        }
        for w in walks()
    ]


def _strings() -> dict:
    return {
        "coverageWithin": _("Households within %(m)s m of a station"),
        "heatmapMax": _("uncovered households per cell, up to %(n)s"),
        "proposedSite": _("proposed new station"),
        "byStreet": _("Coverage by street"),
        "byCommunity": _("Coverage by community"),
        "total": _("Total"),
        "noGaps": _("None: no gap here."),
        "zoomTo": _("Zoom"),
        "loading": _("Loading…"),
        "failed": _("Some figures could not be loaded: %(error)s"),
        "showingFirst": _("Showing the first %(n)s of %(total)s."),
        "fig": {
            "communities": _("communities"),
            "grids": _("grids"),
            "compoundsParty": _("compounds with a party organisation"),
            "stations": _("service stations"),
            "stationLevels": _("%(street)s street · %(community)s community · %(xiaoqu)s compound"),
            "units": _("paired sent-down units"),
            "pairings": _("%(n)s pairings"),
            "members": _("registered members"),
            "covered": _("households within %(m)s m of a station"),
            "ofHouseholds": _("%(n)s of %(total)s households"),
            "levelsCounted": _("counting %(levels)s"),
        },
        "col": {
            "name": _("Name"),
            "households": _("Households"),
            "percent": _("Covered"),
            "uncovered": _("Uncovered households"),
            "buildingsUncovered": _("Uncovered buildings"),
            "building": _("Building"),
            "xiaoqu": _("Compound"),
            "community": _("Community"),
            "street": _("Street"),
            "grid": _("Grid"),
            "distance": _("Nearest station (m)"),
            "perWorker": _("Households per worker"),
            "members": _("Registered members"),
            "shortfall": _("Members short"),
            "added": _("Households added"),
        },
        "gap": {
            "uncovered": _("Uncovered buildings"),
            "party": _("Compounds without a party organisation"),
            "load": _("Grids out of band"),
            "pairing": _("Communities short of paired members"),
            "siting": _("Proposed new stations"),
        },
    }


@require_GET
def dashboard(request):
    profile = city_profile()
    return render(
        request,
        "layers/dashboard.html",
        {
            "city_name": profile.name,
            "districts": District.objects.order_by("code").only("code", "name"),
            "distances": _distances(),
            "list_rows": settings.GRIDATLAS_DASHBOARD_LIST_ROWS,
            "levels": ServiceStation.Level.choices,
            "bounds_json": json.dumps(list(profile.bounds or WORLD_BOUNDS)),
            "strings": _strings(),
        },
    )


@require_GET
def report_map(request):
    """The offline report map (one HTML file, Leaflet inlined) as a download, for the
    dashboard's filters (?distance=&mode=&level=&district=&street=)."""
    q = AnalysisQuery.parse(request.GET)
    html = report_map_html(distance_m=q.distance_m, mode=q.mode, levels=q.levels, area=q.area)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    name = f"coverage-{q.distance_m:g}m-{q.street or q.district or 'city'}.html"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

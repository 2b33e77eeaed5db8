"""Two more analysis answers the dashboard uses: proposed station sites (JSON) and the whole
report as an XLSX download (the sheets `manage.py coverage --out report.xlsx` writes)."""

from dataclasses import asdict

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from geo.errors import BadRequest
from geo.http import json_response
from geo.params import int_parse
from geo.ratelimits import rate_limited
from layers.analysis.query import AnalysisQuery
from layers.analysis.report import report_sheets, sheets_xlsx
from layers.analysis.siting import CANDIDATE_KINDS, siting_propose

SITES_MAX = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _k(raw: str | None) -> int:
    default = settings.GRIDATLAS_SITING_DEFAULT_K
    return int_parse((raw or "").strip(), name="k", low=1, high=SITES_MAX, default=default)


@rate_limited("files")
@require_GET
def siting(request):
    """GET ?k=10&distance=500[&level=…][&candidates=buildings|lattice][&district=|street=]:
    the k new station sites that would reach the most households no station reaches today."""
    q = AnalysisQuery.parse(request.GET)
    candidates = request.GET.get("candidates", "buildings")
    if candidates not in CANDIDATE_KINDS:
        raise BadRequest(f"candidates must be one of {', '.join(CANDIDATE_KINDS)}")
    proposal = siting_propose(
        k=_k(request.GET.get("k")),
        distance_m=q.distance_m,
        candidates=candidates,
        levels=q.levels,
        area=q.area,
    )
    body = asdict(proposal)
    body["query"] = q.echo("distance_m", "levels")
    return json_response(body)


@rate_limited("files")
@require_GET
def report_xlsx(request):
    """GET with the coverage parameters: the whole report as one workbook."""
    q = AnalysisQuery.parse(request.GET)
    sheets = report_sheets(
        distance_m=q.distance_m, mode=q.mode, by=q.by, levels=q.levels, area=q.area
    )
    response = HttpResponse(sheets_xlsx(sheets), content_type=XLSX)
    name = f"coverage-{q.distance_m:g}m-{q.street or q.district or 'city'}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""The boundary check report for staff: /check/ (counts by rule, the violations, a link to each
on the map, then the notices apart) and /check/violations.geojson (violations only). Views parse,
call one selector, render."""

import json

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from geo.ratelimits import rate_limited
from layers.models import Street
from layers.rules import NOTICE_LABELS, RULE_LABELS
from layers.selectors.violations import (
    CheckScope,
    severity_split,
    violation_map_hash,
    violations_by_rule,
    violations_checked,
    violations_feature_collection,
)

LEVEL_LABELS = {
    "street": _("Street"),
    "community": _("Community"),
    "grid": _("Grid"),
    "microgrid": _("Micro-grid"),
}


def _max_rows() -> int:
    # Rows listed on the page (the download has them all): the city's load bands alone give
    # ~7,000 violations.
    return settings.GRIDATLAS_CHECK_PAGE_MAX_ROWS


def _scope(request) -> CheckScope:
    return CheckScope.parse(street_code=request.GET.get("street"))


@rate_limited("files")
@staff_member_required
@require_GET
def check_page(request):
    """GET /check/[?street=CODE]: the whole-city check, or the violations naming that street."""
    scope = _scope(request)
    violations, notices = severity_split(violations_checked(scope=scope))
    counts = violations_by_rule(violations, rules=scope.rules)
    rows = [_row(v, RULE_LABELS.get(v.rule, v.rule)) for v in violations[: _max_rows()]]
    notice_rows = [_row(v, NOTICE_LABELS.get(v.kind, v.kind)) for v in notices[: _max_rows()]]
    context = {
        "cards": [
            {"key": rule, "label": RULE_LABELS.get(rule, rule), "count": n}
            for rule, n in counts.items()
        ],
        "total": len(violations),
        "shown": len(rows),
        "rows": rows,
        "notices_total": len(notices),
        "notices_shown": len(notice_rows),
        "notice_rows": notice_rows,
        "streets": Street.objects.order_by("code").values("code", "name"),
        "street": scope.street_code or "",
    }
    return render(request, "layers/check.html", context)


def _row(v, label) -> dict:
    return {
        "rule": label,
        "rule_key": v.rule,
        "level": LEVEL_LABELS.get(v.level, v.level),
        "codes": v.codes,
        "message": v.message,
        "area_m2": v.area_m2,
        "map_hash": violation_map_hash(v),
    }


@rate_limited("files")
@staff_member_required
@require_GET
def check_geojson(request):
    """GET /check/violations.geojson[?street=CODE]: the same violations as a download (the
    notices are not violations: they stay on the page)."""
    scope = _scope(request)
    violations, _notices = severity_split(violations_checked(scope=scope))
    collection = violations_feature_collection(violations)
    name = f"violations-{scope.street_code}" if scope.street_code else "violations"
    response = HttpResponse(
        json.dumps(collection, ensure_ascii=False), content_type="application/geo+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
    return response

"""The map's JSON API: parse the query, call one selector, return JSON. Errors are domain errors
(geo.errors), turned into 4xx JSON with a message once, in the middleware."""

from django.conf import settings
from django.views.decorators.http import require_GET

from geo.domain import LEVELS, is_code
from geo.errors import BadRequest
from geo.http import json_response
from geo.params import int_parse, text_parse
from layers.redirects import renamed_layer_redirect
from layers.selectors.places import division_tree, feature_card, hits_as_dicts, place_search

SEARCH_MAX_CHARS = 50


def _limit(raw: str | None) -> int:
    cap = settings.GRIDATLAS_SEARCH_MAX_RESULTS
    return int_parse(raw, name="limit", low=1, high=cap, default=min(10, cap))


@require_GET
def search(request):
    """GET ?q=<name or code>[&limit=N]: streets, communities, grids and compounds, best first."""
    q = text_parse(request.GET.get("q"), name="q", max_chars=SEARCH_MAX_CHARS)
    hits = place_search(q=q, limit=_limit(request.GET.get("limit")))
    return json_response({"q": q, "results": hits_as_dicts(hits)})


@require_GET
@renamed_layer_redirect("kind")
def feature(request, kind: str, feature_id: int):
    """GET /api/features/<layer key>/<id>: the card of one feature (ids as in the tiles)."""
    return json_response(feature_card(kind=kind, feature_id=feature_id))


@require_GET
def divisions(request):
    """GET [?street=<9-digit code>]: the streets, or the communities of one street, with bboxes."""
    street = request.GET.get("street")
    if street is not None and not is_code("street", street):
        digits = LEVELS["street"].digits
        raise BadRequest(f"street must be a {digits}-digit street code, not {street!r}")
    return json_response({"street": street, "divisions": division_tree(street_code=street)})

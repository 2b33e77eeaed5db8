"""The field workers' lookup: GET /api/lookup by address or by point, POST /api/lookup/batch
(queued as a background job: layers/jobs.py), and the phone page /lookup/. Views parse, call one
selector or service, render."""

import datetime
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from geo.chinese_crs import CHINESE_CRS, to_wgs84
from geo.domain import lonlat_check
from geo.errors import BadRequest, Forbidden
from geo.http import json_response
from geo.ratelimits import rate_limited
from layers.jobs import (
    BATCH_LOOKUP_PERMISSION,
    batch_lookup_authorise,
    batch_lookup_submit,
    job_as_json,
)
from layers.permissions import WORKER_PERMISSION
from layers.selectors.address_search import address_candidates
from layers.selectors.lookup import GridCard, grid_card_as_of, grid_card_for_point

CANDIDATES_SHOWN = 5


@dataclass(frozen=True)
class PointQuery:
    """A point as the client sent it, and in WGS84."""

    lon: float
    lat: float
    crs: str
    wgs84_lon: float
    wgs84_lat: float

    @classmethod
    def parse(cls, params) -> "PointQuery":
        values = {}
        for name in ("lon", "lat"):
            raw = params.get(name, "").strip()
            try:
                values[name] = float(raw)
            except ValueError:
                raise BadRequest(f"{name} must be a number in degrees, not {raw!r}") from None
        crs = params.get("crs", "wgs84").strip().lower() or "wgs84"
        lonlat_check(values["lon"], values["lat"])
        wgs_lon, wgs_lat = to_wgs84(values["lon"], values["lat"], crs=crs)
        return cls(values["lon"], values["lat"], crs, round(wgs_lon, 7), round(wgs_lat, 7))


def _cardjson_response(card: GridCard) -> dict:
    body = asdict(card)
    body["in_grid"] = card.in_grid
    return body


def _at(params) -> datetime.date | None:
    """&at=YYYY-MM-DD: answer with the layout in effect on that date."""
    raw = params.get("at", "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"at must be a date YYYY-MM-DD, not {raw!r}") from None


def _card(lon: float, lat: float, *, at: datetime.date | None, contacts_visible: bool) -> GridCard:
    if at is None:
        return grid_card_for_point(lon=lon, lat=lat, contacts_visible=contacts_visible)
    return grid_card_as_of(lon=lon, lat=lat, at=at, contacts_visible=contacts_visible)


def _dated(body: dict, card: GridCard | None) -> dict:
    """With &at=, the answer says which date and layout revision it is for."""
    if card is not None and card.as_of is not None:
        body["as_of"], body["revision"] = card.as_of, card.revision
    return body


def _contacts_visible(request) -> bool:
    return request.user.is_authenticated and request.user.has_perm(WORKER_PERMISSION)


@transaction.non_atomic_requests  # one read-only statement (two for an address): no BEGIN/COMMIT
@require_GET
def lookup(request):
    """GET ?q=<address> or ?lon=…&lat=…[&crs=wgs84|gcj02|bd09][&at=YYYY-MM-DD]: the grid card
    (see README). With at, the grid and micro-grid are those of the layout revision in effect
    on that date, and the answer adds "as_of" and "revision" (null: the live layout)."""
    params = request.GET
    visible = _contacts_visible(request)
    at = _at(params)
    if "q" in params:
        return json_response(_address_lookup(params["q"], contacts_visible=visible, at=at))
    if "lon" in params or "lat" in params:
        point = PointQuery.parse(params)
        card = _card(point.wgs84_lon, point.wgs84_lat, at=at, contacts_visible=visible)
        body = {"query": asdict(point), "card": _cardjson_response(card)}
        return json_response(_dated(body, card))
    raise BadRequest(
        "give an address as ?q=… or a point as ?lon=…&lat=… (crs: " + ", ".join(CHINESE_CRS) + ")"
    )


def _address_lookup(q: str, *, contacts_visible: bool, at: datetime.date | None = None) -> dict:
    q = q.strip()
    if not q:
        raise BadRequest("q is empty: type an address, e.g. 湖晴小区3栋 or 丽新街8号")
    longest = settings.GRIDATLAS_ADDRESS_QUERY_MAX_CHARS
    if len(q) > longest:
        raise BadRequest(f"q is {len(q)} characters long; an address has at most {longest}")
    result = address_candidates(q=q, limit=CANDIDATES_SHOWN)
    body = {"query": {"q": q}, "certain": result.certain, "candidates": [], "card": None}
    body["candidates"] = [asdict(c) for c in result.candidates]
    body["notes"] = list(result.notes)  # why not certain, and what was read past
    body["divisions"] = list(result.divisions)  # a query naming only a division
    if result.candidates:
        top = result.candidates[0]
        card = _card(top.lon, top.lat, at=at, contacts_visible=contacts_visible)
        body["card"] = _cardjson_response(card)
        _dated(body, card)
    return body


@rate_limited("uploads")
@csrf_exempt  # checked below, after the sign-in: an anonymous call gets its 401, not a CSRF 403
@require_POST
def lookup_batch(request):
    """POST a CSV or XLSX as multipart field `file` [&crs=wgs84|gcj02|bd09], signed in with the
    layers.batch_lookup permission (and the CSRF token, as X-CSRFToken): the lookup is queued as
    a background job. 202 with the job (see GET /api/jobs/{id}) and a Location header; 429 when
    the user already has GRIDATLAS_BATCH_JOBS_PER_USER_MAX jobs queued or running."""
    batch_lookup_authorise(user=request.user)
    if CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {}) is not None:
        raise Forbidden(
            "the CSRF token is missing or wrong: send the csrftoken cookie's value as the "
            "X-CSRFToken header (or the csrfmiddlewaretoken form field)"
        )
    upload = request.FILES.get("file")
    if upload is None:
        raise BadRequest("send the table as a multipart form field named `file` (.csv or .xlsx)")
    job = batch_lookup_submit(
        user=request.user,
        data=upload.read(),  # bounded while streaming (GRIDATLAS_UPLOAD_MAX_BYTES)
        filename=upload.name,
        crs=request.POST.get("crs", "wgs84"),
        language=translation.get_language(),
    )
    body = job_as_json(job)
    return json_response(body, status=202, headers={"Location": body["status_url"]})


def _page_strings() -> dict:
    """Every text lookup.js shows, in the request's language."""
    return {
        "grid": _("Grid"),
        "noGrid": _("No grid"),
        "outside": _("Not inside any grid"),
        "nearestGrid": _("Nearest grid: %(name)s (%(code)s), %(m)s m away"),
        "street": _("Street"),
        "community": _("Community"),
        "microgrid": _("Micro-grid"),
        "xiaoqu": _("Compound"),
        "building": _("Building"),
        "households": _("%(n)s households"),
        "floors": _("%(n)s floors"),
        "people": _("Who answers for it"),
        "noWorkers": _("No worker assigned yet"),
        "signInForContacts": _("name and phone: sign in with the worker-contacts permission"),
        "roles": {
            "grid_worker": _("Grid worker"),
            "grid_head": _("Grid head"),
            "building_head": _("Building head"),
            "volunteer": _("Volunteer"),
        },
        "stations": _("Nearest service stations"),
        "noStation": _("No service station within %(km)s km"),
        "distance": _("%(m)s m (about %(walk)s m on foot)"),
        "load": {"under": _("below band"), "ok": _("in band"), "over": _("above band")},
        "noMatch": _("No address matches “%(q)s”."),
        "loading": _("Looking up…"),
        "locating": _("Finding your location…"),
        "noGeolocation": _("This browser cannot share its location."),
        "locationFailed": _("Location failed: %(error)s"),
    }


def _batch_strings() -> dict:
    """Every text lookup_batch.js shows, in the request's language."""
    return {
        "uploading": _("Uploading…"),
        "queued": _("Queued: the lookup starts when the worker is free."),
        "running": _("Looking up: %(done)s of %(total)s rows"),
        "reading": _("Reading the table…"),
        "done": _("Done: %(matched)s of %(rows)s rows matched."),
        "failed": _("The lookup failed: %(error)s"),
        "lost": _("Lost track of the job: %(error)s"),
    }


@require_safe  # a page: a writing method is refused (tests/test_permissions.py)
def lookup_page(request):
    """/lookup/: the phone page (search box, "use my location", the card over a small map), and
    for users with layers.batch_lookup the batch lookup of a file (a background job)."""
    context = {"strings": _page_strings(), "batch_strings": None}
    if request.user.is_authenticated and request.user.has_perm(BATCH_LOOKUP_PERMISSION):
        context["batch_strings"] = _batch_strings()
    return render(request, "layers/lookup.html", context)

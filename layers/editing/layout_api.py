"""The editing API (JSON) the planners' editor uses, under /api/edit/communities/<code>/.

Reads (layout, revisions, diff) are open to every visitor; a draft is its author's. Writes need
`layers.change_parcel` AND the community's street assigned to the user (staff and superusers with
the permission edit everything); anonymous users get 403. Errors are JSON {"error": …, …}:
400 bad input, 403, 404, 409 stale base_revision (with current_revision and changed_since),
422 rule violations (with violations). Moves are [{"parcel": id, "grid": code|null,
"microgrid": code|null}]; a move with no micro-grid gets one (layers/services/layout_apply.py).
New grids and micro-grids a commit creates are listed as new_grids [{"code", "name"}] (15-digit
grid codes, 18-digit micro-grid codes; GET layout gives next_grid_code).
"""

import datetime

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from geo.errors import BadRequest, NotFound
from geo.http import json_body, json_response
from geo.params import BIGINT_MAX, INT4_MAX, date_parse, json_int, json_text
from layers.models import Community, Grid, LayoutRevision, MicroGrid
from layers.services.layout_apply import (
    NewUnit,
    ParcelMove,
    microgrid_codes_next,
    unit_code_next,
)
from layers.services.layout_drafts import (
    draft_discard,
    draft_get,
    draft_publish,
    draft_save,
    grids_summary,
)
from layers.services.layout_history import layout_diff, layout_revert
from layers.services.layout_parcelise import community_freehand
from layers.services.layout_schedule import revision_cancel
from layers.services.layouts import (
    layout_assignment,
    layout_commit,
    layout_editable,
    layout_revision_current,
    revision_pending,
)

MICROGRID_CODE_CHARS = MicroGrid._meta.get_field("code").max_length  # the longest code
NAME_CHARS = Grid._meta.get_field("name").max_length


def _community(code: str) -> Community:
    community = Community.objects.select_related("street").filter(code=code).first()
    if community is None:
        raise NotFound(f"no community with code {code}")
    return community


def _base(body: dict) -> int:
    if not isinstance(body.get("base_revision"), int):
        raise BadRequest("base_revision must be the revision number the edit started from")
    # Revision numbers are PostgreSQL integers: a larger one is no revision, not a 500.
    return json_int(body["base_revision"], name="base_revision", low=0, high=INT4_MAX)


def _date(body: dict, *, required: bool = False) -> datetime.date:
    raw = body.get("effective_date")
    if not raw and required:
        raise BadRequest("effective_date (YYYY-MM-DD) is required: from when the layout applies")
    # Local date (settings.TIME_ZONE): a publish "from today" at 07:00 in Wuhan is not tomorrow.
    return date_parse(raw or timezone.localdate().isoformat(), name="effective_date")


def _text(body: dict, key: str) -> str:
    """A free-text field (a reason): a string of bounded length, or nothing."""
    limit = settings.GRIDATLAS_EDIT_TEXT_MAX_CHARS
    return json_text(body.get(key), name=key, max_chars=limit, nullable=True) or ""


def _name(value, *, name: str) -> str:
    return json_text(value, name=name, max_chars=NAME_CHARS, nullable=True) or ""


def _code(value, *, name: str) -> str | None:
    """A grid or micro-grid code in a move: a string (checked against the community by the
    service) or null; 18 digits at most, so a 10 MB "code" never reaches a query."""
    return json_text(value, name=name, max_chars=MICROGRID_CODE_CHARS, nullable=True)


def _moves(body: dict) -> list[ParcelMove]:
    raw = body.get("moves")
    if not isinstance(raw, list):
        raise BadRequest("moves must be a list of {parcel, grid, microgrid}")
    moves = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or not isinstance(m.get("parcel"), int):
            raise BadRequest(f"moves[{i}] needs an integer parcel id")
        parcel = json_int(m["parcel"], name=f"moves[{i}].parcel", low=1, high=BIGINT_MAX)
        grid = _code(m.get("grid"), name=f"moves[{i}].grid")
        micro = _code(m.get("microgrid"), name=f"moves[{i}].microgrid")
        moves.append(ParcelMove(parcel, grid, micro))
    return moves


def _new_units(body: dict) -> list[NewUnit]:
    raw = body.get("new_grids") or []
    if not isinstance(raw, list) or not all(
        isinstance(u, dict) and isinstance(u.get("code"), str) for u in raw
    ):
        raise BadRequest("new_grids must be a list of {code, name}")
    return [
        NewUnit(
            _code(u["code"], name=f"new_grids[{i}].code"),
            _name(u.get("name"), name=f"new_grids[{i}].name"),
        )
        for i, u in enumerate(raw)
    ]


@require_GET
def layout(request, code: str):
    """GET: {community, revision, editable (may this user write), freehand (its grids are
    imported polygons with no parcels yet: the editor offers to build them), next_grid_code
    (never used in this community, retired codes included), next_microgrid_codes ({grid code:
    its next unused micro-grid code}), parcels: [{id, grid, microgrid}], grids}."""
    community = _community(code)
    assignment = layout_assignment(community=community)
    pending = revision_pending(community=community)
    return json_response(
        {
            "community": {"code": community.code, "name": community.name},
            "revision": layout_revision_current(community=community),
            # A publish waiting for its date: no other may be published until it takes effect
            # or is cancelled (layers/services/layouts.py).
            "scheduled": None
            if pending is None
            else {
                "revision": pending.number,
                "effective_date": pending.effective_date.isoformat(),
                "state": pending.state,
                "apply_error": pending.apply_error,
            },
            "editable": layout_editable(user=request.user, community=community),
            # Grids imported as polygons and not yet cut into parcels: nothing to move until
            # the parcels are built (POST parcelise, layers/editing/parcelise_api.py).
            "freehand": community_freehand(community=community),
            "next_grid_code": unit_code_next(parent_code=community.code),
            "next_microgrid_codes": microgrid_codes_next(community_code=community.code),
            "parcels": [
                {"id": int(pk), "grid": grid, "microgrid": micro}
                for pk, (grid, micro) in assignment.items()
            ],
            "grids": grids_summary(community=community),
        }
    )


@require_GET
def revisions(request, code: str):
    """GET: {community, revisions: [{number, baseline, state, author__username (signed-in users
    only), created_at, effective_date, applied_at, cancelled_at, cancelled_by__username
    (signed-in users only), apply_error, reason, changed_parcels}]}, newest first. state is
    in_effect (it became the live layout at applied_at; the newest such is the live one),
    scheduled (waits for effective_date), failed (its date came and the rules refused it:
    apply_error says why) or cancelled. Revision 0 is the baseline (the layout before the first
    publish, effective from 0001-01-01)."""
    community = _community(code)
    fields = [
        "number",
        "baseline",
        "created_at",
        "effective_date",
        "applied_at",
        "cancelled_at",
        "apply_error",
        "reason",
        "changed_parcels",
    ]
    if request.user.is_authenticated:  # planners' names are not shown to anonymous visitors
        fields[2:2] = ["author__username", "cancelled_by__username"]
    rows = community.revisions.order_by("-number").values(*fields)
    return json_response(
        {
            "community": community.code,
            "revisions": [_revision_json(r) for r in rows],
        }
    )


def _revision_json(r: dict) -> dict:
    state = LayoutRevision(
        applied_at=r["applied_at"], cancelled_at=r["cancelled_at"], apply_error=r["apply_error"]
    ).state
    stamps = ("created_at", "effective_date", "applied_at", "cancelled_at")
    return {
        **r,
        **{k: r[k] and r[k].isoformat() for k in stamps},
        "state": str(state),
    }


def _published(revision) -> dict:
    """What a publish answers: the revision, whether it is live or scheduled, and the grids of
    the live layout (unchanged by a scheduled publish until its date)."""
    return {
        "revision": revision.number,
        "effective_date": revision.effective_date.isoformat(),
        "state": str(revision.state),
        "grids": grids_summary(community=revision.community),
    }


@require_POST
def commit(request, code: str):
    """POST JSON {base_revision, moves, new_grids?, effective_date?, band_reason?}: 201
    {revision, effective_date, grids}; 409 when base_revision is stale; 422 with the violations
    when a rule would break (nothing is written)."""
    body = json_body(request)
    revision = layout_commit(
        community_code=code,
        base_revision=_base(body),
        moves=_moves(body),
        new_units=_new_units(body),
        user=request.user,
        effective_date=_date(body),
        band_reason=_text(body, "band_reason"),
    )
    return json_response(_published(revision), status=201)


def _draft_json(d) -> dict:
    if d is None:
        return {"base_revision": None, "moves": [], "new_grids": [], "updated_at": None}
    return {
        "base_revision": d.base_revision,
        "moves": d.moves,
        "new_grids": d.new_grids,
        "updated_at": d.updated_at.isoformat(),
    }


@require_http_methods(["GET", "PUT", "DELETE"])
def draft(request, code: str):
    """The signed-in user's draft of the community's layout.

    GET: {base_revision, moves, new_grids, updated_at}; when the user has none, 200 with
    base_revision and updated_at null and no moves (an empty draft, not an error).
    PUT JSON {base_revision, moves, new_grids?}: saves it (it may hold violations), 200
    {saved_at, check: {grids: [{code, name, households, buildings, load, contiguous}],
    violations: [{rule, level, codes, message, area_m2, geometry}]}} — the draft applied to the
    live layout in a savepoint that is rolled back: nobody else ever sees it.
    DELETE: discards it, 204 (also when there was none)."""
    if request.method == "GET":
        return json_response(_draft_json(draft_get(community_code=code, user=request.user)))
    if request.method == "DELETE":
        draft_discard(community_code=code, user=request.user)
        return HttpResponse(status=204)
    body = json_body(request)
    saved, check = draft_save(
        community_code=code,
        user=request.user,
        base_revision=_base(body),
        moves=_moves(body),
        new_units=_new_units(body),
    )
    return json_response(
        {
            "saved_at": saved.updated_at.isoformat(),
            "check": {"grids": check.grids, "violations": check.violations},
        }
    )


@require_POST
def publish(request, code: str):
    """POST JSON {effective_date: YYYY-MM-DD, band_reason?}: publishes the user's draft. 201
    {revision, effective_date, grids} and the draft is deleted; 409 (stale base, with what
    changed) or 422 (violations) and the draft is kept; 404 without a draft."""
    body = json_body(request)
    revision = draft_publish(
        community_code=code,
        user=request.user,
        effective_date=_date(body, required=True),
        band_reason=_text(body, "band_reason"),
    )
    return json_response(_published(revision), status=201)


@require_GET
def diff(request, code: str, a: int, b: int):
    """GET: {from, to, grids: [{code, households_from, households_to, buildings_from,
    buildings_to, area_m2_gained, area_m2_lost}], moved: FeatureCollection of the areas that
    changed grid (EPSG:4326; properties from_grid, to_grid, area_m2, buildings, households)},
    computed from the two revisions' snapshots."""
    return json_response(layout_diff(community_code=code, from_number=a, to_number=b))


@require_POST
def revert(request, code: str, n: int):
    """POST JSON {base_revision, effective_date, reason}: 201 {revision, effective_date, grids},
    a NEW revision whose layout equals revision n (rules checked; 409 / 422 as a commit)."""
    body = json_body(request)
    revision = layout_revert(
        community_code=code,
        number=n,
        base_revision=_base(body),
        effective_date=_date(body, required=True),
        reason=_text(body, "reason"),
        user=request.user,
    )
    return json_response(_published(revision), status=201)


@require_POST
def cancel(request, code: str, n: int):
    """POST (no body needed): withdraw revision n, a publish still waiting for its date (or that
    failed to take effect). 200 {revision, state: "cancelled", cancelled_at}; 400 when it is
    already in effect (publish or revert instead), 409 when already cancelled."""
    revision = revision_cancel(community_code=code, number=n, user=request.user)
    return json_response(
        {
            "revision": revision.number,
            "state": str(revision.state),
            "cancelled_at": revision.cancelled_at.isoformat(),
        }
    )

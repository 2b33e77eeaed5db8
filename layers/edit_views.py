"""The editing API (JSON) the planners' editor uses: a community's live layout with its revision,
the list of revisions, and a commit of parcel moves (201 / 400 / 403 / 409 / 422)."""

import datetime
import json

from django.conf import settings
from django.views.decorators.http import require_GET, require_POST

from geo.errors import BadRequest, NotFound
from geo.http import json_response
from layers.models import Community, Grid
from layers.models.boundaries import load_status
from layers.services.layouts import (
    ParcelMove,
    layout_assignment,
    layout_commit,
    layout_revision_current,
)


def _community(code: str) -> Community:
    community = Community.objects.filter(code=code).first()
    if community is None:
        raise NotFound(f"no community with code {code}")
    return community


def _grids(community: Community) -> list[dict]:
    lo, hi = settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN, settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX
    rows = Grid.objects.filter(community=community).order_by("code")
    return [
        {
            "code": g.code,
            "name": g.name,
            "households": g.households,
            "buildings": g.building_count,
            "load": str(load_status(g.households, lo=lo, hi=hi)),
        }
        for g in rows
    ]


@require_GET
def layout(request, code: str):
    community = _community(code)
    assignment = layout_assignment(community=community)
    return json_response(
        {
            "community": {"code": community.code, "name": community.name},
            "revision": layout_revision_current(community=community),
            "parcels": [
                {"id": int(pk), "grid": grid, "microgrid": micro}
                for pk, (grid, micro) in assignment.items()
            ],
            "grids": _grids(community),
        }
    )


@require_GET
def revisions(request, code: str):
    community = _community(code)
    rows = community.revisions.order_by("-number").values(
        "number", "author__username", "created_at", "effective_date", "reason", "changed_parcels"
    )
    return json_response(
        {
            "community": community.code,
            "revisions": [
                {
                    **r,
                    "created_at": r["created_at"].isoformat(),
                    "effective_date": r["effective_date"].isoformat(),
                }
                for r in rows
            ],
        }
    )


def _moves(body: dict) -> list[ParcelMove]:
    raw = body.get("moves")
    if not isinstance(raw, list):
        raise BadRequest("moves must be a list of {parcel, grid, microgrid}")
    moves = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or not isinstance(m.get("parcel"), int):
            raise BadRequest(f"moves[{i}] needs an integer parcel id")
        moves.append(ParcelMove(m["parcel"], m.get("grid") or None, m.get("microgrid") or None))
    return moves


@require_POST
def commit(request, code: str):
    """POST JSON {base_revision, moves: [{parcel, grid, microgrid}], effective_date?,
    band_reason?}: 201 with the new revision; 409 when base_revision is stale; 422 with the
    violations when a rule would break (nothing is written)."""
    try:
        body = json.loads(request.body or b"{}")
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    base = body.get("base_revision")
    if not isinstance(base, int) or base < 0:
        raise BadRequest("base_revision must be the revision number the edit started from")
    raw_date = body.get("effective_date") or datetime.date.today().isoformat()
    try:
        effective = datetime.date.fromisoformat(raw_date)
    except (TypeError, ValueError):
        raise BadRequest(f"effective_date must be YYYY-MM-DD, not {raw_date!r}") from None
    revision = layout_commit(
        community_code=code,
        base_revision=base,
        moves=_moves(body),
        user=request.user,
        effective_date=effective,
        band_reason=str(body.get("band_reason") or ""),
    )
    return json_response(
        {
            "revision": revision.number,
            "effective_date": revision.effective_date.isoformat(),
            "grids": _grids(revision.community),
        },
        status=201,
    )

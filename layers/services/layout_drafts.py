"""A planner's draft of a community's layout: saved as it is (it may hold violations), checked
against the live layout without anyone else ever seeing it, and published through layout_commit.

The check applies the draft inside a SAVEPOINT, reads the totals and the rule violations, and
rolls the savepoint back. Everything the moves set off is undone with it: the derivation
triggers' updates, the pghistory rows, the tile purge (its DELETEs from tiles_cache and the
tiles_epoch bump), and the epoch's NOTIFY — PostgreSQL drops notifications queued in an aborted
subtransaction, so no worker empties its tile memory for a layout that was never published.
"""

import datetime
import json
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import NumGeometries
from django.db import transaction

from geo.domain import grid_band
from geo.errors import NotFound
from layers.models import Community, Grid, LayoutDraft, LayoutRevision
from layers.rules import boundary_violations
from layers.services.layout_apply import NewUnit, ParcelMove, layout_apply
from layers.services.layouts import layout_authorise, layout_commit


@dataclass(frozen=True)
class DraftCheck:
    grids: list[dict]
    violations: list[dict]


class _Discard(Exception):
    """Raised to roll the check's savepoint back once its results are read."""


def _community(code: str) -> Community:
    community = Community.objects.select_related("street").filter(code=code).first()
    if community is None:
        raise NotFound(f"no community with code {code}")
    return community


def grids_summary(*, community: Community) -> list[dict]:
    """Each grid of the community: households, buildings, load band, contiguity (one part)."""
    band = grid_band()
    rows = (
        Grid.objects.filter(community=community)
        .annotate(parts=NumGeometries("geom"))
        .order_by("code")
    )
    return [
        {
            "code": g.code,
            "name": g.name,
            "households": g.households,
            "buildings": g.building_count,
            "load": band.status(g.households),
            "contiguous": g.parts == 1,
        }
        for g in rows
    ]


def _moves(draft: LayoutDraft) -> list[ParcelMove]:
    return [
        ParcelMove(m["parcel"], m.get("grid") or None, m.get("microgrid") or None)
        for m in draft.moves
    ]


def _new_units(draft: LayoutDraft) -> list[NewUnit]:
    return [NewUnit(u["code"], u.get("name") or "") for u in draft.new_grids]


def draft_check(*, community: Community, moves, new_units) -> DraftCheck:
    """The layout the draft would make, checked, and rolled back (module docstring)."""
    result = None
    try:
        with transaction.atomic():
            layout_apply(community=community, moves=moves, new_units=new_units)
            violations = [
                {**v.as_dict(), "geometry": json.loads(v.geom.geojson) if v.geom else None}
                for v in boundary_violations(scope=community.code)
            ]
            result = DraftCheck(grids_summary(community=community), violations)
            raise _Discard
    except _Discard:
        pass
    return result


def draft_get(*, community_code: str, user) -> LayoutDraft | None:
    """The user's draft of the community, or None (anonymous users have none)."""
    community = _community(community_code)
    if not user.is_authenticated:
        return None
    return LayoutDraft.objects.filter(community=community, author=user).first()


def draft_save(
    *,
    community_code: str,
    user,
    base_revision: int,
    moves: list[ParcelMove],
    new_units: list[NewUnit],
) -> tuple[LayoutDraft, DraftCheck]:
    """Save the user's draft (replacing their previous one) and check it."""
    with transaction.atomic():
        community = _community(community_code)
        layout_authorise(user=user, community=community)
        check = draft_check(community=community, moves=moves, new_units=new_units)
        draft, _ = LayoutDraft.objects.update_or_create(
            community=community,
            author=user,
            defaults={
                "base_revision": base_revision,
                "moves": [
                    {"parcel": m.parcel_id, "grid": m.grid_code, "microgrid": m.microgrid_code}
                    for m in moves
                ],
                "new_grids": [{"code": u.code, "name": u.name} for u in new_units],
            },
        )
    return draft, check


def draft_discard(*, community_code: str, user) -> None:
    """Delete the user's draft; idempotent (no draft is not an error: the editor discards
    whenever its undo stack is empty)."""
    community = _community(community_code)
    layout_authorise(user=user, community=community)
    LayoutDraft.objects.filter(community=community, author=user).delete()


def draft_publish(
    *, community_code: str, user, effective_date: datetime.date, band_reason: str = ""
) -> LayoutRevision:
    """Publish the user's draft via layout_commit; the draft is deleted on success only (a 409
    or 422 rolls the whole transaction back, the draft with it)."""
    with transaction.atomic():
        community = _community(community_code)
        layout_authorise(user=user, community=community)
        draft = draft_get(community_code=community_code, user=user)
        if draft is None:
            raise NotFound(f"you have no draft of {community_code} to publish: save one first")
        revision = layout_commit(
            community_code=community_code,
            base_revision=draft.base_revision,
            moves=_moves(draft),
            new_units=_new_units(draft),
            user=user,
            effective_date=effective_date,
            band_reason=band_reason,
        )
        draft.delete()
    return revision

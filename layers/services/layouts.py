"""Committing a community's layout: parcel moves (and the grids they create or empty, see
layout_apply) are applied, the rules checked in the same transaction, and a new immutable
revision records it with a snapshot of every grid — or nothing happens.

- Who may write: the planner permission AND the community's street assigned to the user
  (PlannerStreet); staff and superusers with the permission may edit everything. The rule is
  layers.permissions' (the same as imports and the admin); layout_authorise asks it for
  commits, drafts, publishes, reverts and cuts alike.
- A commit names the revision it was based on; if another was published since, it is refused
  with what changed (409), never merged silently.
- Structural rules (gap, overlap, outside parent, split building, codes) must pass; grids out of
  the household band pass only with a reason (422 with the violations otherwise).
- The first commit of a community first records the layout as it was as revision 0, the
  baseline, effective from BASELINE_DATE (0001-01-01): earlier than any real date, so as-of
  lookups before the first publish answer the baseline and a back-dated publish still wins.
- Every commit runs in a pghistory context naming the revision, its effective date, the
  community and the author, so the grid and parcel history rows say which publish made them.
- A publish dated after today (Asia/Shanghai, settings.TIME_ZONE) is *scheduled*: the moves are
  applied and checked in a savepoint, the revision and its snapshot are recorded, and the live
  layout is put back — the map, tiles, lookup, analyses and exports keep showing the layout in
  effect today. A worker applies it on its date (layers/services/layout_schedule.py). While a
  community has a scheduled (or failed) publish pending, other publishes are refused (409):
  each would be computed on a layout that is about to change; cancel it first.
Grid and micro-grid polygons and totals follow from the parcels by the derivation triggers, and
the tile cache purges what they touch, so the map shows the new layout at once.
"""

import datetime
import json
from pathlib import Path

import pghistory
from django.db import connection, transaction
from django.utils import timezone

from geo.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from geo.sql import sql_text
from layers.models import Community, LayoutRevision, LayoutRevisionGrid, Parcel
from layers.permissions import (
    is_planner,
    is_signed_in,
    is_system,
    may_write_feature,
)
from layers.rules import boundary_violations
from layers.services.layout_apply import NewUnit, ParcelMove, layout_apply

BAND_RULE = "load_band"
BASELINE_DATE = datetime.date(1, 1, 1)
SQL_DIR = Path(__file__).resolve().parent / "sql"

__all__ = [
    "BASELINE_DATE",
    "NewUnit",
    "ParcelMove",
    "layout_assignment",
    "community_authorise",
    "layout_authorise",
    "layout_commit",
    "layout_editable",
    "layout_revision_current",
    "revision_pending",
]


def layout_editable(*, user, community: Community) -> bool:
    try:
        layout_authorise(user=user, community=community)
    except Forbidden:
        return False
    return True


def layout_authorise(*, user, community: Community) -> None:
    """Raise Forbidden unless `user` may change the layout of `community` (the one permission
    model, layers.permissions: planner of its street, or staff with the permission)."""
    if not (is_system(user) or is_signed_in(user)):
        raise Forbidden("sign in to edit layouts")
    if not (is_system(user) or is_planner(user)):
        raise Forbidden("editing layouts needs the planner permission (layers.change_parcel)")
    if not may_write_feature(user, community):
        street = community.street
        raise Forbidden(
            f"street {street.name} ({street.code}) is not assigned to you: ask an administrator "
            "to assign it, or only read this layout"
        )


def community_authorise(*, user, community_code: str) -> Community:
    """The community, once `user` may change its layout (layout_authorise); anonymous users are
    refused before the code is even looked up."""
    if not (is_system(user) or is_signed_in(user)):
        raise Forbidden("sign in to edit layouts")
    community = Community.objects.select_related("street").filter(code=community_code).first()
    if community is None:
        raise NotFound(f"no community with code {community_code}")
    layout_authorise(user=user, community=community)
    return community


def layout_assignment(*, community: Community) -> dict[str, list]:
    """{parcel id: [grid code, micro-grid code]} of the community as it stands."""
    rows = Parcel.objects.filter(community=community).values_list(
        "id", "grid__code", "micro_grid__code"
    )
    return {str(pk): [grid, micro] for pk, grid, micro in rows}


def layout_revision_current(*, community: Community) -> int:
    latest = community.revisions.order_by("-number").values_list("number", flat=True).first()
    return latest or 0


def revision_pending(*, community: Community) -> LayoutRevision | None:
    """The community's publish waiting for its date (or that failed to take effect), if any."""
    return (
        community.revisions.filter(applied_at=None, cancelled_at=None)
        .select_related("author")
        .order_by("number")
        .first()
    )


def _pending_refuse(community: Community) -> None:
    pending = revision_pending(community=community)
    if pending is None:
        return
    when = pending.effective_date.isoformat()
    state = f"is scheduled to take effect on {when}"
    if pending.apply_error:
        state = f"failed to take effect on {when} ({pending.apply_error})"
    raise Conflict(
        f"revision {pending.number} of {community.code} {state}: cancel it in the versions list "
        "before publishing another change, or wait until it takes effect",
        scheduled_revision=pending.number,
        scheduled_effective_date=when,
        state=pending.state,
    )


def _stale(community: Community, base_revision: int, current: int, user) -> Conflict:
    # Who published is told to signed-in users only (planners' names are not public).
    fields = ["number", "created_at", "effective_date", "changed_parcels"]
    if is_signed_in(user) and not is_system(user):
        fields.insert(1, "author__username")
    since = list(
        community.revisions.filter(number__gt=base_revision).order_by("number").values(*fields)
    )
    return Conflict(
        f"the layout of {community.code} is at revision {current}, not {base_revision}: "
        "reload it and apply your changes again",
        current_revision=current,
        changed_since=[
            {
                **r,
                "created_at": r["created_at"].isoformat(),
                "effective_date": r["effective_date"].isoformat(),
            }
            for r in since
        ],
    )


def revision_record(
    *,
    community: Community,
    number: int,
    user,
    effective_date,
    reason: str,
    changed: list[int],
    applied: bool = True,
) -> LayoutRevision:
    """Create revision `number` with the snapshot of the live layout (grids, micro-grids,
    buildings) — in the caller's transaction, after the layout is final. `applied`: it is the
    live layout from now on (else it is scheduled: layout_commit puts the live layout back)."""
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "layout_buildings.sql"), {"community_id": community.pk})
        raw = cur.fetchone()[0]
    # Django's psycopg set-up hands jsonb over as text.
    buildings = (json.loads(raw) if isinstance(raw, str) else raw) or {}
    revision = LayoutRevision.objects.create(
        community=community,
        number=number,
        author=user if is_signed_in(user) and not is_system(user) else None,
        effective_date=effective_date,
        reason=reason,
        assignment=layout_assignment(community=community),
        changed_parcels=changed,
        buildings=buildings,
        baseline=number == 0,
        applied_at=timezone.now() if applied else None,
    )
    with connection.cursor() as cur:
        cur.execute(
            sql_text(SQL_DIR / "layout_snapshot.sql"),
            {"community_id": community.pk, "revision_id": revision.pk},
        )
    return revision


def community_locked(community_code: str) -> Community:
    """The community, its row locked until the transaction ends: commits and cuts to one
    community are serialised, so a revision check made after it is exact."""
    community = (
        Community.objects.select_for_update(of=("self",))
        .select_related("street")
        .filter(code=community_code)
        .first()
    )
    if community is None:
        raise NotFound(f"no community with code {community_code}")
    return community


def layout_commit(
    *,
    community_code: str,
    base_revision: int,
    moves: list[ParcelMove],
    user,
    effective_date: datetime.date,
    band_reason: str = "",
    new_units: list[NewUnit] = (),
    restore: bool = False,
) -> LayoutRevision:
    """Apply `moves` to the community's live layout in one transaction, check the rules there,
    and publish the result as revision base_revision + 1 (see the module docstring)."""
    with transaction.atomic():
        community = community_locked(community_code)
        layout_authorise(user=user, community=community)
        if not moves:
            raise BadRequest("nothing to commit: give at least one parcel move")
        current = layout_revision_current(community=community)
        if base_revision != current:
            raise _stale(community, base_revision, current, user)
        _pending_refuse(community)
        scheduled = effective_date > timezone.localdate()
        context = {
            "action": "layout_publish",
            "community": community.code,
            "layout_revision": current + 1,
            "effective_date": effective_date.isoformat(),
            "author": getattr(user, "username", None),
        }
        with pghistory.context(**context):
            if current == 0 and not community.revisions.filter(number=0).exists():
                revision_record(
                    community=community,
                    number=0,
                    user=user,
                    effective_date=BASELINE_DATE,
                    reason="baseline: the layout before the first publish",
                    changed=[],
                )
            # A scheduled publish is applied, checked and snapshotted in a savepoint that is
            # then rolled back: the live layout stays the one in effect today.
            savepoint = transaction.savepoint() if scheduled else None
            changed = layout_apply(
                community=community, moves=moves, new_units=new_units, restore=restore
            )
            found = boundary_violations(scope=community.code)
            blocking = [v for v in found if v.rule != BAND_RULE or not band_reason.strip()]
            if blocking:
                raise RuleViolation(
                    f"{len(blocking)} rule violation(s): nothing was published",
                    violations=[v.as_dict() for v in blocking],
                )
            revision = revision_record(
                community=community,
                number=current + 1,
                user=user,
                effective_date=effective_date,
                reason=band_reason.strip(),
                changed=changed or sorted({m.parcel_id for m in moves}),
                applied=not scheduled,
            )
            if scheduled:
                revision = _revision_keep(revision, savepoint)
            return revision


def _revision_keep(revision: LayoutRevision, savepoint) -> LayoutRevision:
    """Roll back to `savepoint` (the layout before the moves) and record `revision` and its
    snapshot again: the scheduled revision survives, the live layout is as it was."""
    units = list(
        revision.units.values("level", "code", "name", "geom", "households", "building_count")
    )
    fields = {
        f.attname: getattr(revision, f.attname)
        for f in LayoutRevision._meta.concrete_fields
        if not f.primary_key
    }
    transaction.savepoint_rollback(savepoint)
    kept = LayoutRevision(**fields)
    kept.save(force_insert=True)
    LayoutRevisionGrid.objects.bulk_create(LayoutRevisionGrid(revision=kept, **u) for u in units)
    return kept

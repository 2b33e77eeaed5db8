"""Committing a community's layout: parcels move between grids and micro-grids, the rules are
checked in the same transaction, and a new immutable revision records it — or nothing happens.

- A commit names the revision it was based on; if another was published since, it is refused
  with what changed (409), never merged silently.
- Structural rules (gap, overlap, outside parent, split building, codes) must pass; grids out of
  the household band pass only with a reason (422 with the violations otherwise).
Grid and micro-grid polygons and totals follow from the parcels by the derivation triggers, and
the tile cache purges what they touch, so the map shows the new layout at once.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from geo.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from layers.models import Community, Grid, LayoutRevision, MicroGrid, Parcel
from layers.rules import boundary_violations

EDIT_PERMISSION = "layers.change_parcel"
BAND_RULE = "load_band"


@dataclass(frozen=True)
class ParcelMove:
    parcel_id: int
    grid_code: str | None
    microgrid_code: str | None = None


def layout_assignment(*, community: Community) -> dict[str, list]:
    """{parcel id: [grid code, micro-grid code]} of the community as it stands."""
    rows = Parcel.objects.filter(community=community).values_list(
        "id", "grid__code", "micro_grid__code"
    )
    return {str(pk): [grid, micro] for pk, grid, micro in rows}


def layout_revision_current(*, community: Community) -> int:
    latest = community.revisions.order_by("-number").values_list("number", flat=True).first()
    return latest or 0


def _resolve(
    community: Community, moves: list[ParcelMove]
) -> list[tuple[int, int | None, int | None]]:
    parcel_ids = {m.parcel_id for m in moves}
    mine = set(
        Parcel.objects.filter(community=community, pk__in=parcel_ids).values_list("pk", flat=True)
    )
    foreign = sorted(parcel_ids - mine)
    if foreign:
        raise BadRequest(f"parcels {foreign[:10]} are not in community {community.code}")
    grids = dict(Grid.objects.filter(community=community).values_list("code", "pk"))
    micros = {
        code: (pk, grid_id)
        for code, pk, grid_id in MicroGrid.objects.filter(grid__community=community).values_list(
            "code", "pk", "grid_id"
        )
    }
    out = []
    for m in moves:
        grid_id = grids.get(m.grid_code) if m.grid_code else None
        if m.grid_code and grid_id is None:
            raise BadRequest(f"no grid {m.grid_code} in community {community.code}")
        micro_id = None
        if m.microgrid_code:
            micro = micros.get(m.microgrid_code)
            if micro is None or micro[1] != grid_id:
                raise BadRequest(f"micro-grid {m.microgrid_code} is not in grid {m.grid_code}")
            micro_id = micro[0]
        out.append((m.parcel_id, grid_id, micro_id))
    return out


def layout_commit(
    *,
    community_code: str,
    base_revision: int,
    moves: list[ParcelMove],
    user,
    effective_date: datetime.date,
    band_reason: str = "",
) -> LayoutRevision:
    """Apply `moves` to the community's live layout in one transaction, check the rules there,
    and publish the result as revision base_revision + 1."""
    if not user.has_perm(EDIT_PERMISSION):
        raise Forbidden("editing layouts needs the planner permission (layers.change_parcel)")
    if not moves:
        raise BadRequest("nothing to commit: give at least one parcel move")
    with transaction.atomic():
        # The row lock serialises commits to one community; the revision check then is exact.
        community = Community.objects.select_for_update().filter(code=community_code).first()
        if community is None:
            raise NotFound(f"no community with code {community_code}")
        current = layout_revision_current(community=community)
        if base_revision != current:
            since = list(
                community.revisions.filter(number__gt=base_revision)
                .order_by("number")
                .values("number", "author__username", "created_at", "changed_parcels")
            )
            raise Conflict(
                f"the layout of {community_code} is at revision {current}, not {base_revision}: "
                "reload it and apply your changes again",
                current_revision=current,
                changed_since=[{**r, "created_at": r["created_at"].isoformat()} for r in since],
            )
        for parcel_id, grid_id, micro_id in _resolve(community, moves):
            Parcel.objects.filter(pk=parcel_id).update(grid_id=grid_id, micro_grid_id=micro_id)
        found = boundary_violations(scope=community.code)
        blocking = [v for v in found if v.rule != BAND_RULE or not band_reason.strip()]
        if blocking:
            raise RuleViolation(
                f"{len(blocking)} rule violation(s): nothing was published",
                violations=[v.as_dict() for v in blocking],
            )
        return LayoutRevision.objects.create(
            community=community,
            number=current + 1,
            author=user if user.is_authenticated else None,
            effective_date=effective_date,
            reason=band_reason.strip(),
            assignment=layout_assignment(community=community),
            changed_parcels=sorted({m.parcel_id for m in moves}),
        )

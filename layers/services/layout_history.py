"""The versions of a community's layout: the diff between two revisions, a revert to an earlier
one, and which grid a point was in on a date. All read the revisions' snapshots (grid polygons,
totals, building→grid), never today's parcels, so they survive parcels being cut later.

- diff(a, b): per grid, households and buildings before/after and the area gained and lost; the
  areas that changed grid as GeoJSON features with the buildings and households that moved.
- revert(n): a NEW revision whose layout equals revision n's (revision_restore_plan), published
  through layout_commit so the rules are checked. Units n had that were retired since are
  re-created under their old codes: restoring a grid is not reusing its code for another one.
- as-of: layers.selectors.lookup.grid_as_of reads the same snapshots (point_lookup_as_of.sql).
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.db import connection

from geo.errors import BadRequest, NotFound
from geo.sql import sql_text
from layers.models import Community, LayoutRevision, Parcel
from layers.services.layout_apply import NewUnit, ParcelMove
from layers.services.layouts import layout_authorise, layout_commit

SQL_DIR = Path(__file__).resolve().parent / "sql"


def _revision(community_code: str, number: int) -> LayoutRevision:
    revision = (
        LayoutRevision.objects.select_related("community")
        .filter(community__code=community_code, number=number)
        .first()
    )
    if revision is None:
        if not Community.objects.filter(code=community_code).exists():
            raise NotFound(f"no community with code {community_code}")
        raise NotFound(f"community {community_code} has no revision {number}")
    return revision


def layout_diff(*, community_code: str, from_number: int, to_number: int) -> dict:
    """{from, to, grids: [...], moved: FeatureCollection} (see layout_diff.sql)."""
    a = _revision(community_code, from_number)
    b = _revision(community_code, to_number)
    with connection.cursor() as cur:
        cur.execute(
            sql_text(SQL_DIR / "layout_diff.sql"),
            {
                "from_id": a.pk,
                "to_id": b.pk,
                "min_area_m2": settings.GRIDATLAS_MIN_VIOLATION_AREA_M2,
            },
        )
        raw = cur.fetchone()[0]
    body = json.loads(raw) if isinstance(raw, str) else raw
    features = [
        {
            "type": "Feature",
            "geometry": m.pop("geometry"),
            "properties": {**m, "area_m2": float(m["area_m2"])},
        }
        for m in body["moved"]
    ]
    grids = [
        {
            **g,
            "area_m2_gained": float(g["area_m2_gained"]),
            "area_m2_lost": float(g["area_m2_lost"]),
        }
        for g in body["grids"]
    ]
    return {
        "from": from_number,
        "to": to_number,
        "grids": grids,
        "moved": {"type": "FeatureCollection", "features": features},
    }


def revision_restore_plan(target: LayoutRevision) -> tuple[list[ParcelMove], list[NewUnit]]:
    """The parcel moves that make the live layout equal revision `target`, and the units they
    need that are not live (re-created under their old codes and names). Parcels that existed at
    the revision go back to its grid and micro-grid; parcels made since (a cut splits parcels)
    go where the revision's snapshot polygon covers their point on surface. Used by revert and
    by a scheduled publish taking effect (layout_schedule)."""
    live = list(
        Parcel.objects.filter(community=target.community).values_list(
            "pk", "grid__code", "micro_grid__code"
        )
    )
    wanted: dict[int, tuple] = {}
    newer = []
    for pk, *_ in live:
        if str(pk) in target.assignment:
            wanted[pk] = tuple(target.assignment[str(pk)])
        else:
            newer.append(pk)
    if newer:
        with connection.cursor() as cur:
            cur.execute(
                sql_text(SQL_DIR / "layout_revert_locate.sql"),
                {"revision_id": target.pk, "parcel_ids": newer},
            )
            wanted |= {pk: (grid, micro) for pk, grid, micro in cur.fetchall()}
    moves = [ParcelMove(pk, *wanted[pk]) for pk, grid, micro in live if (grid, micro) != wanted[pk]]
    community = target.community
    live_codes = set(community.grids.values_list("code", flat=True))
    live_codes |= set(
        community.grids.values_list("microgrids__code", flat=True).exclude(microgrids__code=None)
    )
    names = dict(target.units.values_list("code", "name"))
    needed = {c for m in moves for c in (m.grid_code, m.microgrid_code) if c}
    return moves, [NewUnit(code, names.get(code, code)) for code in sorted(needed - live_codes)]


def layout_revert(
    *,
    community_code: str,
    number: int,
    base_revision: int,
    effective_date: datetime.date,
    reason: str,
    user,
) -> LayoutRevision:
    """Publish a new revision equal to revision `number` (module docstring)."""
    target = _revision(community_code, number)
    layout_authorise(user=user, community=target.community)
    if not reason.strip():
        raise BadRequest("say why you revert (reason)")
    if target.state == LayoutRevision.State.CANCELLED:
        raise BadRequest(f"revision {number} was cancelled and never took effect: pick another")
    moves, new_units = revision_restore_plan(target)
    if not moves:
        raise BadRequest(f"the live layout already equals revision {number}: nothing to revert")
    return layout_commit(
        community_code=community_code,
        base_revision=base_revision,
        moves=moves,
        user=user,
        effective_date=effective_date,
        band_reason=f"revert to revision {number}: {reason.strip()}",
        new_units=new_units,
        restore=True,
    )

"""Applying parcel moves to a community's live layout, inside the caller's transaction: the one
step shared by a publish (layout_commit), a draft's check (rolled back in a savepoint) and a revert.

- Moves may name grids and micro-grids listed as new units: they are created first. Their codes
  are the parent's code + 3 digits and never one used before in the community — retired codes
  included, read from the pghistory event tables (docs/design.md: a retired code is never reused).
- In a community that uses micro-grids, a parcel moved with no micro-grid gets one, so
  micro-grids keep tiling their grid (rule 3 checks micro-grids against their grid): if its
  grid did not change it keeps its micro-grid; otherwise
  the parcels that came from the same micro-grid (or from none) into the same grid become one new
  micro-grid of that grid, named after the one they left. Merging two grids thus carries the
  merged grid's micro-grids along, recoded under the receiving grid.
- A grid or micro-grid the moves leave without parcels is deleted (pghistory keeps it, its code
  is retired); its workers follow the parcels to the unit that received most of them.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import connection

from geo.codes import LEVELS
from geo.errors import BadRequest
from layers.models import Community, Grid, MicroGrid, Parcel, Worker

GRID_CODE_LEN, MICROGRID_CODE_LEN = LEVELS["grid"].digits, LEVELS["microgrid"].digits

# The highest 3-digit suffix ever used under a parent code, live or retired (event tables).
_MAX_SUFFIX_SQL = """
SELECT max(right(code, 3)::int) FROM (
  SELECT code FROM {live} WHERE code LIKE %(prefix)s
  UNION ALL SELECT code FROM {events} WHERE code LIKE %(prefix)s) c
 WHERE length(code) = %(length)s AND right(code, 3) ~ '^[0-9]{{3}}$'
"""
_TABLES = {
    GRID_CODE_LEN: ("layers_grid", "layers_gridevent"),
    MICROGRID_CODE_LEN: ("layers_microgrid", "layers_microgridevent"),
}


@dataclass(frozen=True)
class ParcelMove:
    parcel_id: int
    grid_code: str | None
    microgrid_code: str | None = None


@dataclass(frozen=True)
class NewUnit:
    """A grid (15-digit code) or micro-grid (18 digits, under its grid's code) a commit creates."""

    code: str
    name: str = ""


def unit_code_max(*, parent_code: str) -> int:
    """The highest suffix ever used for the children of `parent_code` (0 if none)."""
    length = len(parent_code) + 3
    live, events = _TABLES[length]
    with connection.cursor() as cur:
        # Identifiers come from _TABLES only, never from input.
        cur.execute(
            _MAX_SUFFIX_SQL.format(live=live, events=events),
            {"prefix": f"{parent_code}%", "length": length},
        )
        return cur.fetchone()[0] or 0


def microgrid_codes_next(*, community_code: str) -> dict[str, str]:
    """{grid code: the next never-used micro-grid code under it} for every grid of the
    community that has, or ever had, micro-grids (a grid with none starts at its code + 001)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT left(code, %(grid)s), max(right(code, 3)::int) FROM (
                 SELECT code FROM layers_microgrid WHERE code LIKE %(prefix)s
                 UNION ALL SELECT code FROM layers_microgridevent WHERE code LIKE %(prefix)s) c
                WHERE length(code) = %(microgrid)s AND right(code, 3) ~ '^[0-9]{3}$'
                GROUP BY 1""",
            {
                "prefix": f"{community_code}%",
                "grid": GRID_CODE_LEN,
                "microgrid": MICROGRID_CODE_LEN,
            },
        )
        return {grid: f"{grid}{top + 1:03d}" for grid, top in cur.fetchall()}


def unit_code_next(*, parent_code: str) -> str:
    """The next never-used code under `parent_code` (a community's next grid code)."""
    return f"{parent_code}{unit_code_max(parent_code=parent_code) + 1:03d}"


def _used_before(code: str) -> bool:
    live, events = _TABLES[len(code)]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {live} WHERE code = %(c)s)"  # noqa: S608 fixed names
            f" OR EXISTS (SELECT 1 FROM {events} WHERE code = %(c)s)",
            {"c": code},
        )
        return cur.fetchone()[0]


def _create_units(community: Community, new_units: list[NewUnit], *, restore: bool) -> set[int]:
    grids, micros = _new_units_by_level(new_units)
    for code in [*grids, *micros]:
        _new_code_check(code, community, restore=restore)
    created = set()
    for code, unit in grids.items():
        grid = Grid(code=code, name=unit.name or code, community=community)
        grid.save()
        created.add(("grid", grid.pk))
    for code, unit in micros.items():
        grid = Grid.objects.filter(code=code[:GRID_CODE_LEN], community=community).first()
        if grid is None:
            raise BadRequest(f"new micro-grid {code}: no grid {code[:GRID_CODE_LEN]}")
        micro = MicroGrid(code=code, name=unit.name or code, grid=grid)
        micro.save()
        created.add(("microgrid", micro.pk))
    return created


def _new_units_by_level(new_units: list[NewUnit]) -> tuple[dict, dict]:
    """{code: unit} of the new grids and of the new micro-grids; a code of any other length
    is refused."""
    grids = {u.code: u for u in new_units if len(u.code) == GRID_CODE_LEN}
    micros = {u.code: u for u in new_units if len(u.code) == MICROGRID_CODE_LEN}
    odd = [u.code for u in new_units if u.code not in grids and u.code not in micros]
    if odd:
        raise BadRequest(
            f"new grid codes must have {GRID_CODE_LEN} digits (micro-grids {MICROGRID_CODE_LEN}): "
            f"{odd[:5]}"
        )
    return grids, micros


def _new_code_check(code: str, community: Community, *, restore: bool) -> None:
    """A new unit's code: the community's, live nowhere, and (unless restored) never used."""
    if not code.isdigit() or not code.startswith(community.code):
        raise BadRequest(f"new code {code} must be digits starting with {community.code}")
    live, _ = _TABLES[len(code)]
    exists = (Grid if live == "layers_grid" else MicroGrid).objects.filter(code=code).exists()
    if exists or (not restore and _used_before(code)):
        parent = code[: len(code) - 3]
        raise BadRequest(
            f"code {code} is in use or was used before (retired codes are never reused): "
            f"take {unit_code_next(parent_code=parent)}"
        )


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


def _update(rows: list[tuple[int, int | None, int | None]]) -> None:
    """One statement for all moves: the derivation triggers then refresh each unit once."""
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE layers_parcel p SET grid_id = m.g, micro_grid_id = m.mg
                 FROM unnest(%(ids)s::bigint[], %(g)s::bigint[], %(mg)s::bigint[]) AS m(id, g, mg)
                WHERE p.id = m.id""",
            {"ids": [r[0] for r in rows], "g": [r[1] for r in rows], "mg": [r[2] for r in rows]},
        )


def _fill_microgrids(rows, before: dict[int, tuple]) -> list[tuple[int, int, int]]:
    """Micro-grids for the moved parcels left without one (see the module docstring)."""
    groups: dict[tuple[int, int | None], list[int]] = {}
    fixed = []
    for pid, grid_id, micro_id in rows:
        if grid_id is None or micro_id is not None:
            continue
        old_grid, old_micro = before[pid]
        if old_grid == grid_id and old_micro is not None:
            fixed.append((pid, grid_id, old_micro))
        else:
            groups.setdefault((grid_id, old_micro), []).append(pid)
    grids = Grid.objects.in_bulk({g for g, _ in groups})
    olds = MicroGrid.objects.in_bulk({m for _, m in groups if m is not None})
    suffix: dict[int, int] = {}
    for (grid_id, old_micro), pids in sorted(groups.items(), key=lambda kv: min(kv[1])):
        grid = grids[grid_id]
        if grid_id not in suffix:
            suffix[grid_id] = unit_code_max(parent_code=grid.code)
        suffix[grid_id] += 1
        code = f"{grid.code}{suffix[grid_id]:03d}"
        name = olds[old_micro].name if old_micro in olds else f"{grid.name} {code[-3:]}"
        micro = MicroGrid(code=code, name=name, grid=grid)
        micro.save()
        fixed += [(pid, grid_id, micro.pk) for pid in pids]
    return fixed


def _retire_emptied(community: Community, before: dict[int, tuple], touched: set) -> None:
    """Delete touched units left without parcels; their workers follow most of their parcels."""
    now = dict(
        (pk, (g, m))
        for pk, g, m in Parcel.objects.filter(pk__in=before).values_list(
            "pk", "grid_id", "micro_grid_id"
        )
    )
    for level, index, model, field in (
        ("microgrid", 1, MicroGrid, "micro_grid_id"),
        ("grid", 0, Grid, "grid_id"),
    ):
        candidates = {pk for lv, pk in touched if lv == level}
        candidates |= {old[index] for old in before.values() if old[index] is not None}
        used = set(
            Parcel.objects.filter(**{f"{field}__in": candidates}).values_list(field, flat=True)
        )
        for unit_id in sorted(candidates - used):
            heirs = Counter(now[pid][index] for pid, old in before.items() if old[index] == unit_id)
            heir = next((h for h, _ in heirs.most_common() if h is not None), None)
            if heir is not None:
                Worker.objects.filter(**{field: unit_id}).update(**{field: heir})
            if level == "grid":
                MicroGrid.objects.filter(grid_id=unit_id, parcels__isnull=True).delete()
            model.objects.filter(pk=unit_id).delete()


def layout_apply(
    *,
    community: Community,
    moves: list[ParcelMove],
    new_units: list[NewUnit] = (),
    restore: bool = False,
) -> list[int]:
    """Apply `moves` to the live layout in the caller's transaction; the parcel ids changed.
    `restore` lets a revert re-create units under their old (retired) codes."""
    created = _create_units(community, list(new_units), restore=restore)
    rows = _resolve(community, moves)
    before = {
        pk: (g, m)
        for pk, g, m in Parcel.objects.filter(pk__in=[r[0] for r in rows]).values_list(
            "pk", "grid_id", "micro_grid_id"
        )
    }
    # A community that does not use micro-grids (an imported layout without them) gets none
    # from an edit: one would put it in use, and every other grid would become a gap.
    if MicroGrid.objects.filter(grid__community=community).exists():
        filled = {r[0]: r for r in _fill_microgrids(rows, before)}
        rows = [filled.get(r[0], r) for r in rows]
    changed = [r for r in rows if before[r[0]] != (r[1], r[2])]
    if changed:
        _update(changed)
    _retire_emptied(community, before, created)
    return sorted(r[0] for r in changed)

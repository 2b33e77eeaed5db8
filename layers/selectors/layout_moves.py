"""The editor's one-click repairs, answered as parcel moves that nothing applies: "rebalance these
two neighbours" (`grids_rebalance`) and "assign the unassigned" (`parcels_unassigned_assign`).

Both start from the community's live grids with the editor's draft laid over them (the draft is
not on the server until it is committed), run a pure step of `layers.analysis.propose_moves`,
and answer the parcels whose grid changes, the totals of the grids concerned, and the problems.
The editor shows them as a diff; a commit (layers.services.layouts) applies them.
"""

from dataclasses import dataclass

import numpy as np

from geo.domain import grid_band
from geo.errors import BadRequest
from layers.analysis.propose_moves import pair_resplit, unassigned_attach
from layers.selectors.parcel_graph import (
    ParcelGraph,
    grid_members,
    parcel_graph,
    parcel_graph_drafted,
    parcel_graph_subset,
)

# Parcels named in an isolated pocket's problem before "…".
NAMED_PARCELS = 10


@dataclass(frozen=True)
class ParcelMove:
    parcel_id: int
    grid_code: str | None


@dataclass(frozen=True)
class GridLoad:
    code: str
    households: int
    building_count: int
    in_band: bool


@dataclass(frozen=True)
class MovesAnswer:
    moves: list[ParcelMove]
    grids: list[GridLoad]
    problems: list[str]


def _loads(*, graph: ParcelGraph, codes: list[str | None], wanted: list[str]) -> list[GridLoad]:
    band = grid_band()
    out = []
    for code in wanted:
        mine = np.array([c == code for c in codes], dtype=bool)
        households = int(graph.households[mine].sum())
        out.append(
            GridLoad(
                code,
                households,
                int(graph.building_count[mine].sum()),
                band.status(households) == "ok",
            )
        )
    return out


def _moves(*, graph: ParcelGraph, before: list, after: list) -> list[ParcelMove]:
    return [
        ParcelMove(int(pid), new)
        for pid, old, new in zip(graph.parcel_ids, before, after, strict=True)
        if old != new
    ]


def _pair(graph: ParcelGraph, grid_codes) -> tuple[str, str]:
    if (
        not isinstance(grid_codes, list | tuple)
        or len(grid_codes) != 2
        or not all(isinstance(c, str) for c in grid_codes)
    ):
        raise BadRequest("grids must name two grid codes, [a, b]")
    a, b = grid_codes
    if a == b:
        raise BadRequest(f"grids names {a} twice: name two different grids")
    for code in (a, b):
        grid_members(graph=graph, grid_code=code)  # BadRequest if not in this community
    return a, b


def grids_rebalance(
    *, community_code: str, grid_codes, assignment: dict | None = None, seed: int = 0
) -> MovesAnswer:
    """Re-split two neighbouring grids' parcels into two contiguous grids inside the band where
    possible, moving the fewest households, then parcels (see `pair_resplit`). Only their
    parcels move. BadRequest for an unknown grid or two grids that do not touch."""
    graph = parcel_graph_drafted(
        graph=parcel_graph(community_code=community_code), assignment=assignment
    )
    a, b = _pair(graph, grid_codes)
    keep = grid_members(graph=graph, grid_code=a) | grid_members(graph=graph, grid_code=b)
    pair = parcel_graph_subset(graph=graph, keep=keep)
    first = np.array([c == a for c in pair.grid_codes], dtype=bool)
    if not any(first[i] != first[j] for i, j in pair.adjacency):
        raise BadRequest(f"grids {a} and {b} are not neighbours: they share no parcel edge")
    lo, hi = grid_band()
    split = pair_resplit(
        households=pair.households,
        adjacency=pair.adjacency,
        compound=pair.compound,
        first=first,
        lo=lo,
        hi=hi,
        seed=seed,
    )
    after = [a if f else b for f in split.first]
    problems = []
    if not split.connected:
        problems.append(f"grids {a} and {b} together are not one connected piece")
    elif not split.in_band:
        problems.append(_pair_problem(a, b, total=int(pair.households.sum()), split=split))
    return MovesAnswer(
        _moves(graph=pair, before=pair.grid_codes, after=after),
        _loads(graph=pair, codes=after, wanted=[a, b]),
        problems,
    )


def _pair_problem(a: str, b: str, *, total: int, split) -> str:
    lo, hi = grid_band()
    if total < 2 * lo or total > 2 * hi:
        return (
            f"grids {a} and {b} together hold {total} households: two grids of {lo}–{hi} need "
            f"{2 * lo}–{2 * hi}; merge them with a neighbour or split them in three"
        )
    return (
        f"no contiguous split of grids {a} and {b} puts both in {lo}–{hi}; the nearest holds "
        f"{split.households[0]} and {split.households[1]} households"
    )


def parcels_unassigned_assign(
    *, community_code: str, assignment: dict | None = None
) -> MovesAnswer:
    """Attach each connected pocket of parcels with no grid to the grids that touch it (split
    between them along the pocket, evening out households; see `unassigned_attach`). A pocket
    no grid touches stays unassigned and is a problem naming its households and parcels."""
    graph = parcel_graph_drafted(
        graph=parcel_graph(community_code=community_code), assignment=assignment
    )
    number = {code: i for i, code in enumerate(graph.community_grids)}
    label = np.array([number.get(c, -1) if c else -1 for c in graph.grid_codes], dtype=np.int64)
    done = unassigned_attach(households=graph.households, adjacency=graph.adjacency, label=label)
    after = [graph.community_grids[g] if g >= 0 else None for g in done.label.tolist()]
    touched = sorted({graph.community_grids[g] for p in done.pockets for g in p.groups})
    loads = _loads(graph=graph, codes=after, wanted=touched)
    lo, hi = grid_band()
    problems = [
        f"an isolated pocket of {p.households} households at parcels "
        f"{_named(graph, p.parcels)}: no grid touches it; draw a grid there or join it by hand"
        for p in done.pockets
        if not p.groups
    ]
    problems += [
        f"grid {g.code} holds {g.households} households once the pockets are attached, outside "
        f"{lo}–{hi}: rebalance it with a neighbour"
        for g in loads
        if not g.in_band
    ]
    return MovesAnswer(_moves(graph=graph, before=graph.grid_codes, after=after), loads, problems)


def _named(graph: ParcelGraph, parcels: list[int]) -> str:
    shown = [f"#{int(graph.parcel_ids[i])}" for i in parcels[:NAMED_PARCELS]]
    return "{" + ", ".join(shown) + (", …" if len(parcels) > NAMED_PARCELS else "") + "}"

"""The parcel graph of a community, and layouts proposed on it (read-only: nothing is saved).

`parcel_graph` loads the arrays `layers.analysis.propose.propose_layouts` works on, with each
parcel's live grid; `parcel_graph_drafted` lays an editor's draft assignment over it;
`grids_propose` runs the proposal with the grid band from settings, `microgrids_propose` on one
grid's parcels with the micro-grid band, and both map the layouts back to parcel ids;
`proposal_outlines` unions each proposed group's parcels into a polygon (EPSG:4326 GeoJSON).
"""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import connection

from geo.domain import Band, grid_band, is_code, microgrid_band
from geo.errors import BadRequest, NotFound
from geo.sql import sql_text
from layers.analysis.propose import LayoutMetrics, propose_layouts

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class ParcelGraph:
    """Parcels in id order: `parcel_ids[i]` is parcel i; `compound[i]` its compound's id, or −1;
    `adjacency` pairs of indices (not ids) of parcels sharing an edge; `grid_codes[i]` parcel i's
    grid (live, or the draft's once drafted), or None; `community_grids` every grid code of the
    community, parcels or not."""

    community_code: str
    parcel_ids: np.ndarray
    households: np.ndarray
    building_count: np.ndarray
    compound: np.ndarray
    adjacency: list[tuple[int, int]]
    grid_codes: list[str | None] = dataclasses.field(default_factory=list)
    community_grids: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class ProposedGrid:
    number: int  # 1-based, in the order of the grid's lowest parcel id
    households: int
    building_count: int
    parcel_ids: list[int]


@dataclass(frozen=True)
class LayoutProposal:
    rank: int  # 1 = best
    score: float  # lower is better
    metrics: LayoutMetrics
    problems: list[str]
    grids: list[ProposedGrid]


def parcel_graph(*, community_code: str) -> ParcelGraph:
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "parcel_graph.sql"), {"community_code": community_code})
        raw = cur.fetchone()[0]
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not data["found"]:
        raise NotFound(f"no community with code {community_code} (communities have 12 digits)")
    parcels = data["parcels"]
    ids = np.array([p["id"] for p in parcels], dtype=np.int64)
    index = {int(pid): i for i, pid in enumerate(ids)}
    return ParcelGraph(
        community_code=community_code,
        parcel_ids=ids,
        households=np.array([p["households"] for p in parcels], dtype=np.int64),
        building_count=np.array([p["building_count"] for p in parcels], dtype=np.int64),
        compound=np.array(
            [-1 if p["compound"] is None else p["compound"] for p in parcels], dtype=np.int64
        ),
        adjacency=[(index[a], index[b]) for a, b in data["adjacency"]],
        grid_codes=[p["grid"] for p in parcels],
        community_grids=list(data["grids"]),
    )


def parcel_graph_drafted(*, graph: ParcelGraph, assignment: dict | None) -> ParcelGraph:
    """The graph with an editor's draft laid over the live grids: `assignment` maps parcel ids
    (int or decimal text, as JSON keys are) to a grid code of this community, or None for no
    grid; parcels it leaves out keep their live grid. BadRequest names what does not fit."""
    if not assignment:
        return graph
    if not isinstance(assignment, dict):
        raise BadRequest('assignment must be an object {"<parcel id>": "<grid code>" or null}')
    index = {int(pid): i for i, pid in enumerate(graph.parcel_ids)}
    known = set(graph.community_grids)
    codes = list(graph.grid_codes)
    for key, code in assignment.items():
        try:
            i = index.get(int(key))
        except (TypeError, ValueError):
            raise BadRequest(f"assignment key {key!r} is not a parcel id") from None
        if i is None:
            raise BadRequest(f"parcel {key} is not in community {graph.community_code}")
        if code is not None and code not in known:
            if not _new_grid_code(graph.community_code, code):
                raise BadRequest(
                    f"no grid {code} in community {graph.community_code} (parcel {key})"
                )
            known.add(code)  # a grid the draft creates (its new_grids), e.g. half of a split
        codes[i] = code
    return dataclasses.replace(graph, grid_codes=codes, community_grids=sorted(known))


def _new_grid_code(community_code: str, code) -> bool:
    """Whether `code` can name a grid a draft creates in the community: a grid code extending
    the community's (publishing checks that the code was never used before)."""
    return is_code("grid", code) and code.startswith(community_code)


def parcel_graph_subset(*, graph: ParcelGraph, keep: np.ndarray) -> ParcelGraph:
    """The parcels where `keep` is true, with the edges between them, re-indexed from 0."""
    new = np.full(len(keep), -1)
    new[keep] = np.arange(int(keep.sum()))
    return dataclasses.replace(
        graph,
        parcel_ids=graph.parcel_ids[keep],
        households=graph.households[keep],
        building_count=graph.building_count[keep],
        compound=graph.compound[keep],
        adjacency=[(new[a], new[b]) for a, b in graph.adjacency if keep[a] and keep[b]],
        grid_codes=[c for c, k in zip(graph.grid_codes, keep, strict=True) if k],
    )


def grid_members(*, graph: ParcelGraph, grid_code: str) -> np.ndarray:
    """Mask of the parcels of one grid; BadRequest when the community has no such grid."""
    if grid_code not in graph.community_grids:
        raise BadRequest(f"no grid {grid_code} in community {graph.community_code}")
    return np.array([c == grid_code for c in graph.grid_codes], dtype=bool)


def grids_propose(
    *, community_code: str, alternatives: int = 3, seed: int = 0
) -> list[LayoutProposal]:
    """Grid layouts for a community within GRIDATLAS_GRID_HOUSEHOLDS_MIN–MAX, best first."""
    return _propose(
        graph=parcel_graph(community_code=community_code),
        band=grid_band(),
        alternatives=alternatives,
        seed=seed,
        words=("community", "grid"),
    )


def microgrids_propose(
    *,
    community_code: str,
    grid_code: str,
    assignment: dict | None = None,
    alternatives: int = 3,
    seed: int = 0,
) -> list[LayoutProposal]:
    """Micro-grid layouts for one grid's parcels (its live ones, or the draft's when
    `assignment` is given, see `parcel_graph_drafted`) within
    GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN–MAX, best first. Parcels are never split, so a parcel
    over the band's maximum is named in the problems."""
    graph = parcel_graph_drafted(
        graph=parcel_graph(community_code=community_code), assignment=assignment
    )
    keep = grid_members(graph=graph, grid_code=grid_code)
    if not keep.any():
        raise BadRequest(f"grid {grid_code} holds no parcel: there is nothing to divide")
    return _propose(
        graph=parcel_graph_subset(graph=graph, keep=keep),
        band=microgrid_band(),
        alternatives=alternatives,
        seed=seed,
        words=("grid", "micro-grid"),
    )


def _propose(
    *, graph: ParcelGraph, band: Band, alternatives: int, seed: int, words: tuple[str, str]
) -> list[LayoutProposal]:
    layouts = propose_layouts(
        households=graph.households,
        adjacency=graph.adjacency,
        compound=graph.compound,
        lo=band.min,
        hi=band.max,
        alternatives=alternatives,
        seed=seed,
        names=[f"#{pid}" for pid in graph.parcel_ids],
        parent=words[0],
        child=words[1],
    )
    proposals = []
    for rank, layout in enumerate(layouts, start=1):
        buildings = np.bincount(layout.assignment, weights=graph.building_count)
        grids = [
            ProposedGrid(
                number=g + 1,
                households=int(layout.households[g]),
                building_count=int(buildings[g]),
                parcel_ids=graph.parcel_ids[layout.assignment == g].tolist(),
            )
            for g in range(layout.metrics.groups)
        ]
        proposals.append(LayoutProposal(rank, layout.score, layout.metrics, layout.problems, grids))
    return proposals


def proposal_outlines(*, proposal: LayoutProposal) -> dict[int, dict]:
    """Each proposed grid's polygon (the union of its parcels), as GeoJSON geometry by number."""
    ids = [pid for grid in proposal.grids for pid in grid.parcel_ids]
    groups = [grid.number for grid in proposal.grids for _ in grid.parcel_ids]
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "parcel_union.sql"), {"parcel_ids": ids, "groups": groups})
        return {number: json.loads(geojson) for number, geojson in cur.fetchall()}

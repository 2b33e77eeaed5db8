"""The parcel graph of a community, and grid layouts proposed on it (read-only: nothing is saved).

`parcel_graph` loads the arrays `layers.analysis.propose.propose_layouts` works on; `grids_propose`
runs it with the grid band from settings and maps the layouts back to parcel ids;
`proposal_outlines` unions each proposed grid's parcels into a polygon (EPSG:4326 GeoJSON).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from geo.errors import NotFound
from geo.sql import sql_text
from layers.analysis.propose import LayoutMetrics, propose_layouts

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class ParcelGraph:
    """Parcels in id order: `parcel_ids[i]` is parcel i; `compound[i]` its compound's id, or −1;
    `adjacency` pairs of indices (not ids) of parcels sharing an edge."""

    community_code: str
    parcel_ids: np.ndarray
    households: np.ndarray
    building_count: np.ndarray
    compound: np.ndarray
    adjacency: list[tuple[int, int]]


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
    )


def grids_propose(
    *, community_code: str, alternatives: int = 3, seed: int = 0
) -> list[LayoutProposal]:
    """Grid layouts for a community within GRIDATLAS_GRID_HOUSEHOLDS_MIN–MAX, best first."""
    graph = parcel_graph(community_code=community_code)
    layouts = propose_layouts(
        households=graph.households,
        adjacency=graph.adjacency,
        compound=graph.compound,
        lo=settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN,
        hi=settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX,
        alternatives=alternatives,
        seed=seed,
        names=[f"#{pid}" for pid in graph.parcel_ids],
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

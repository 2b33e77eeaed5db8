"""Where to open new service stations: the maximal covering location problem (Church & ReVelle,
1974). Choose K sites among candidate points to cover the most households that no station covers
today, a household being covered when a site lies within the walking distance.

- **pure**: `coverage_lists` (which demand points each candidate reaches, a sparse matrix built
  with a bucket grid in NumPy) and `sites_greedy` (lazy greedy);
- **selector + service**: `siting_propose` loads the demand with `building_coverage`, builds the
  candidates (buildings or a lattice), solves, and describes each proposed site;
- **serialisers**: `sites_geojson`, `sites_csv`, for the `siting` command to write.

Distances are planar metres in the city's metric CRS (`geo.srid.metric_srid()`). A walking
distance `distance_m` becomes the straight-line radius `distance_m / GRIDATLAS_WALK_DETOUR_FACTOR`,
as in the straight-line mode of `building_coverage`: a new site has no place on a road network
yet, so its reach is estimated the same way as every existing station's in that mode.
"""

import csv
import heapq
import io
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point
from pyproj import Transformer

from geo.domain import detour_factor, walk_distance_check
from geo.errors import BadRequest
from geo.spreadsheet import csv_cell
from geo.srid import STORAGE_SRID, metric_srid
from layers.analysis import CITY, Area
from layers.analysis.coverage import building_coverage, station_points
from layers.models import Community

CANDIDATE_KINDS = ("buildings", "lattice")
# Candidates handled per block when building the coverage lists: bounds the temporary arrays
# (about 100 bytes per candidate–demand pair examined) to a few hundred MB at city density.
CANDIDATE_BLOCK = 4096


# --- pure: the coverage matrix ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverageLists:
    """A sparse 0/1 matrix, candidates × demand, in compressed rows: the demand indices that
    candidate i reaches are `indices[indptr[i]:indptr[i + 1]]`, ascending."""

    indptr: np.ndarray
    indices: np.ndarray

    def row(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


def _ragged_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """concatenate(arange(s, s + c) for s, c in zip(starts, counts)), without a Python loop."""
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


def coverage_lists(
    *, demand_xy: np.ndarray, candidate_xy: np.ndarray, radius_m: float
) -> CoverageLists:
    """Which demand points lie within `radius_m` (inclusive) of each candidate, metric CRS.

    The demand points are bucketed in square cells of side `radius_m`; a candidate can only
    reach the 3 × 3 cells around its own, so each one compares against a few hundred points
    instead of all of them. Work and memory grow with the pairs examined, not n × m.
    """
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number of metres, not {radius_m!r}")
    demand = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    cand = np.asarray(candidate_xy, dtype=np.float64).reshape(-1, 2)
    if len(demand) == 0 or len(cand) == 0:
        return CoverageLists(np.zeros(len(cand) + 1, np.int64), np.zeros(0, np.int64))
    origin = np.minimum(demand.min(axis=0), cand.min(axis=0)) - radius_m
    demand_cell = np.floor((demand - origin) / radius_m).astype(np.int64)
    cand_cell = np.floor((cand - origin) / radius_m).astype(np.int64)
    # One integer key per cell; a row stride two wider than the span, so a neighbour offset of
    # ±1 never wraps into another row.
    stride = int(max(demand_cell[:, 1].max(), cand_cell[:, 1].max())) + 3
    demand_key = demand_cell[:, 0] * stride + demand_cell[:, 1]
    order = np.argsort(demand_key, kind="stable")
    sorted_key = demand_key[order]
    r2 = radius_m * radius_m
    pairs_c, pairs_d = [], []
    for start in range(0, len(cand), CANDIDATE_BLOCK):
        block = slice(start, start + CANDIDATE_BLOCK)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                key = (cand_cell[block, 0] + dx) * stride + cand_cell[block, 1] + dy
                lo = np.searchsorted(sorted_key, key, side="left")
                counts = np.searchsorted(sorted_key, key, side="right") - lo
                c = np.repeat(np.arange(start, start + len(key)), counts)
                d = order[_ragged_ranges(lo, counts)]
                near = ((cand[c] - demand[d]) ** 2).sum(axis=1) <= r2
                pairs_c.append(c[near])
                pairs_d.append(d[near])
    c = np.concatenate(pairs_c)
    d = np.concatenate(pairs_d)
    by_row = np.lexsort((d, c))
    indptr = np.zeros(len(cand) + 1, np.int64)
    np.cumsum(np.bincount(c, minlength=len(cand)), out=indptr[1:])
    return CoverageLists(indptr=indptr, indices=d[by_row])


# --- pure: the greedy solver --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SitingResult:
    """The sites picked, in order: candidate indices, the demand weight each one adds (its
    marginal gain), and the running total covered. Fewer than k when nothing more is left."""

    chosen: np.ndarray  # int64 candidate indices
    gains: np.ndarray  # float64, non-increasing
    cumulative: np.ndarray  # float64
    demand_total: float  # the weight of all the demand, covered or not

    @property
    def covered(self) -> float:
        return float(self.cumulative[-1]) if len(self.cumulative) else 0.0


def greedy_on_lists(
    *,
    lists: CoverageLists,
    demand_weight: np.ndarray,
    k: int,
    progress: Callable[[int], None] | None = None,
) -> SitingResult:
    """Lazy greedy (Minoux's accelerated greedy, "CELF") over precomputed coverage lists.

    Each candidate's gain only shrinks as sites are picked (the objective is submodular), so a
    gain computed earlier is an upper bound: pop the best bound, recompute it, and if it still
    beats every other bound it is the true best. Usually a handful of recomputations per pick
    instead of one per candidate. Ties go to the lower candidate index, as in plain greedy.
    """
    if k < 0:
        raise ValueError(f"k must be 0 or more, not {k}")
    remaining = np.asarray(demand_weight, dtype=np.float64).copy()
    total = float(remaining.sum())
    rows = len(lists.indptr) - 1
    row_of_entry = np.repeat(np.arange(rows), np.diff(lists.indptr))
    row_sums = np.bincount(row_of_entry, weights=remaining[lists.indices], minlength=rows)
    # Heap entries: (-gain bound, candidate, the pick count when the bound was computed).
    heap = [(-g, i, 0) for i, g in enumerate(row_sums.tolist()) if g > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    while heap and len(chosen) < k:
        neg_gain, i, fresh_at = heapq.heappop(heap)
        if fresh_at == len(chosen):
            chosen.append(i)
            gains.append(-neg_gain)
            remaining[lists.row(i)] = 0.0
            if progress is not None:
                progress(len(chosen))
            continue
        gain = float(remaining[lists.row(i)].sum())
        if gain > 0:
            heapq.heappush(heap, (-gain, i, len(chosen)))
    gains_arr = np.array(gains, dtype=np.float64)
    return SitingResult(
        chosen=np.array(chosen, dtype=np.int64),
        gains=gains_arr,
        cumulative=np.cumsum(gains_arr),
        demand_total=total,
    )


def sites_greedy(
    *,
    demand_xy: np.ndarray,
    demand_weight: np.ndarray,
    candidate_xy: np.ndarray,
    radius_m: float,
    k: int,
    progress: Callable[[int], None] | None = None,
) -> SitingResult:
    """Pick up to `k` candidates, one at a time, each covering the most demand not yet covered.

    Maximal covering is NP-hard, but its objective (the demand weight within `radius_m` of at
    least one chosen site) is monotone and submodular, so this greedy choice covers at least
    (1 − 1/e) ≈ 63 % of what the best k sites could (Nemhauser, Wolsey & Fisher, 1978), and no
    polynomial algorithm does better in general (Feige, 1998). In practice it is within a few
    per cent of the optimum. It stops early when no candidate adds anything.

    `demand_xy` (n × 2) and `candidate_xy` (m × 2) are metres in one planar CRS; a demand point
    is covered by a site within `radius_m`, boundary included. Points of zero weight are left
    out before the coverage matrix is built.

    >>> r = sites_greedy(demand_xy=[[0, 0], [10, 0], [100, 0]], demand_weight=[1, 2, 5],
    ...                  candidate_xy=[[5, 0], [100, 1]], radius_m=6, k=5)
    >>> r.chosen.tolist(), r.gains.tolist()
    ([1, 0], [5.0, 3.0])
    """
    demand = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    weight = np.asarray(demand_weight, dtype=np.float64)
    if len(weight) != len(demand):
        raise ValueError(f"{len(demand)} demand points but {len(weight)} weights")
    if (weight < 0).any():
        raise ValueError("demand weights must not be negative")
    total = float(weight.sum())
    useful = weight > 0
    lists = coverage_lists(demand_xy=demand[useful], candidate_xy=candidate_xy, radius_m=radius_m)
    result = greedy_on_lists(lists=lists, demand_weight=weight[useful], k=k, progress=progress)
    return SitingResult(
        chosen=result.chosen, gains=result.gains, cumulative=result.cumulative, demand_total=total
    )


def lattice_points(*, xy: np.ndarray, spacing_m: float, reach_m: float) -> np.ndarray:
    """A square lattice at `spacing_m` (on multiples of it) over the extent of `xy` grown by
    `reach_m`, keeping only the nodes within `reach_m` of some point of `xy` (in square terms:
    nodes in the 3 × 3 buckets around a point), so a lattice over a sparse city stays small."""
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros((0, 2))
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise ValueError(f"spacing_m must be a positive number of metres, not {spacing_m!r}")
    lo = np.floor((pts.min(axis=0) - reach_m) / spacing_m).astype(np.int64)
    hi = np.ceil((pts.max(axis=0) + reach_m) / spacing_m).astype(np.int64)
    # Keep the nodes whose bucket (of side `reach_m`) is, or touches, a bucket holding a point.
    bucket = max(reach_m, spacing_m)
    gx = np.arange(lo[0], hi[0] + 1) * spacing_m
    gy = np.arange(lo[1], hi[1] + 1) * spacing_m
    nodes = np.stack(np.meshgrid(gx, gy, indexing="xy"), axis=-1).reshape(-1, 2)
    base = np.floor((pts.min(axis=0) - 2 * bucket) / bucket).astype(np.int64)
    point_cell = np.floor(pts / bucket).astype(np.int64) - base
    node_cell = np.floor(nodes / bucket).astype(np.int64) - base
    stride = int(max(point_cell[:, 1].max(), node_cell[:, 1].max())) + 3
    occupied = np.unique(point_cell[:, 0] * stride + point_cell[:, 1])
    near = np.unique(
        np.concatenate([occupied + dx * stride + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
    )
    keep = np.isin(node_cell[:, 0] * stride + node_cell[:, 1], near)
    return nodes[keep]


# --- selector + service ------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteProposal:
    """One proposed station site: where, what it adds, what is near it already."""

    rank: int
    lon: float
    lat: float
    x_m: float
    y_m: float
    households_added: int
    households_cumulative: int
    nearest_station_id: int | None
    nearest_station_name: str | None
    nearest_station_m: float | None  # straight line
    nearest_station_walk_m: float | None  # × GRIDATLAS_WALK_DETOUR_FACTOR
    community_id: int | None
    community_code: str | None
    community_name: str | None
    building_id: int | None  # the candidate building, when candidates are buildings


@dataclass(frozen=True)
class SitingProposal:
    """The K sites and the demand they were chosen for."""

    sites: list[SiteProposal]
    distance_m: float
    candidates: str
    candidate_count: int
    uncovered_households: int  # before the new sites
    uncovered_buildings: int


def _to_lonlat(x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Once per proposal, for its k points: a fresh transformer (~20 ms) is simpler than a
    # per-thread cache (a Transformer must not be shared between threads) and costs nothing here.
    back = Transformer.from_crs(metric_srid(), STORAGE_SRID, always_xy=True)
    lon, lat = back.transform(x_m, y_m)
    return np.asarray(lon), np.asarray(lat)


def _community_at(*, lon: float, lat: float) -> dict | None:
    # A point on the edge of two communities goes to the lower code, as in the point lookup.
    return (
        Community.objects.filter(geom__covers=Point(lon, lat, srid=STORAGE_SRID))
        .order_by("code")
        .values("id", "code", "name")
        .first()
    )


def _check(*, k: int, distance_m: float, candidates: str, spacing_m: float | None) -> None:
    if k < 0:
        raise BadRequest(f"k must be 0 or more, not {k}")
    walk_distance_check(distance_m)
    if candidates not in CANDIDATE_KINDS:
        raise BadRequest(f"candidates must be one of {', '.join(CANDIDATE_KINDS)}")
    if spacing_m is not None and not (math.isfinite(spacing_m) and spacing_m > 0):
        raise BadRequest(f"spacing must be a positive number of metres, not {spacing_m}")


def siting_propose(
    *,
    k: int,
    distance_m: float,
    candidates: str = "buildings",
    spacing_m: float | None = None,
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
    progress: Callable[[str], None] | None = None,
) -> SitingProposal:
    """Propose `k` new station sites for the households no station of `levels` (None: any)
    reaches within `distance_m` walking metres today, in `area` (default: the whole city;
    stations outside the area still count, as in the coverage).

    Candidates are every building's point (`buildings`: a station goes in a building) or the
    nodes of a square lattice `spacing_m` apart (`lattice`, default GRIDATLAS_SITING_LATTICE_M,
    the same 100 m as the heatmap cell by default, so a site lines up with its cells).
    `progress`, if given, is called with the name of each step as it starts.
    """
    _check(k=k, distance_m=distance_m, candidates=candidates, spacing_m=spacing_m)
    step = progress or (lambda _name: None)
    step("coverage")
    cov = building_coverage(distance_m=distance_m, mode="straight", levels=levels, area=area)
    radius_m = distance_m / detour_factor()
    uncovered = ~np.asarray(cov.covered, dtype=bool)
    demand_xy = np.column_stack([cov.x_m, cov.y_m])[uncovered]
    demand_weight = np.asarray(cov.households, dtype=np.float64)[uncovered]
    step("candidates")
    if candidates == "buildings":
        candidate_xy = np.column_stack([cov.x_m, cov.y_m])
    else:
        spacing = spacing_m or settings.GRIDATLAS_SITING_LATTICE_M
        candidate_xy = lattice_points(xy=demand_xy, spacing_m=spacing, reach_m=radius_m)
    step("solve")
    result = sites_greedy(
        demand_xy=demand_xy,
        demand_weight=demand_weight,
        candidate_xy=candidate_xy,
        radius_m=radius_m,
        k=k,
    )
    step("describe")
    building_ids = np.asarray(cov.building_id) if candidates == "buildings" else None
    sites = _describe(
        result=result, candidate_xy=candidate_xy, building_ids=building_ids, levels=levels
    )
    return SitingProposal(
        sites=sites,
        distance_m=distance_m,
        candidates=candidates,
        candidate_count=len(candidate_xy),
        uncovered_households=int(round(demand_weight.sum())),
        uncovered_buildings=int(uncovered.sum()),
    )


def _describe(
    *,
    result: SitingResult,
    candidate_xy: np.ndarray,
    building_ids: np.ndarray | None,
    levels: tuple[str, ...] | None,
) -> list[SiteProposal]:
    if len(result.chosen) == 0:
        return []
    xy = candidate_xy[result.chosen]
    lon, lat = _to_lonlat(xy[:, 0], xy[:, 1])
    stations = station_points(levels=levels)
    station_xy = np.column_stack([stations.x_m, stations.y_m])
    detour = detour_factor()
    sites = []
    for rank, (i, site_xy) in enumerate(zip(result.chosen, xy, strict=True)):
        nearest = None
        if len(station_xy):
            d = np.hypot(*(station_xy - site_xy).T)
            j = int(np.argmin(d))
            nearest = (int(stations.station_id[j]), str(stations.name[j]), float(d[j]))
        community = _community_at(lon=float(lon[rank]), lat=float(lat[rank])) or {}
        sites.append(
            SiteProposal(
                rank=rank + 1,
                lon=round(float(lon[rank]), 7),
                lat=round(float(lat[rank]), 7),
                x_m=round(float(site_xy[0]), 2),
                y_m=round(float(site_xy[1]), 2),
                households_added=int(round(result.gains[rank])),
                households_cumulative=int(round(result.cumulative[rank])),
                nearest_station_id=nearest[0] if nearest else None,
                nearest_station_name=nearest[1] if nearest else None,
                nearest_station_m=round(nearest[2], 1) if nearest else None,
                nearest_station_walk_m=round(nearest[2] * detour, 1) if nearest else None,
                community_id=community.get("id"),
                community_code=community.get("code"),
                community_name=community.get("name"),
                building_id=int(building_ids[i]) if building_ids is not None else None,
            )
        )
    return sites


# --- serialisers --------------------------------------------------------------------------------


def sites_geojson(proposal: SitingProposal) -> dict:
    """The sites as a GeoJSON FeatureCollection (EPSG:4326 lon/lat), one Point each."""
    features = []
    for site in proposal.sites:
        props = {k: v for k, v in asdict(site).items() if k not in ("lon", "lat")}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "distance_m": proposal.distance_m,
        "candidates": proposal.candidates,
        "uncovered_households": proposal.uncovered_households,
        "features": features,
    }


def sites_csv(proposal: SitingProposal) -> str:
    """The sites as CSV, one row each, columns as SiteProposal's fields (lon/lat EPSG:4326)."""
    buf = io.StringIO()
    names = list(SiteProposal.__dataclass_fields__)
    writer = csv.DictWriter(buf, fieldnames=names)
    writer.writeheader()
    for site in proposal.sites:
        # A community or station named "=…" stays text in a spreadsheet (geo.spreadsheet).
        writer.writerow({k: csv_cell(v) for k, v in asdict(site).items()})
    return buf.getvalue()

"""Station coverage: the households within walking distance of a party-mass service station
(docs/design.md: 300 / 500 / 1000 m, the 5-, 10- and 15-minute life circles of GB 50180-2018).

A building is one point, ST_PointOnSurface of its footprint (always inside it). Distances are
metres in the city's metric CRS (`geo.srid.metric_srid()`, a Gauss-Krüger zone whose scale error
over a city is about 1e-5, a centimetre per kilometre). Two modes:

- ``straight`` (default): the straight line to the nearest station times
  GRIDATLAS_WALK_DETOUR_FACTOR, an estimate of the walk;
- ``network``: the walk along the road network, from `layers.analysis.network` (loaded with
  ``python manage.py load_roads FILE``).

A building is covered when its walk is at most the distance asked for. The arrays, their loading
(one SQL file per statement) and the nearest-station search live in `layers/analysis/points.py`;
this module adds the walk, the threshold and the sums, pure functions on NumPy arrays, and the
selectors that compose them. The whole city (158,000 buildings, 2,400 stations) takes about a
second per distance, most of it moving the rows: see bench/coverage.py.

>>> cov = building_coverage(distance_m=500)  # doctest: +SKIP
>>> cov.households_covered, cov.households_total  # doctest: +SKIP
(4406290, 4743553)
"""

from dataclasses import dataclass, fields

import numpy as np

from geo.city_profile import city_profile
from geo.domain import detour_factor
from geo.errors import BadRequest
from layers.analysis import CITY, Area, sql_rows
from layers.analysis.points import (  # the arrays, re-exported: callers import them from here
    BuildingPoints,
    StationPoints,
    building_points,
    nearest_straight,
    station_points,
)
from layers.models import ServiceStation

__all__ = [
    "BuildingCoverage",
    "BuildingPoints",
    "CoverageReport",
    "CoverageRow",
    "StationPoints",
    "UncoveredBuildings",
    "building_coverage",
    "building_points",
    "coverage_of",
    "coverage_report",
    "coverage_summary",
    "nearest_straight",
    "station_points",
    "uncovered_buildings",
]

MODES = ("straight", "network")
LEVELS: tuple[str, ...] = tuple(ServiceStation.Level.values)  # street, community, xiaoqu
BY = ("district", "street", "community", "grid")
NO_NETWORK = "no road network loaded: python manage.py load_roads FILE"
NO_GRID_NAME = "(no grid)"


@dataclass(frozen=True, eq=False, kw_only=True)
class BuildingCoverage(BuildingPoints):
    """STABLE INTERFACE (the heatmap and the siting read it): every building's point and its
    nearest station, aligned arrays in BuildingPoints' order.

    nearest_station_id: int64, -1 when no station counts (none of the levels asked for, or none
        reachable on the network within the distance).
    distance_m: float64, the walking estimate to it in metres (np.inf when none).
    covered: bool, distance_m <= max_distance_m.
    """

    nearest_station_id: np.ndarray
    distance_m: np.ndarray
    covered: np.ndarray
    max_distance_m: float
    mode: str
    levels: tuple[str, ...] | None

    @property
    def households_total(self) -> int:
        return int(self.households.sum())

    @property
    def households_covered(self) -> int:
        return int(self.households[self.covered].sum())


# --- pure: coverage -------------------------------------------------------------------------------
def coverage_compute(
    *,
    buildings: BuildingPoints,
    nearest: np.ndarray,
    walk_m: np.ndarray,
    max_distance_m: float,
    mode: str,
    levels: tuple[str, ...] | None,
) -> BuildingCoverage:
    """The coverage of `buildings` given each one's nearest station and walk (metres)."""
    return BuildingCoverage(
        **{f.name: getattr(buildings, f.name) for f in fields(BuildingPoints)},
        nearest_station_id=nearest,
        distance_m=walk_m,
        covered=walk_m <= max_distance_m,
        max_distance_m=float(max_distance_m),
        mode=mode,
        levels=levels,
    )


def _network_walk(
    buildings: BuildingPoints, stations: StationPoints, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    try:
        from layers.analysis import network
    except ImportError:
        raise BadRequest(NO_NETWORK) from None
    if not network.roads_loaded():
        raise BadRequest(NO_NETWORK)
    if len(stations) == 0:
        return np.full(len(buildings), -1, dtype=np.int64), np.full(len(buildings), np.inf)
    result = network.walking_distances(
        building_ids=buildings.building_id,
        station_ids=stations.station_id,
        max_distance_m=max_distance_m,
    )
    # A NetworkDistances (distance_m, station_id), aligned with the ids asked for.
    walk = np.asarray(result.distance_m, dtype=float)
    nearest = np.asarray(result.station_id, dtype=np.int64)
    return np.where(np.isfinite(walk), nearest, -1), walk


def modes_levels_check(*, mode: str, levels: tuple[str, ...] | None) -> None:
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    unknown = sorted(set(levels or ()) - set(LEVELS))
    if unknown or levels == ():
        raise BadRequest(
            f"station level must be one or more of {', '.join(LEVELS)}, not {unknown or levels}"
        )


def coverage_of(
    *,
    buildings: BuildingPoints,
    stations: StationPoints,
    distance_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
) -> BuildingCoverage:
    """The coverage of loaded buildings by the loaded stations of `levels`."""
    modes_levels_check(mode=mode, levels=levels)
    chosen = stations.of_levels(levels)
    if mode == "network":
        nearest, walk = _network_walk(buildings, chosen, distance_m)
    else:
        nearest, straight = nearest_straight(buildings=buildings, stations=chosen)
        walk = straight * detour_factor()
    return coverage_compute(
        buildings=buildings,
        nearest=nearest,
        walk_m=walk,
        max_distance_m=distance_m,
        mode=mode,
        levels=levels,
    )


def building_coverage(
    *,
    distance_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> BuildingCoverage:
    """Every building of `area` (default: the city), with its nearest station of `levels` (default:
    all) and whether its walk is at most `distance_m` metres. BadRequest in network mode when
    no road network is loaded."""
    return coverage_of(
        buildings=building_points(area=area),
        stations=station_points(levels=levels),
        distance_m=distance_m,
        mode=mode,
        levels=levels,
    )


# --- pure: rows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageRow:
    """Households and buildings of one division (or station level, or the total) and how many of
    them are within the distance. percent: households covered per 100 households (None when the
    division has no households)."""

    kind: str  # district | street | community | grid | level | total
    code: str
    name: str
    households_total: int
    households_covered: int
    households_uncovered: int
    percent: float | None
    buildings_total: int
    buildings_uncovered: int


def coverage_row(*, kind: str, code: str, name: str, households, covered) -> CoverageRow:
    """The row of the buildings given (households and covered flags as arrays)."""
    total = int(np.sum(households))
    hit = int(np.sum(households[covered]))
    return CoverageRow(
        kind=kind,
        code=code,
        name=name,
        households_total=total,
        households_covered=hit,
        households_uncovered=total - hit,
        percent=round(100.0 * hit / total, 2) if total else None,
        buildings_total=len(households),
        buildings_uncovered=int(np.count_nonzero(~covered)),
    )


def coverage_rows(*, coverage: BuildingCoverage, by: str, units: list[dict]) -> list[CoverageRow]:
    """One row per division of level `by` in `units` (dicts of id, code, name, in their order),
    then one for buildings in no grid when `by` is grid and there are any. Every building lands
    in exactly one row, so the rows add up to the total."""
    keys = getattr(coverage, f"{by}_id")
    hh = coverage.households
    cov = coverage.covered
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = {
        "households_total": np.bincount(inverse, weights=hh, minlength=len(uniq)),
        "households_covered": np.bincount(inverse, weights=hh * cov, minlength=len(uniq)),
        "buildings_total": np.bincount(inverse, minlength=len(uniq)),
        "buildings_uncovered": np.bincount(inverse, weights=~cov, minlength=len(uniq)),
    }
    at = {int(k): i for i, k in enumerate(uniq)}
    listed = [*units]
    if -1 in at:
        listed.append({"id": -1, "code": "", "name": NO_GRID_NAME})
    rows = []
    for u in listed:
        i = at.get(u["id"])
        total = int(sums["households_total"][i]) if i is not None else 0
        hit = int(sums["households_covered"][i]) if i is not None else 0
        rows.append(
            CoverageRow(
                kind=by,
                code=u["code"],
                name=u["name"],
                households_total=total,
                households_covered=hit,
                households_uncovered=total - hit,
                percent=round(100.0 * hit / total, 2) if total else None,
                buildings_total=int(sums["buildings_total"][i]) if i is not None else 0,
                buildings_uncovered=int(sums["buildings_uncovered"][i]) if i is not None else 0,
            )
        )
    return rows


# --- selectors: reports ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageReport:
    """What the coverage endpoint and the report's sheet show: rows by division, the total, and
    one row per station level (each level's stations alone, then all levels together)."""

    distance_m: float
    mode: str
    by: str
    levels: tuple[str, ...] | None
    rows: list[CoverageRow]
    total: CoverageRow
    by_level: list[CoverageRow]


def _check_by(by: str) -> None:
    if by not in BY:
        raise BadRequest(f"by must be one of {', '.join(BY)}, not {by!r}")


def _total_row(coverage: BuildingCoverage, area: Area) -> CoverageRow:
    return coverage_row(
        kind="total",
        code=area.code or city_profile().code,
        name=area.name or city_profile().name,
        households=coverage.households,
        covered=coverage.covered,
    )


def level_rows(
    *, buildings: BuildingPoints, stations: StationPoints, distance_m: float, mode: str
) -> list[CoverageRow]:
    """Coverage by each station level on its own, then by all levels together."""
    labels = dict(ServiceStation.Level.choices)
    rows = []
    for level in (*LEVELS, None):
        levels = (level,) if level else None
        cov = coverage_of(
            buildings=buildings, stations=stations, distance_m=distance_m, mode=mode, levels=levels
        )
        rows.append(
            coverage_row(
                kind="level",
                code=level or "all",
                name=labels.get(level, "all levels"),
                households=cov.households,
                covered=cov.covered,
            )
        )
    return rows


def coverage_report(
    *,
    distance_m: float,
    mode: str = "straight",
    by: str = "community",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
    with_levels: bool = True,
) -> CoverageReport:
    """Coverage of `area` at `distance_m` by stations of `levels`, reported per division of
    level `by`, with the total and (with_levels) one row per station level."""
    _check_by(by)
    buildings = building_points(area=area)
    stations = station_points()
    cov = coverage_of(
        buildings=buildings, stations=stations, distance_m=distance_m, mode=mode, levels=levels
    )
    present = np.unique(getattr(cov, f"{by}_id"))
    units = sql_rows("divisions.sql", {"level": by, **area.sql_params(), "ids": present.tolist()})
    by_level = (
        level_rows(buildings=buildings, stations=stations, distance_m=distance_m, mode=mode)
        if with_levels
        else []
    )
    return CoverageReport(
        distance_m=distance_m,
        mode=mode,
        by=by,
        levels=levels,
        rows=coverage_rows(coverage=cov, by=by, units=units),
        total=_total_row(cov, area),
        by_level=by_level,
    )


def coverage_summary(
    *,
    distance_m: float,
    mode: str = "straight",
    by: str = "community",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> list[CoverageRow]:
    """The rows per division of level `by`, then the total row (kind "total") last."""
    report = coverage_report(
        distance_m=distance_m, mode=mode, by=by, levels=levels, area=area, with_levels=False
    )
    return [*report.rows, report.total]


@dataclass(frozen=True)
class UncoveredBuildings:
    total_buildings: int  # uncovered, before the limit
    total_households: int
    rows: list[dict]  # the most households first, then the farthest, then by building id


def uncovered_buildings(
    *,
    distance_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
    limit: int | None = None,
) -> UncoveredBuildings:
    """The buildings of `area` farther than `distance_m` from every station of `levels` (the
    first `limit` of them; all when None): code,
    name, community, street, grid, compound, households, walk to the nearest station (metres,
    None when there is none), that station, and the point (lon, lat in EPSG:4326)."""
    stations = station_points()
    cov = coverage_of(
        buildings=building_points(area=area),
        stations=stations,
        distance_m=distance_m,
        mode=mode,
        levels=levels,
    )
    out = np.flatnonzero(~cov.covered)
    far = np.where(np.isfinite(cov.distance_m[out]), cov.distance_m[out], np.finfo(float).max)
    # Most households first, then the farthest; lexsort is stable, so then by building id.
    order = out[np.lexsort((-far, -cov.households[out]))]
    shown = order[:limit] if limit else order
    ids = cov.building_id[shown].tolist()
    cards = {r["id"]: r for r in sql_rows("building_cards.sql", {"ids": ids})}
    names = dict(zip(stations.station_id.tolist(), stations.name.tolist(), strict=True))
    rows = []
    for i in shown:
        card = cards[int(cov.building_id[i])]
        walk = float(cov.distance_m[i])
        station = int(cov.nearest_station_id[i])
        rows.append(
            {
                **{k: v for k, v in card.items() if k != "id"},
                "households": int(cov.households[i]),
                "distance_m": round(walk, 1) if np.isfinite(walk) else None,
                "nearest_station_id": station if station >= 0 else None,
                "nearest_station_name": names.get(station),
                "lon": round(float(cov.lon[i]), 7),
                "lat": round(float(cov.lat[i]), 7),
            }
        )
    return UncoveredBuildings(
        total_buildings=len(out), total_households=int(cov.households[out].sum()), rows=rows
    )


def levels_parse(raw: str | None) -> tuple[str, ...] | None:
    """`street,community` → the station levels that count; None (all) for blank or `all`."""
    if raw is None or raw.strip() in ("", "all"):
        return None
    levels = tuple(dict.fromkeys(p.strip() for p in raw.split(",")))
    unknown = [p for p in levels if p not in LEVELS]
    if unknown:
        raise BadRequest(
            f"level must be one or more of {', '.join(LEVELS)} (comma-separated) or all, "
            f"not {','.join(unknown) or raw!r}"
        )
    return levels

"""Grid load: households per grid worker (网格员) and per micro-grid, the grids and micro-grids
outside their household band (GRIDATLAS_GRID_HOUSEHOLDS_MIN/MAX, GRIDATLAS_MICROGRID_HOUSEHOLDS_
MIN/MAX, inclusive, as boundary rule 5), and the grids with no grid worker.

Households are the derived totals of the grids and micro-grids (from their buildings), and a
grid's workers are the grid workers attached to the grid or to any of its micro-grids.

>>> load_report().total["grids_no_worker"]  # doctest: +SKIP
0
"""

from dataclasses import dataclass

from geo.domain import Band, grid_band, microgrid_band
from geo.errors import BadRequest
from layers.analysis import CITY, Area, sql_rows
from layers.models.boundaries import LoadStatus

LISTS = ("exceptions", "all")


@dataclass(frozen=True)
class LoadReport:
    """The band, the totals, and the grid and micro-grid rows listed (`listed`: exceptions, the
    units out of band or, for grids, with no worker; or all), capped by the limit."""

    grid_band: Band
    microgrid_band: Band
    listed: str
    total: dict
    grids: list[dict]
    microgrids: list[dict]
    grids_listed: int  # before the limit
    microgrids_listed: int


def _per(households: int, n: int) -> float | None:
    return round(households / n, 1) if n else None


def grid_rows(*, rows: list[dict], band: Band) -> list[dict]:
    """Grid rows with their ratios, load status and whether they lack a worker. Pure."""
    return [
        {
            **r,
            "households_per_worker": _per(r["households"], r["grid_workers"]),
            "households_per_microgrid": _per(r["households"], r["microgrids"]),
            "load": band.status(r["households"]),
            "no_worker": r["grid_workers"] == 0,
        }
        for r in rows
    ]


def microgrid_rows(*, rows: list[dict], band: Band) -> list[dict]:
    return [{**r, "load": band.status(r["households"])} for r in rows]


def load_total(*, grids: list[dict], microgrids: list[dict]) -> dict:
    """Counts over the area: grids and micro-grids by load status, grids with no worker,
    households, grid workers and households per grid worker. Pure."""
    households = sum(g["households"] for g in grids)
    workers = sum(g["grid_workers"] for g in grids)
    total = {"grids": len(grids), "households": households, "grid_workers": workers}
    total["households_per_worker"] = _per(households, workers)
    for status in LoadStatus.values:
        total[f"grids_{status}"] = sum(g["load"] == status for g in grids)
    total["grids_no_worker"] = sum(g["no_worker"] for g in grids)
    total["microgrids"] = len(microgrids)
    for status in LoadStatus.values:
        total[f"microgrids_{status}"] = sum(m["load"] == status for m in microgrids)
    return total


def load_report(
    *, area: Area = CITY, listed: str = "exceptions", limit: int | None = None
) -> LoadReport:
    """Grid and micro-grid load of `area`, with the bands read from settings at call time."""
    if listed not in LISTS:
        raise BadRequest(f"list must be one of {', '.join(LISTS)}, not {listed!r}")
    band, micro_band = grid_band(), microgrid_band()
    grids = grid_rows(rows=sql_rows("grid_load.sql", area.sql_params()), band=band)
    micros = microgrid_rows(rows=sql_rows("microgrid_load.sql", area.sql_params()), band=micro_band)
    if listed == "exceptions":
        shown_grids = [g for g in grids if g["load"] != LoadStatus.OK or g["no_worker"]]
        shown_micros = [m for m in micros if m["load"] != LoadStatus.OK]
    else:
        shown_grids, shown_micros = grids, micros
    return LoadReport(
        grid_band=band,
        microgrid_band=micro_band,
        listed=listed,
        total=load_total(grids=grids, microgrids=micros),
        grids=shown_grids[:limit] if limit else shown_grids,
        microgrids=shown_micros[:limit] if limit else shown_micros,
        grids_listed=len(shown_grids),
        microgrids_listed=len(shown_micros),
    )

"""The grid card of a place, for field workers: which street, community, grid and micro-grid a
point is in, its compound and building, who answers for it, and the nearest service stations.

Points are EPSG:4326 (WGS84/CGCS2000) degrees: GCJ-02 and BD-09 input is converted before, at
the edge (geo.chinese_crs). Distances are metres on the spheroid; walking distances multiply
them by GRIDATLAS_WALK_DETOUR_FACTOR.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from geo.sql import sql_text
from layers.models.boundaries import load_status

SQL_DIR = Path(__file__).resolve().parent / "sql"
STATIONS_SHOWN = 3
# Planar KNN pre-selects this many stations before ranking by distance on the spheroid: enough
# that the true nearest three are among them at any latitude of China.
STATION_CANDIDATES = 12


@dataclass(frozen=True)
class GridCard:
    lon: float
    lat: float
    street: dict | None
    community: dict | None
    grid: dict | None
    microgrid: dict | None
    xiaoqu: dict | None
    building: dict | None
    nearest_grid: dict | None  # only when the point is in no grid
    stations: list[dict]
    workers: list[dict]
    contacts_visible: bool
    notes: list[str] = field(default_factory=list)

    @property
    def in_grid(self) -> bool:
        return self.grid is not None


def _load(unit: dict | None, *, lo: int, hi: int) -> dict | None:
    if unit is None:
        return None
    return {**unit, "load": str(load_status(unit["households"], lo=lo, hi=hi))}


def _workers(rows: list[dict], *, contacts_visible: bool) -> list[dict]:
    # Who is there is not personal; their names and phones are, for the right role only.
    if contacts_visible:
        return rows
    return [{**r, "name": None, "phone": None} for r in rows]


def _strip(part: dict | None, *keys: str) -> dict | None:
    return None if part is None else {k: v for k, v in part.items() if k not in keys}


def grid_card_for_point(*, lon: float, lat: float, contacts_visible: bool) -> GridCard:
    """The card of the place at (lon, lat) in EPSG:4326, in one statement.

    A point on the edge between two grids belongs to the grid with the lower code (the same
    answer every time); a point in no grid gets the nearest grid and its distance instead.
    """
    with connection.cursor() as cur:
        cur.execute(
            sql_text(SQL_DIR / "point_lookup.sql"),
            {
                "lon": lon,
                "lat": lat,
                "stations": STATIONS_SHOWN,
                "station_candidates": STATION_CANDIDATES,
            },
        )
        raw = cur.fetchone()[0]
    row = json.loads(raw) if isinstance(raw, str) else raw
    detour = settings.GRIDATLAS_WALK_DETOUR_FACTOR
    stations = [{**s, "walk_m": round(s["distance_m"] * detour)} for s in row["stations"]]
    notes = []
    nearest = row["nearest_grid"]
    if nearest is not None:
        nearest = {**nearest, "distance_m": round(nearest["distance_m"], 1)}
        notes.append(
            f"the point is in no grid; the nearest is {nearest['name']} ({nearest['code']}), "
            f"{nearest['distance_m']:,.0f} m away"
        )
    return GridCard(
        lon=lon,
        lat=lat,
        street=row["street"],
        community=_strip(row["community"], "street_id"),
        grid=_load(
            _strip(row["grid"], "community_id"),
            lo=settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN,
            hi=settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX,
        ),
        microgrid=_load(
            row["microgrid"],
            lo=settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN,
            hi=settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX,
        ),
        xiaoqu=row["xiaoqu"],
        building=_strip(row["building"], "xiaoqu_id"),
        nearest_grid=nearest,
        stations=stations,
        workers=_workers(row["workers"], contacts_visible=contacts_visible),
        contacts_visible=contacts_visible,
        notes=notes,
    )

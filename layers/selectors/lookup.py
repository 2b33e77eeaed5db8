"""The grid card of a place, for field workers: which street, community, grid and micro-grid a
point is in, its compound and building, who answers for it, and the nearest service stations
within GRIDATLAS_NEAREST_STATION_MAX_M (farther ones are no answer: another city's, say).

Points are EPSG:4326 (WGS84/CGCS2000) degrees: GCJ-02 and BD-09 input is converted before, at
the edge (geo.chinese_crs). Distances are metres on the spheroid; walking distances multiply
them by GRIDATLAS_WALK_DETOUR_FACTOR.
"""

import datetime
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from geo.domain import Band, detour_factor, grid_band, microgrid_band
from geo.sql import sql_text

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
    stations: list[dict]  # the nearest, only those within nearest_station_max_m; [] if none
    nearest_station_max_m: float  # GRIDATLAS_NEAREST_STATION_MAX_M, so a page can say "none within"
    workers: list[dict]
    contacts_visible: bool
    notes: list[str] = field(default_factory=list)
    as_of: str | None = None  # YYYY-MM-DD when the card answers for a date (&at=)
    revision: int | None = None  # the layout revision it answers from; None: the live layout

    @property
    def in_grid(self) -> bool:
        return self.grid is not None


def _load(unit: dict | None, band: Band) -> dict | None:
    if unit is None:
        return None
    return {**unit, "load": band.status(unit["households"])}


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
                "station_max_m": float(settings.GRIDATLAS_NEAREST_STATION_MAX_M),
            },
        )
        raw = cur.fetchone()[0]
    row = json.loads(raw) if isinstance(raw, str) else raw
    detour = detour_factor()
    stations = [{**s, "walk_m": round(s["distance_m"] * detour)} for s in row["stations"]]
    notes = []
    if not stations:
        notes.append(f"no service station within {settings.GRIDATLAS_NEAREST_STATION_MAX_M:,.0f} m")
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
        grid=_load(_strip(row["grid"], "community_id"), grid_band()),
        microgrid=_load(row["microgrid"], microgrid_band()),
        xiaoqu=row["xiaoqu"],
        building=_strip(row["building"], "xiaoqu_id"),
        nearest_grid=nearest,
        stations=stations,
        nearest_station_max_m=float(settings.GRIDATLAS_NEAREST_STATION_MAX_M),
        workers=_workers(row["workers"], contacts_visible=contacts_visible),
        contacts_visible=contacts_visible,
        notes=notes,
    )


@dataclass(frozen=True)
class AsOf:
    revision: int
    effective_date: datetime.date
    grid: dict | None
    microgrid: dict | None


def grid_as_of(*, lon: float, lat: float, at: datetime.date) -> AsOf | None:
    """The grid and micro-grid at (lon, lat) (EPSG:4326) on date `at`, from the snapshots of the
    revision in effect then (point_lookup_as_of.sql); None when no published layout covers the
    point, and the live layout answers. A separate statement: the normal lookup stays as fast."""
    with connection.cursor() as cur:
        cur.execute(
            sql_text(SQL_DIR / "point_lookup_as_of.sql"),
            {"lon": lon, "lat": lat, "at": at, "today": timezone.localdate()},
        )
        rows = cur.fetchall()
    if not rows:
        return None
    units: dict[str, tuple] = {}
    for _community, number, effective, level, code, name, households, buildings in rows:
        if level is not None and level not in units:
            unit = {"code": code, "name": name, "households": households}
            units[level] = (number, effective, {**unit, "building_count": buildings})
    number, effective, _ = units.get("grid") or (rows[0][1], rows[0][2], None)
    return AsOf(
        revision=number,
        effective_date=effective,
        grid=units["grid"][2] if "grid" in units else None,
        microgrid=units["microgrid"][2] if "microgrid" in units else None,
    )


def grid_card_as_of(
    *, lon: float, lat: float, at: datetime.date, contacts_visible: bool
) -> GridCard:
    """The card of (lon, lat) with the grid and micro-grid it was in on `at`. Everything else
    (buildings, stations, workers) is today's; with no published layout there, the live grid."""
    card = grid_card_for_point(lon=lon, lat=lat, contacts_visible=contacts_visible)
    found = grid_as_of(lon=lon, lat=lat, at=at)
    if found is None:
        return replace(card, as_of=at.isoformat())
    notes = [n for n in card.notes if card.nearest_grid is None or "nearest" not in n]
    return replace(
        card,
        grid=_load(found.grid, grid_band()),
        microgrid=_load(found.microgrid, microgrid_band()),
        nearest_grid=None,
        # Today's grid workers answer for today's grid, not for the one on that date.
        workers=card.workers
        if card.grid and found.grid and card.grid["code"] == found.grid["code"]
        else [],
        notes=notes,
        as_of=at.isoformat(),
        revision=found.revision,
    )

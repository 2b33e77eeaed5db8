"""Buildings and stations as NumPy arrays in the city's metric CRS, and the nearest station of
each building: the loading and the geometry under the station coverage (coverage.py), the
organisation coverage and the heatmaps.

Loading is a selector (one SQL file per statement, `sql/building_points.sql` and
`sql/station_points.sql`); lon/lat come from PostGIS and are projected with PROJ on whole arrays,
far cheaper than ST_Transform row by row. The nearest-station search is pure.
"""

import threading
from dataclasses import dataclass, fields

import numpy as np
import shapely
from django.db import connection
from pyproj import Transformer

from geo.sql import sql_text
from geo.srid import STORAGE_SRID, metric_srid
from layers.analysis import CITY, SQL_DIR, Area, sql_rows

_local = threading.local()


def _to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # One PROJ transformer per thread (they are not thread-safe); building one costs ~20 ms.
    cache = _local.__dict__.setdefault("transformers", {})
    srid = metric_srid()
    if srid not in cache:
        cache[srid] = Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)
    x, y = cache[srid].transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_metric_xy(coords: np.ndarray) -> np.ndarray:
    """(N, 2) lon/lat in EPSG:4326 to (N, 2) metres in the metric CRS (for shapely.transform)."""
    x, y = _to_metric(coords[:, 0], coords[:, 1])
    return np.column_stack((x, y))


# --- the arrays -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BuildingPoints:
    """Every building of an area as aligned arrays, ordered by id. Ids are int64; a building in
    no grid has grid_id -1. x_m, y_m in the metric CRS; lon, lat in EPSG:4326 degrees."""

    building_id: np.ndarray
    households: np.ndarray
    grid_id: np.ndarray
    community_id: np.ndarray
    street_id: np.ndarray
    district_id: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.building_id)


@dataclass(frozen=True, eq=False)
class StationPoints:
    """Service stations as aligned arrays, ordered by id; x_m, y_m in the metric CRS."""

    station_id: np.ndarray
    level: np.ndarray  # str
    name: np.ndarray  # str
    x_m: np.ndarray
    y_m: np.ndarray

    def __len__(self) -> int:
        return len(self.station_id)

    def of_levels(self, levels: tuple[str, ...] | None) -> "StationPoints":
        if levels is None:
            return self
        keep = np.isin(self.level, levels)
        return StationPoints(*(getattr(self, f.name)[keep] for f in fields(self)))


# --- selectors: loading ---------------------------------------------------------------------------
def building_points(*, area: Area = CITY) -> BuildingPoints:
    """Every building of `area` (the whole city by default), in one statement."""
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "building_points.sql"), area.sql_params())
        # Straight into one float array (ids and households are exact in float64): building
        # a dict per row would cost twice the query on a city.
        table = np.array(cur.fetchall(), dtype=float).reshape(-1, 8)
    ints = [table[:, k].astype(np.int64) for k in range(6)]
    lon, lat = table[:, 6].copy(), table[:, 7].copy()
    x_m, y_m = _to_metric(lon, lat)
    return BuildingPoints(*ints, x_m, y_m, lon, lat)


def station_points(*, levels: tuple[str, ...] | None = None) -> StationPoints:
    """The stations of `levels` (all when None), in one statement."""
    rows = sql_rows("station_points.sql", {"levels": list(levels) if levels else None})
    lon = np.array([r["lon"] for r in rows], dtype=float)
    lat = np.array([r["lat"] for r in rows], dtype=float)
    x_m, y_m = _to_metric(lon, lat)
    return StationPoints(
        np.array([r["id"] for r in rows], dtype=np.int64),
        np.array([r["level"] for r in rows], dtype=object),
        np.array([r["name"] for r in rows], dtype=object),
        x_m,
        y_m,
    )


# --- pure: the nearest station --------------------------------------------------------------------
def nearest_straight(
    *, buildings: BuildingPoints, stations: StationPoints
) -> tuple[np.ndarray, np.ndarray]:
    """(nearest station id, straight-line distance in metres) for each building: (-1, inf) when
    there is no station. Equidistant stations: the lowest id wins, the same answer every time."""
    n = len(buildings)
    nearest = np.full(n, -1, dtype=np.int64)
    straight = np.full(n, np.inf)
    if n == 0 or len(stations) == 0:
        return nearest, straight
    tree = shapely.STRtree(shapely.points(stations.x_m, stations.y_m))
    (b, s), d = tree.query_nearest(
        shapely.points(buildings.x_m, buildings.y_m), return_distance=True, all_matches=True
    )
    ids = stations.station_id[s]
    order = np.lexsort((ids, b))  # by building, then station id
    first = order[np.unique(b[order], return_index=True)[1]]
    nearest[b[first]] = ids[first]
    straight[b[first]] = d[first]
    return nearest, straight

"""Heatmaps of the city as rasters in EPSG:3857: uncovered households, and grid load.

Three layers, as docs/style.md asks:

- **pure** (`density_raster`, `polygon_raster`, `raster_rgba`, `bounds_lonlat`): arrays in,
  a `Raster` or pixels out; no database, no files;
- **selector** (`heatmap_raster`): loads buildings (through `building_coverage`) or grids and
  calls the pure steps; the result is kept in a small in-process cache keyed by the data version;
- **services** (`heatmap_write`, `heatmap_png`): a compressed GeoTIFF on disk, or a transparent
  PNG with its lon/lat corners for a MapLibre `image` source.

Cell size. `cell_m` is always **ground metres**. Web Mercator stretches distances by 1/cos(lat),
so a cell is `cell_m / cos(lat)` Mercator units wide and high, with `lat` the latitude of the
middle of the raster. Across a city 20–50 km tall the true scale varies by well under 1 %
(at 30.6°N: ±0.1 % over the 21 km of the demo city), so every cell is `cell_m` on the ground to
that precision, and a household density read from the raster is per `cell_m`² of real ground.
"""

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from django.conf import settings
from django.contrib.gis.db.models.functions import AsWKB
from PIL import Image
from pyproj import Transformer

from geo.city_profile import city_profile
from geo.domain import grid_band
from geo.errors import BadRequest, NotFound
from geo.srid import STORAGE_SRID, WEB_MERCATOR_SRID
from layers.analysis import CITY, Area
from layers.analysis.coverage import LEVELS, MODES, building_coverage
from layers.models import Grid
from layers.selectors.data_version import data_version

MERCATOR_CRS = f"EPSG:{WEB_MERCATOR_SRID}"
KINDS = ("uncovered", "load")
# How many rendered heatmaps each process keeps (a dashboard toggles a few distances and kinds).
CACHE_ENTRIES = 8
# The count ramp's darkest colour: this percentile of the non-empty cells (see count_ramp).
RAMP_TOP_PERCENTILE = 98


@dataclass(frozen=True, eq=False)  # eq=False: comparing ndarrays has no single truth value
class Raster:
    """One band of float32 cells, north-up, rows north → south.

    `bounds` are (west, south, east, north) in EPSG:3857 metres; `cell_m` is the cell size in
    ground metres and `cell_3857` the same size in Mercator units (see the module docstring).
    `nodata` is the value a GIS viewer shows as transparent (None: every cell is data).
    """

    array: np.ndarray
    transform: Affine
    bounds: tuple[float, float, float, float]
    cell_m: float
    cell_3857: float
    crs: str = MERCATOR_CRS
    nodata: float | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.array.shape

    @property
    def max(self) -> float:
        finite = self.array[np.isfinite(self.array)]
        return float(finite.max()) if finite.size else 0.0

    @property
    def total(self) -> float:
        """The sum of the data cells, in float64 (float32 partial sums would drift)."""
        return float(np.nansum(self.array, dtype=np.float64))


# --- coordinates ----------------------------------------------------------------------------------


_local = threading.local()


def _transformer(source: int, target: int) -> Transformer:
    # Building a PROJ pipeline costs tens of milliseconds, so each is kept; one per thread, as
    # coverage.py does, since a Transformer is not safe to share between threads.
    cache = _local.__dict__.setdefault("transformers", {})
    if (source, target) not in cache:
        cache[source, target] = Transformer.from_crs(source, target, always_xy=True)
    return cache[source, target]


def lonlat_to_3857(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:4326 degrees → EPSG:3857 metres (vectorised)."""
    x, y = _transformer(STORAGE_SRID, WEB_MERCATOR_SRID).transform(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return np.asarray(x), np.asarray(y)


def mercator_cell(*, cell_m: float, y_3857: float) -> float:
    """The Mercator size of a `cell_m` ground-metre cell at Mercator northing `y_3857`."""
    _, lat = _transformer(WEB_MERCATOR_SRID, STORAGE_SRID).transform(0.0, y_3857)
    return cell_m / math.cos(math.radians(lat))


def bounds_lonlat(raster: Raster) -> tuple[float, float, float, float]:
    """The raster's (west, south, east, north) in EPSG:4326 degrees.

    A north-up EPSG:3857 image maps linearly onto a Web Mercator map, so these four numbers are
    all a MapLibre `image` source needs to place it exactly."""
    w, s, e, n = raster.bounds
    (lon_w, lon_e), (lat_s, lat_n) = _transformer(WEB_MERCATOR_SRID, STORAGE_SRID).transform(
        [w, e], [s, n]
    )
    return float(lon_w), float(lat_s), float(lon_e), float(lat_n)


def corner_coordinates(bounds: tuple[float, float, float, float]) -> list[list[float]]:
    """MapLibre's `image` source corners, clockwise from the top left: [[w,n],[e,n],[e,s],[w,s]]."""
    w, s, e, n = bounds
    return [[w, n], [e, n], [e, s], [w, s]]


# --- pure raster steps ----------------------------------------------------------------------------


def _frame(
    *, bounds: tuple, cell_m: float, points_inside: bool
) -> tuple[float, float, float, int, int]:
    """(west, north, Mercator cell, rows, columns) of a raster over `bounds` (w, s, e, n).

    With `points_inside`, the bounds are the extent of points, and the last column and row
    reach past the farthest of them, so that it lies strictly inside its cell; otherwise the
    cells just cover the bounds."""
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise ValueError(f"cell_m must be a positive number of metres, not {cell_m!r}")
    w, s, e, n = (float(v) for v in bounds)
    cell = mercator_cell(cell_m=cell_m, y_3857=(s + n) / 2)
    if points_inside:
        cols = math.floor((e - w) / cell) + 1
        rows = math.floor((n - s) / cell) + 1
    else:
        # The tolerance keeps bounds that are a whole number of cells from growing a column.
        cols = max(1, math.ceil((e - w) / cell - 1e-9))
        rows = max(1, math.ceil((n - s) / cell - 1e-9))
    return w, n, cell, rows, cols


def _raster(*, array, w: float, n: float, cell: float, cell_m: float, nodata) -> Raster:
    rows, cols = array.shape
    return Raster(
        array=array,
        transform=Affine.translation(w, n) @ Affine.scale(cell, -cell),
        bounds=(w, n - rows * cell, w + cols * cell, n),
        cell_m=cell_m,
        cell_3857=cell,
        nodata=nodata,
    )


def density_raster(
    *,
    x_3857: np.ndarray,
    y_3857: np.ndarray,
    weights: np.ndarray,
    cell_m: float,
    bounds: tuple | None = None,
) -> Raster:
    """The weights (households) summed per cell of `cell_m` ground metres, in EPSG:3857.

    Each point counts in the one cell that contains it (a point on a cell edge goes to the cell
    east and south of the edge, as floor() rounds). Without `bounds`, the raster spans every
    point and its sum equals `weights.sum()` to float rounding; with `bounds` (west, south,
    east, north in EPSG:3857), points outside them are left out. Zero cells are written as
    nodata, so GIS viewers show them transparent; they are still exact zeros in the array.

    >>> r = density_raster(x_3857=np.array([0.0, 10.0]), y_3857=np.array([0.0, 10.0]),
    ...                    weights=np.array([3, 4]), cell_m=100)
    >>> r.array.tolist(), r.total
    ([[7.0]], 7.0)
    """
    x = np.asarray(x_3857, dtype=np.float64)
    y = np.asarray(y_3857, dtype=np.float64)
    weight = np.asarray(weights, dtype=np.float64)
    if not (x.shape == y.shape == weight.shape):
        raise ValueError(f"x, y and weights differ in length: {x.shape}, {y.shape}, {weight.shape}")
    if bounds is None:
        if x.size == 0:
            raise ValueError("no points and no bounds: the raster has no extent")
        extent = (x.min(), y.min(), x.max(), y.max())
        w, n, cell, rows, cols = _frame(bounds=extent, cell_m=cell_m, points_inside=True)
    else:
        w, n, cell, rows, cols = _frame(bounds=bounds, cell_m=cell_m, points_inside=False)
    col = np.floor((x - w) / cell).astype(np.int64)
    row = np.floor((n - y) / cell).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    # bincount sums in float64 (exact for household counts); only the finished cells are
    # narrowed to float32, which holds any integer below 16.7 million exactly.
    sums = np.bincount(
        row[inside] * cols + col[inside], weights=weight[inside], minlength=rows * cols
    )
    array = sums.reshape(rows, cols).astype(np.float32)
    return _raster(array=array, w=w, n=n, cell=cell, cell_m=cell_m, nodata=0.0)


def polygon_raster(
    *,
    polygons_3857: np.ndarray,
    values: np.ndarray,
    cell_m: float,
    bounds: tuple | None = None,
) -> Raster:
    """Each polygon's value painted over the cells whose centre it covers; NaN elsewhere.

    `polygons_3857` are shapely geometries in EPSG:3857. A polygon narrower than a cell may
    paint no cell at all (the centre rule keeps areas honest: a cell shows the polygon that
    holds most of it, near enough). Where polygons overlap, the later one wins.
    """
    polygons = np.asarray(polygons_3857, dtype=object)
    vals = np.asarray(values, dtype=np.float64)
    if polygons.shape != vals.shape:
        raise ValueError(f"polygons and values differ in length: {polygons.shape}, {vals.shape}")
    if bounds is None:
        if polygons.size == 0:
            raise ValueError("no polygons and no bounds: the raster has no extent")
        bounds = tuple(shapely.total_bounds(polygons))
    w, n, cell, rows, cols = _frame(bounds=bounds, cell_m=cell_m, points_inside=False)
    transform = Affine.translation(w, n) @ Affine.scale(cell, -cell)
    array = np.full((rows, cols), np.nan, dtype=np.float32)
    if len(polygons):
        rasterio.features.rasterize(
            zip(polygons, vals, strict=True),
            out=array,
            transform=transform,
            all_touched=False,
        )
    return _raster(array=array, w=w, n=n, cell=cell, cell_m=cell_m, nodata=float("nan"))


# --- colour --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ramp:
    """Colour stops: (value, "#rrggbb", alpha 0–255), values increasing. Values outside the
    stops take the end colours; zero (for counts) and NaN are transparent."""

    stops: tuple[tuple[float, str, int], ...]
    zero_transparent: bool

    def legend(self) -> list[dict]:
        return [{"value": v, "colour": c} for v, c, _ in self.stops]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def raster_rgba(*, array: np.ndarray, ramp: Ramp) -> np.ndarray:
    """H×W×4 uint8 pixels of `array` through `ramp` (linear between stops)."""
    values = np.asarray(array, dtype=np.float64)
    xs = [v for v, _, _ in ramp.stops]
    channels = [[_rgb(c)[i] for _, c, _ in ramp.stops] for i in range(3)]
    channels.append([a for _, _, a in ramp.stops])
    filled = np.nan_to_num(values, nan=xs[0])
    rgba = np.stack([np.interp(filled, xs, ch) for ch in channels], axis=-1)
    clear = np.isnan(values)
    if ramp.zero_transparent:
        clear |= values == 0
    rgba[clear] = 0
    return np.round(rgba).astype(np.uint8)


def count_ramp(*, array: np.ndarray) -> Ramp:
    """Households per cell: pale yellow to dark red (ColorBrewer YlOrRd). Dark red is the 98th
    percentile of the non-empty cells, not the maximum: one tower block of 1,000 households
    would otherwise wash every other cell out to pale yellow. Cells above it stay dark red, and
    even a single household stays visible (alpha ≥ 120)."""
    positive = array[np.isfinite(array) & (array > 0)]
    top = max(float(np.percentile(positive, RAMP_TOP_PERCENTILE)) if positive.size else 0.0, 1.0)
    hexes = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
    alphas = (120, 160, 190, 215, 235)
    stops = tuple((top * i / 4, c, a) for i, (c, a) in enumerate(zip(hexes, alphas, strict=True)))
    return Ramp(stops=stops, zero_transparent=True)


def load_ramp() -> Ramp:
    """Grid load as households / the band's top: blue below the band, green inside, orange to
    red above it (the band from GRIDATLAS_GRID_HOUSEHOLDS_MIN/MAX, read at call time)."""
    band = grid_band()
    low = band.min / band.max
    stops = (
        (0.0, "#2c7bb6", 200),
        (low, "#abd9e9", 170),
        ((low + 1) / 2, "#a6d96a", 150),
        (1.0, "#66bd63", 150),
        (1.0001, "#fdae61", 180),
        (1.5, "#d7191c", 220),
    )
    return Ramp(stops=stops, zero_transparent=False)


def png_bytes(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


# --- selector -------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Heatmap:
    """A rendered heatmap and what a legend needs. `total` is the households it represents."""

    kind: str
    distance_m: float | None  # None for load, which no distance changes
    mode: str | None  # straight | network, as in building_coverage; None for load
    raster: Raster
    total: float
    ramp: Ramp
    unit: str


_cache: OrderedDict[tuple, Heatmap] = OrderedDict()
_cache_lock = threading.Lock()


def heatmap_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def max_cells() -> int:
    """The most cells one heatmap may have (float32: 4 bytes each, plus 4 for its PNG pixel)."""
    return settings.GRIDATLAS_HEATMAP_MAX_CELLS


def _check_cells(*, bounds: tuple, cell_m: float) -> None:
    w, s, e, n = bounds
    cell = mercator_cell(cell_m=cell_m, y_3857=(s + n) / 2)
    cells = math.ceil((e - w) / cell + 1) * math.ceil((n - s) / cell + 1)
    limit = max_cells()
    if cells > limit:
        smallest = cell_m * math.sqrt(cells / limit)
        raise BadRequest(
            f"a {cell_m:g} m cell makes {cells:,} cells over the city, more than the "
            f"{limit:,} allowed (GRIDATLAS_HEATMAP_MAX_CELLS): use cell ≥ {math.ceil(smallest)} m"
        )


def _uncovered(
    *, distance_m: float, cell_m: float, mode: str, levels: tuple[str, ...] | None, area: Area
) -> Heatmap:
    cov = building_coverage(distance_m=distance_m, mode=mode, levels=levels, area=area)
    if len(cov.building_id) == 0:
        raise NotFound("there are no buildings to map: load a city first")
    x, y = lonlat_to_3857(cov.lon, cov.lat)
    _check_cells(bounds=(x.min(), y.min(), x.max(), y.max()), cell_m=cell_m)
    # Every building is passed, the covered ones with weight 0, so the frame is the extent of
    # all of them and the image stays put when the dashboard switches distance.
    weights = np.where(cov.covered, 0, cov.households).astype(np.float64)
    raster = density_raster(x_3857=x, y_3857=y, weights=weights, cell_m=cell_m)
    return Heatmap(
        kind="uncovered",
        distance_m=distance_m,
        mode=mode,
        raster=raster,
        total=float(weights.sum()),
        ramp=count_ramp(array=raster.array),
        unit="households per cell",
    )


def _load(*, cell_m: float) -> Heatmap:
    rows = list(
        Grid.objects.filter(geom_3857__isnull=False)
        .annotate(wkb=AsWKB("geom_3857"))
        .order_by("code")
        .values_list("wkb", "households")
    )
    if not rows:
        raise NotFound("there are no grids to map: load a city first")
    polygons = shapely.from_wkb([bytes(wkb) for wkb, _ in rows])
    households = np.array([h for _, h in rows], dtype=np.float64)
    _check_cells(bounds=tuple(shapely.total_bounds(polygons)), cell_m=cell_m)
    raster = polygon_raster(
        polygons_3857=polygons,
        values=households / grid_band().max,
        cell_m=cell_m,
    )
    return Heatmap(
        kind="load",
        distance_m=None,
        mode=None,
        raster=raster,
        total=float(households.sum()),
        ramp=load_ramp(),
        unit="grid households / GRIDATLAS_GRID_HOUSEHOLDS_MAX",
    )


def heatmap_raster(
    *,
    kind: str,
    distance_m: float,
    cell_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> Heatmap:
    """The heatmap `kind` at `distance_m` walking metres measured as `mode` to the stations of
    `levels` (all when None) over the buildings of `area` (these four ignored by `load`) and
    `cell_m` ground metres, from this process's cache while the data are unchanged."""
    if kind not in KINDS:
        raise NotFound(f"no heatmap {kind!r}: the kinds are {', '.join(KINDS)}")
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    walk = None if kind == "load" else (float(distance_m), mode, levels, area)
    key = (kind, walk, float(cell_m), data_version())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if kind == "uncovered":
        heatmap = _uncovered(
            distance_m=distance_m, cell_m=cell_m, mode=mode, levels=levels, area=area
        )
    else:
        heatmap = _load(cell_m=cell_m)
    with _cache_lock:
        _cache[key] = heatmap
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return heatmap


# --- services -------------------------------------------------------------------------------------


def raster_write(*, raster: Raster, path: Path, tags: dict | None = None) -> Path:
    """`raster` as a single-band float32 GeoTIFF (DEFLATE with the floating-point predictor)."""
    path = Path(path)
    profile = {
        "driver": "GTiff",
        "width": raster.shape[1],
        "height": raster.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": raster.crs,
        "transform": raster.transform,
        "nodata": raster.nodata,
        "compress": "deflate",
        "predictor": 3,
    }
    if raster.shape[0] >= 256 and raster.shape[1] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(raster.array, 1)
        dst.update_tags(**{k: str(v) for k, v in (tags or {}).items() if v is not None})
    return path


def heatmap_write(
    *,
    kind: str,
    distance_m: float,
    cell_m: float,
    path: Path,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> Path:
    """Write the heatmap as a GeoTIFF in EPSG:3857 at `path`, what it shows in its tags;
    returns the path."""
    heatmap = heatmap_raster(
        kind=kind, distance_m=distance_m, cell_m=cell_m, mode=mode, levels=levels, area=area
    )
    return raster_write(
        raster=heatmap.raster,
        path=path,
        tags={
            "kind": kind,
            "distance_m": heatmap.distance_m,
            "mode": heatmap.mode,
            "levels": None if kind == "load" else ",".join(levels or LEVELS),
            "area": None if kind == "load" else (area.code or city_profile().code),
            "cell_m": cell_m,
            "unit": heatmap.unit,
            "total_households": heatmap.total,
        },
    )


def heatmap_png(
    *,
    kind: str,
    distance_m: float,
    cell_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> tuple[bytes, tuple[float, float, float, float]]:
    """A colour-ramped transparent PNG of the heatmap, one pixel a cell, and its (west, south,
    east, north) in EPSG:4326 for a MapLibre `image` source."""
    heatmap = heatmap_raster(
        kind=kind, distance_m=distance_m, cell_m=cell_m, mode=mode, levels=levels, area=area
    )
    rgba = raster_rgba(array=heatmap.raster.array, ramp=heatmap.ramp)
    return png_bytes(rgba), bounds_lonlat(heatmap.raster)

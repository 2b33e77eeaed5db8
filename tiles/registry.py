"""The tile layers, as tile code needs them: a flat view of the layer catalogue's tile facts
(layers/catalogue.py). Tile endpoints, TileJSON, style.json and the map's legend are all
generated from the catalogue, so they cannot drift apart.

Request input only ever picks a key from here; SQL identifiers never come from a request.
"""

from dataclasses import dataclass
from pathlib import Path

from geo.domain import grid_band, microgrid_band
from layers.catalogue import TILE_LAYERS, Layer

SQL_DIR = Path(__file__).resolve().parent / "sql"
MAX_ZOOM = 16  # the deepest tiles we cut; MapLibre overzooms beyond (TileJSON maxzoom)
EXTENT = 4096  # MVT units per tile side
BUFFER = 64  # MVT units of clipping buffer around each tile (polygons' edges stay clean)
EARTH_CIRCUMFERENCE_M = 40_075_016.686  # EPSG:3857 world width


@dataclass(frozen=True)
class TileLayer:
    key: str
    title: str  # Chinese, as the legend shows it
    geometry: str  # polygon | line | point
    minzoom: int
    fields: dict[str, str]
    color: str
    priority: int  # lower is dropped first when a composite tile is over the size cap
    maxzoom: int = MAX_ZOOM
    min_pixels: float = 0.0  # features smaller than this many screen pixels² are dropped
    extra_params: tuple[str, ...] = ()

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / f"{self.key}.sql"

    def covers(self, z: int) -> bool:
        return self.minzoom <= z <= self.maxzoom


def _tile_layer(layer: Layer) -> TileLayer:
    t = layer.tiles
    return TileLayer(
        layer.key,
        layer.title_zh,
        t.geometry,
        t.minzoom,
        dict(t.fields),
        t.color,
        t.priority,
        maxzoom=t.maxzoom or MAX_ZOOM,
        min_pixels=t.min_pixels,
        extra_params=t.params,
    )


LAYERS: dict[str, TileLayer] = {key: _tile_layer(layer) for key, layer in TILE_LAYERS.items()}
COMPOSITE = "all"


def layers_for(key: str) -> list[TileLayer]:
    """The layers a tile URL key stands for: one, or every layer for the composite."""
    if key == COMPOSITE:
        return list(LAYERS.values())
    layer = LAYERS.get(key)
    return [layer] if layer else []


def pixel_size_m(z: int) -> float:
    """Web Mercator metres per screen pixel at zoom z (512-pixel vector tiles, as MapLibre)."""
    return EARTH_CIRCUMFERENCE_M / (512 * 2**z)


def query_params(*, z: int, x: int, y: int, layer: TileLayer) -> dict:
    """Every parameter the layer's SQL file names, read from settings at call time."""
    params = {
        "z": z,
        "x": x,
        "y": y,
        "extent": EXTENT,
        "buffer": BUFFER,
        "margin": BUFFER / EXTENT,
        "band": generalized_band(z),
    }
    bands = {**grid_band().as_sql_params("grid"), **microgrid_band().as_sql_params("microgrid")}
    min_area_m2 = layer.min_pixels * pixel_size_m(z) ** 2
    for name in layer.extra_params:
        params[name] = min_area_m2 if name.endswith("_min_area_m2") else bands[name]
    return params


# Zoom bands served from generalised geometry (tiles/generalize.py): band start → the zooms it
# covers. From GENERALIZED_BELOW_Z upward, tiles use the exact geometry.
GENERALIZED_BANDS = (8, 10, 12)
GENERALIZED_BELOW_Z = 14


def generalized_band(z: int) -> int:
    """The band a zoom reads generalised geometry from, or -1 (exact geometry)."""
    if z >= GENERALIZED_BELOW_Z:
        return -1
    return max((b for b in GENERALIZED_BANDS if b <= z), default=-1)

"""The one registry of tile layers: key, SQL file, zooms, fields, look. Tile endpoints, TileJSON,
style.json and the map's legend are all generated from it, so they cannot drift apart.

Request input only ever picks a key from here; SQL identifiers never come from a request.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SQL_DIR = Path(__file__).resolve().parent / "sql"
MAX_ZOOM = 16  # the deepest tiles we cut; MapLibre overzooms beyond (TileJSON maxzoom)
EXTENT = 4096  # MVT units per tile side
BUFFER = 64  # MVT units of clipping buffer around each tile (polygons' edges stay clean)
EARTH_CIRCUMFERENCE_M = 40_075_016.686  # EPSG:3857 world width


@dataclass(frozen=True)
class TileLayer:
    key: str
    title: str  # Chinese, as the legend shows it
    geometry: str  # polygon | point
    minzoom: int
    fields: dict[str, str]
    color: str
    priority: int  # lower is dropped first when a composite tile is over the size cap
    maxzoom: int = MAX_ZOOM
    min_pixels: float = 0.0  # features smaller than this many screen pixels² are dropped
    extra_params: tuple[str, ...] = ()
    style: dict = field(default_factory=dict)

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / f"{self.key}.sql"

    def covers(self, z: int) -> bool:
        return self.minzoom <= z <= self.maxzoom


BASE_FIELDS = {"id": "Number", "code": "String", "name": "String"}
UNIT_FIELDS = {"households": "Number", "building_count": "Number", "load": "String (under|ok|over)"}
# fmt: off
LAYERS: dict[str, TileLayer] = {
    layer.key: layer
    for layer in (
        TileLayer("streets", "街道", "polygon", 8, BASE_FIELDS, "#1f2d3d", priority=90),
        TileLayer("communities", "社区", "polygon", 10,
                  {**BASE_FIELDS, "households": "Number"}, "#b22222", priority=80),
        TileLayer("grids", "网格", "polygon", 12,
                  {**BASE_FIELDS, "code": "String (from z14)", "name": "String (from z14)",
                   **UNIT_FIELDS},
                  "#2b7bb9", priority=70, extra_params=("grid_min", "grid_max")),
        TileLayer("microgrids", "微网格", "polygon", 14,
                  {**BASE_FIELDS, "name": "String (z16)", **UNIT_FIELDS},
                  "#6a51a3", priority=40, extra_params=("microgrid_min", "microgrid_max")),
        TileLayer("xiaoqu", "小区", "polygon", 13,
                  {**BASE_FIELDS, "kind": "String", "has_party_org": "Boolean",
                   "has_owners_committee": "Boolean", "has_property_company": "Boolean"},
                  "#e08a1e", priority=50, min_pixels=16.0,
                  extra_params=("xiaoqu_min_area_m2",)),
        TileLayer("buildings", "楼栋", "polygon", 14,
                  {**BASE_FIELDS, "code": "String (z16)", "name": "String (z16)",
                   "households": "Number", "floors": "Number"},
                  "#7f8c8d", priority=10, min_pixels=4.0,
                  extra_params=("buildings_min_area_m2",)),
        TileLayer("stations", "党群服务驿站", "point", 10,
                  {**BASE_FIELDS, "level": "String (street|community|xiaoqu)"}, "#d7301f",
                  priority=85),
        TileLayer("units", "下沉单位", "point", 12,
                  {**BASE_FIELDS, "kind": "String", "pairings": "Number"}, "#238b45",
                  priority=60),
        TileLayer("labels", "注记", "point", 10,
                  {**BASE_FIELDS, "kind": "String (streets|communities|grids|xiaoqu)"},
                  "#333333", priority=95),
    )
}
# fmt: on
COMPOSITE = "all"


def layer_get(key: str) -> TileLayer | None:
    return LAYERS.get(key)


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
    extra = {
        "grid_min": lambda: settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN,
        "grid_max": lambda: settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX,
        "microgrid_min": lambda: settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN,
        "microgrid_max": lambda: settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX,
    }
    min_area_m2 = layer.min_pixels * pixel_size_m(z) ** 2
    for name in layer.extra_params:
        params[name] = min_area_m2 if name.endswith("_min_area_m2") else extra[name]()
    return params


# Zoom bands served from generalised geometry (tiles/generalize.py): band start → the zooms it
# covers. From GENERALIZED_BELOW_Z upward, tiles use the exact geometry.
GENERALIZED_BANDS = (8, 10, 12)
GENERALIZED_BELOW_Z = 14
GENERALIZED_LAYERS = ("streets", "communities", "grids")


def generalized_band(z: int) -> int:
    """The band a zoom reads generalised geometry from, or -1 (exact geometry)."""
    if z >= GENERALIZED_BELOW_Z:
        return -1
    return max((b for b in GENERALIZED_BANDS if b <= z), default=-1)

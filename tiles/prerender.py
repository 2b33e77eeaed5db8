"""Pre-rendering the low-zoom composite tiles into the cache: the whole city is a few dozen
tiles at z ≤ 12, each holding hundreds of grids (≈50 ms to cut), so they are cut ahead, after
every bulk load. Edits purge them like any other cached tile; they are then cut on demand."""

import hashlib
import math

from django.db import connection

from .cache import cache_epoch, cache_put
from .coords import TileCoord
from .registry import COMPOSITE, LAYERS, layers_for
from .render import tile_render

PRERENDER_MAX_Z = 12


def city_tiles(*, z: int) -> list[TileCoord]:
    """Tiles at zoom z that meet the city's extent (the streets' extent)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM (SELECT ST_Extent(geom) AS e FROM layers_street) s"
        )
        west, south, east, north = cur.fetchone()
    if west is None:
        return []
    n = 2**z

    def tx(lon):
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def ty(lat):
        r = math.radians(lat)
        return min(n - 1, max(0, int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)))

    return [
        TileCoord(z, x, y)
        for x in range(tx(west), tx(east) + 1)
        for y in range(ty(north), ty(south) + 1)
    ]


def low_zooms_prerender(*, max_z: int = PRERENDER_MAX_Z) -> int:
    """Cut and cache the composite tiles of the city from the lowest layer zoom to max_z."""
    written = 0
    min_z = min(la.minzoom for la in LAYERS.values())
    for z in range(min_z, max_z + 1):
        for coord in city_tiles(z=z):
            epoch = cache_epoch()
            tile = tile_render(coord=coord, layers=layers_for(COMPOSITE), droppable=True)
            if tile.dropped:
                continue  # a capped tile is served, never cached (views.tile)
            etag = '"' + hashlib.md5(tile.data, usedforsecurity=False).hexdigest() + '"'
            written += cache_put(key=COMPOSITE, coord=coord, data=tile.data, etag=etag, epoch=epoch)
    return written

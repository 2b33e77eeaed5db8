"""Generalised boundaries for low-zoom tiles: streets, communities and grids simplified as
coverages (shapely/GEOS coverage simplification), so adjacent polygons keep sharing their edges
at every zoom — no slivers or gaps between neighbours on the map.

Each parent's children are simplified together with the parent's outline held fixed
(simplify_boundary=False): grids per community, communities per street; streets as one city
coverage. Tolerance: half a screen pixel at the band's first zoom (tiles/registry.py). Which
layers, grouped by which parent: their `Generalized` in layers/catalogue.py.
"""

from collections import defaultdict

import numpy as np
import shapely
from django.db import connection, transaction
from tqdm import tqdm

from geo.srid import WEB_MERCATOR_SRID
from layers.catalogue import TILE_LAYERS

from .registry import GENERALIZED_BANDS, pixel_size_m

CLEAN_SNAP_M = 0.001  # 1 mm: joins vertices that differ by noding noise, moves nothing visible

# layer → (table, the column grouping a coverage, or None for one city-wide coverage)
SOURCES = {
    key: (layer.model._meta.db_table, layer.tiles.generalized.group_by)
    for key, layer in TILE_LAYERS.items()
    if layer.tiles.generalized
}


def _coverages(table: str, group_by: str | None) -> dict:
    group = group_by or "0"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {group}, id, ST_AsBinary(geom_3857) FROM {table}"  # noqa: S608 - constants
            " WHERE geom_3857 IS NOT NULL ORDER BY 1, 2"
        )
        rows = cur.fetchall()
    out: dict = defaultdict(lambda: ([], []))
    for g, fid, wkb in rows:
        out[g][0].append(fid)
        out[g][1].append(bytes(wkb))
    return out


def _simplified(wkbs: list[bytes], tolerance_m: float, *, boundary: bool) -> list[str]:
    """The coverage simplified, as EWKB hex MultiPolygons in EPSG:3857."""
    # Derived grids meet their neighbours to ~1e-9 m but not vertex for vertex: clean them into
    # an edge-matched coverage first, or the simplified neighbours would overlap.
    geoms = shapely.coverage_clean(
        shapely.from_wkb(np.array(wkbs, dtype=object)), snapping_distance=CLEAN_SNAP_M
    )
    simple = shapely.make_valid(
        shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=boundary)
    )
    multi = shapely.set_srid(np.array([_multi(g) for g in simple], dtype=object), WEB_MERCATOR_SRID)
    return list(shapely.to_wkb(multi, hex=True, include_srid=True))


def _multi(g):
    """Only the polygonal parts (make_valid may leave a collapsed edge as a line)."""
    polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(polys)


def generalized_refresh(*, progress: bool = False) -> dict[str, int]:
    """Recompute every generalised row; one transaction. Returns rows written per layer."""
    counts = {}
    with transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors:
        cur = wrapper.cursor
        cur.execute("TRUNCATE tiles_generalized")
        for layer, (table, group_by) in SOURCES.items():
            groups = _coverages(table, group_by)
            n = 0
            with cur.copy("COPY tiles_generalized (layer, band, id, geom) FROM STDIN") as cp:
                bar = tqdm(groups.values(), desc=f"generalising {layer}", disable=not progress)
                for ids, wkbs in bar:
                    for band in GENERALIZED_BANDS:
                        tol_m = pixel_size_m(band) / 2
                        hexes = _simplified(wkbs, tol_m, boundary=group_by is None)
                        for fid, h in zip(ids, hexes, strict=True):
                            cp.write_row((layer, band, fid, h))
                            n += 1
            counts[layer] = n
        cur.execute("UPDATE tiles_epoch SET epoch = epoch + 1")
        cur.execute("TRUNCATE tiles_cache")  # low-zoom tiles change shape
    with connection.cursor() as cur:
        # Without fresh statistics the planner hashes the whole table for every tile.
        cur.execute("ANALYZE tiles_generalized")
    return counts

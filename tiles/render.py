"""Rendering one tile: the layers' SQL files joined into ONE statement (a composite tile is
one query, not one per layer), under a statement timeout and a size cap."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection

from geo.errors import Unavailable
from geo.sql import sql_text

from .coords import TileCoord
from .registry import TileLayer, query_params


@dataclass(frozen=True)
class RenderedTile:
    data: bytes
    layers: tuple[str, ...]  # what the tile holds
    dropped: tuple[str, ...]  # layers left out to meet the size cap (said in a header)


@functools.cache
def _statement(keys: tuple[str, ...], paths: tuple) -> str:
    # ST_AsMVT of no rows is NULL in some PostGIS versions: coalesce so `||` keeps the rest.
    parts = [f"coalesce(({sql_text(p).strip().rstrip(';')}), ''::bytea)" for p in paths]
    return "SELECT " + "\n || ".join(parts)


def _run(*, coord: TileCoord, layers: list[TileLayer]) -> bytes:
    params: dict = {}
    for layer in layers:
        params.update(query_params(z=coord.z, x=coord.x, y=coord.y, layer=layer))
    sql = _statement(tuple(la.key for la in layers), tuple(la.sql_path for la in layers))
    timeout_ms = int(settings.GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS)
    try:
        with connection.cursor() as cur:
            # One round trip: several statements in one (simple-protocol) query run as one
            # implicit transaction, so SET LOCAL holds for the tile's SQL and ends with it — no
            # BEGIN, SET and COMMIT of their own. One tile is small work: parallel workers cost
            # more to start than they save.
            cur.execute(
                f"SET LOCAL statement_timeout = {timeout_ms}; "
                f"SET LOCAL max_parallel_workers_per_gather = 0; {sql}",
                params,
            )
            cur.nextset()  # past the two SETs' (empty) results
            cur.nextset()
            return bytes(cur.fetchone()[0] or b"")
    except OperationalError as exc:
        if "statement timeout" in str(exc):
            raise Unavailable(
                f"tile {coord.z}/{coord.x}/{coord.y} took over {timeout_ms} ms; try again or "
                "zoom in"
            ) from exc
        raise


def tile_render(*, coord: TileCoord, layers: list[TileLayer], droppable: bool) -> RenderedTile:
    """Render the layers that cover z. When `droppable` (the composite tile) and the tile is over
    GRIDATLAS_TILE_MAX_BYTES, leave out the lowest-priority layers until it fits."""
    active = [la for la in layers if la.covers(coord.z)]
    dropped: list[str] = []
    cap = settings.GRIDATLAS_TILE_MAX_BYTES
    while True:
        data = _run(coord=coord, layers=active) if active else b""
        if not droppable or len(data) <= cap or len(active) <= 1:
            return RenderedTile(data, tuple(la.key for la in active), tuple(dropped))
        lowest = min(active, key=lambda la: la.priority)
        active.remove(lowest)
        dropped.append(lowest.key)

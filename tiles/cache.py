"""The server-side tile cache (table tiles_cache, migration 0001): reads, and writes guarded by
the purge epoch so that a tile rendered from a snapshot older than an edit is never stored."""

from dataclasses import dataclass

import psycopg
from django.db import connection

from .coords import TileCoord


@dataclass(frozen=True)
class CachedTile:
    data: bytes
    etag: str


def _binary_cursor():
    """A server-side-binding cursor with binary results, wrapped like Django's own (so it is
    logged, and pghistory's wrappers apply). Django's default psycopg cursor binds client-side:
    a tile would travel as a hex literal inside the SQL text, twice its size, for the server to
    parse; and it would come back as hex too."""
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    return connection._prepare_cursor(raw)


def cache_lookup(*, key: str, coord: TileCoord) -> tuple[CachedTile | None, int]:
    """The cached tile (or None) and the current purge epoch, in one round trip: a miss needs
    the epoch to store its render safely."""
    with _binary_cursor() as cur:
        cur.execute(
            "SELECT e.epoch, c.data, c.etag FROM tiles_epoch e LEFT JOIN tiles_cache c"
            " ON c.layer = %s AND c.z = %s AND c.x = %s AND c.y = %s",
            [key, coord.z, coord.x, coord.y],
        )
        epoch, data, etag = cur.fetchone()
    return (CachedTile(bytes(data), etag) if data is not None else None), epoch


def cache_epoch() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT epoch FROM tiles_epoch")
        return cur.fetchone()[0]


def cache_put(*, key: str, coord: TileCoord, data: bytes, etag: str, epoch: int) -> bool:
    """Store the tile unless an edit purged since `epoch` (FOR SHARE waits for an edit still in
    flight, then sees its new epoch). True when stored."""
    with _binary_cursor() as cur:
        cur.execute(
            """INSERT INTO tiles_cache (layer, z, x, y, data, etag)
               SELECT %(key)s, %(z)s, %(x)s, %(y)s, %(data)b, %(etag)s
                WHERE (SELECT epoch FROM tiles_epoch FOR SHARE) = %(epoch)s
               ON CONFLICT (layer, z, x, y) DO NOTHING""",
            {
                "key": key,
                "z": coord.z,
                "x": coord.x,
                "y": coord.y,
                "data": data,
                "etag": etag,
                "epoch": epoch,
            },
        )
        return cur.rowcount == 1


def cached_keys() -> set[tuple[str, int, int, int]]:
    """Every cached (layer, z, x, y): for tests and the export command."""
    with connection.cursor() as cur:
        cur.execute("SELECT layer, z, x, y FROM tiles_cache")
        return set(cur.fetchall())

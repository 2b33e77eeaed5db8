"""The data version: one number that goes up on every write to a layer anyone reads.

It is the tile epoch (table `tiles_epoch`), bumped in the writing statement's own transaction by
the purge triggers on every tiled table (tiles/sql/schema/ga_tiles_purge*.sql: boundaries,
parcels, buildings, stations, units, pairings, roads). A cache of anything derived from those
tables (a heatmap raster, the city profile) keys on it: one primary-key row read tells a stale
entry. Read as SQL, not through tiles.cache: tiles is built on layers, never the reverse.
"""

from django.db import connection


def data_version() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT epoch FROM tiles_epoch")
        return cur.fetchone()[0]

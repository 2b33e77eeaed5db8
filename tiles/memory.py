"""Hot tiles in each worker's memory, in front of the PostgreSQL tile cache: a warm tile is then
served with no query at all (bench/tiles.py: the database lookup was half the cost of a hit).

Exactness is kept by PostgreSQL: every purge bumps tiles_epoch, and a trigger sends the new
epoch as NOTIFY gridatlas_tiles at commit (migration 0005). Each worker LISTENs on a connection
of its own and, before answering from memory, drains what arrived (a non-blocking read of a
local socket): any purge empties the memory, since edits are rare next to reads. A tile enters
memory tagged with the epoch it was read or rendered at, and is refused if a newer epoch is
already known, so a purge racing a fill cannot leave a stale tile behind. If the listening
connection fails, memory is emptied and bypassed until it reconnects.

GRIDATLAS_TILE_MEMORY_BYTES sets the size per worker (0 turns it off).
"""

import logging
import threading
from collections import OrderedDict

import psycopg
from django.conf import settings
from django.db import connection

from .coords import TileCoord

CHANNEL = "gridatlas_tiles"
log = logging.getLogger(__name__)


class TileMemory:
    def __init__(self):
        self._tiles: OrderedDict[tuple, tuple[bytes, str, int]] = OrderedDict()
        self._bytes = 0
        self._epoch = -1  # the newest epoch this worker has heard of
        self._listener: psycopg.Connection | None = None
        self._lock = threading.Lock()  # gthread workers share one instance

    # -- the listening connection ---------------------------------------------------------
    def _listen(self) -> bool:
        if self._listener is not None and not self._listener.closed:
            return True
        try:
            params = connection.get_connection_params()
            self._listener = psycopg.connect(**params, autocommit=True)
            self._listener.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            log.warning("tile memory off: cannot LISTEN for purges (%s)", exc)
            self._listener = None
            return False
        self._clear()  # whatever happened while nobody listened is unknown
        return True

    def _drain(self) -> bool:
        """Apply the purges that arrived; False when memory cannot be trusted right now."""
        if not self._listen():
            return False
        pgconn = self._listener.pgconn
        try:
            pgconn.consume_input()
            newest = None
            while (note := pgconn.notifies()) is not None:
                newest = max(newest or 0, int(note.extra))
        except psycopg.Error as exc:
            log.warning("tile memory off: the purge listener failed (%s)", exc)
            self._listener.close()
            self._listener = None
            self._clear()
            return False
        if newest is not None and newest > self._epoch:
            self._epoch = newest
            self._clear()
        return True

    def _clear(self) -> None:
        self._tiles.clear()
        self._bytes = 0

    # -- reads and writes -------------------------------------------------------------------
    def get(self, key: str, coord: TileCoord) -> tuple[bytes, str] | None:
        if settings.GRIDATLAS_TILE_MEMORY_BYTES <= 0:
            return None
        with self._lock:
            if not self._drain():
                return None
            entry = self._tiles.get((key, coord.z, coord.x, coord.y))
            if entry is None:
                return None
            self._tiles.move_to_end((key, coord.z, coord.x, coord.y))
            return entry[0], entry[1]

    def put(self, key: str, coord: TileCoord, data: bytes, etag: str, epoch: int) -> None:
        """Remember a tile read or rendered at `epoch` (the database's, from the same query)."""
        cap = settings.GRIDATLAS_TILE_MEMORY_BYTES
        if cap <= 0 or len(data) > cap // 16:
            return
        with self._lock:
            if not self._drain() or epoch < self._epoch:
                return  # a purge came after this tile was read: it may be stale
            self._epoch = max(self._epoch, epoch)
            k = (key, coord.z, coord.x, coord.y)
            old = self._tiles.pop(k, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._tiles[k] = (data, etag, epoch)
            self._bytes += len(data)
            while self._bytes > cap:
                _, (evicted, _, _) = self._tiles.popitem(last=False)
                self._bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._tiles)


tile_memory = TileMemory()

"""The per-worker memory of hot tiles (tiles/memory.py): a warm tile costs no query; any purge,
from any connection, empties it within moments of the commit (NOTIFY); a racing fill is refused;
a broken listener bypasses it. These tests commit (transaction=True): NOTIFY is sent at commit."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.models import Grid
from tests.demo_city_support import city_loaded, plan_make, tile_cache_clear
from tests.test_tiles import get_tile, tile_of
from tiles.coords import TileCoord
from tiles.memory import tile_memory

MEMORY_BYTES = 8 * 1024 * 1024


@pytest.fixture
def memory_on(settings):
    settings.GRIDATLAS_TILE_MEMORY_BYTES = MEMORY_BYTES
    tile_memory._clear()
    yield tile_memory
    tile_memory._clear()


def fresh_within(seconds, check):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.mark.django_db(transaction=True)
def test_warm_tiles_cost_no_query_and_purges_reach_memory(client, django_db_blocker, memory_on):
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        grid = Grid.objects.order_by("code").first()
        z, x, y = tile_of(*grid.geom.point_on_surface.coords, 15)
        first = get_tile(client, "grids", z, x, y)
        assert first["X-Tile-Cache"] == "miss" and len(memory_on) == 1
        with CaptureQueriesContext(connection) as ctx:
            again = get_tile(client, "grids", z, x, y)
        assert again["X-Tile-Cache"] == "hit" and again.content == first.content
        assert ctx.captured_queries == []

        # An edit by plain SQL on this connection, committed: its purge trigger bumps the epoch,
        # NOTIFY reaches the listener, and the next request renders the changed grid.
        with connection.cursor() as cur:
            cur.execute("UPDATE layers_grid SET name = name || '（改）' WHERE id = %s", [grid.pk])

        def changed():
            r = get_tile(client, "grids", z, x, y)
            return r["ETag"] != first["ETag"]

        assert fresh_within(2.0, changed), "the edited grid's tile stayed stale in memory"

        # Emptying the database cache empties memory too (TRUNCATE bumps the epoch).
        get_tile(client, "grids", z, x, y)
        assert len(memory_on) >= 1
        tile_cache_clear()
        assert fresh_within(
            2.0, lambda: get_tile(client, "grids", z, x, y)["X-Tile-Cache"] == "miss"
        )


@pytest.mark.django_db(transaction=True)
def test_a_fill_older_than_a_known_purge_is_refused(memory_on):
    coord = TileCoord(15, 1, 1)
    assert memory_on.get("grids", coord) is None  # connects the listener
    with connection.cursor() as cur:
        cur.execute("UPDATE tiles_epoch SET epoch = epoch + 1 RETURNING epoch")
        epoch = cur.fetchone()[0]
    assert fresh_within(2.0, lambda: (memory_on.get("grids", coord), memory_on._epoch)[1] == epoch)
    memory_on.put("grids", coord, b"stale", '"s"', epoch - 1)  # read before that purge
    assert memory_on.get("grids", coord) is None
    memory_on.put("grids", coord, b"fresh", '"f"', epoch)
    assert memory_on.get("grids", coord) == (b"fresh", '"f"')


@pytest.mark.django_db(transaction=True)
def test_a_broken_listener_empties_and_bypasses_memory(memory_on):
    coord = TileCoord(15, 2, 2)
    with connection.cursor() as cur:
        cur.execute("SELECT epoch FROM tiles_epoch")
        epoch = cur.fetchone()[0]
    memory_on.put("grids", coord, b"tile", '"t"', epoch)
    assert memory_on.get("grids", coord) == (b"tile", '"t"')
    memory_on._listener.close()  # as if the server restarted
    assert memory_on.get("grids", coord) is None  # reconnected, and forgot what it held
    assert memory_on._listener is not None and not memory_on._listener.closed


@pytest.mark.django_db(transaction=True)
def test_memory_keeps_to_its_size_least_recently_used_out(memory_on, settings):
    settings.GRIDATLAS_TILE_MEMORY_BYTES = 64 * 1024
    with connection.cursor() as cur:
        cur.execute("SELECT epoch FROM tiles_epoch")
        epoch = cur.fetchone()[0]
    tile = b"x" * 3000  # under the 1/16 of the memory a single tile may take
    for i in range(30):
        memory_on.put("all", TileCoord(16, i, 0), tile, f'"{i}"', epoch)
        memory_on.get("all", TileCoord(16, 0, 0))  # tile 0 stays the most recently used
    assert memory_on._bytes <= 64 * 1024 and len(memory_on) == 64 * 1024 // 3000
    assert memory_on.get("all", TileCoord(16, 0, 0)) is not None
    assert memory_on.get("all", TileCoord(16, 1, 0)) is None  # the oldest went first
    memory_on.put("all", TileCoord(16, 99, 0), b"x" * 5000, '"big"', epoch)
    assert memory_on.get("all", TileCoord(16, 99, 0)) is None  # over 1/16: not kept
    settings.GRIDATLAS_TILE_MEMORY_BYTES = 0
    assert memory_on.get("all", TileCoord(16, 0, 0)) is None  # off means off

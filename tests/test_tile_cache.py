"""The server-side tile cache: hits, and exact invalidation by database triggers — an edit by
any path purges exactly the cached tiles whose envelope (plus buffer) meets the feature's old or
new extent, at every zoom, for the layers that show it; nothing else."""

import pytest
from django.db import connection

from layers.models import Grid
from tests.demo_city_support import tile_cache_clear
from tests.test_tiles import city_centre, get_tile, tile_of
from tiles.cache import cache_epoch, cache_put, cached_keys
from tiles.coords import TileCoord
from tiles.registry import BUFFER, EXTENT

HALF_WORLD_M = 20037508.342789244


def tile_box(z, x, y):
    """The tile's envelope widened by the clipping buffer, EPSG:3857 (independent of the SQL)."""
    size = 2 * HALF_WORLD_M / 2**z
    pad = size * BUFFER / EXTENT
    x0 = -HALF_WORLD_M + x * size
    y1 = HALF_WORLD_M - y * size
    return x0 - pad, y1 - size - pad, x0 + size + pad, y1 + pad


def meets(a, b):
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def grid_box(grid_id):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
            "(SELECT Box2D(geom_3857) AS b FROM layers_grid WHERE id = %s) s",
            [grid_id],
        )
        return cur.fetchone()


def warm(client, layers, zooms, radius=1):
    """Request every tile around the city centre at these zooms ((2r+1)² blocks)."""
    lon, lat = city_centre()
    for z in zooms:
        _, cx, cy = tile_of(lon, lat, z)
        for layer in layers:
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    get_tile(client, layer, z, cx + dx, cy + dy)


@pytest.mark.django_db
def test_second_request_is_a_cache_hit_with_the_same_bytes(client, tiny_city):
    tile_cache_clear()
    z, x, y = tile_of(*city_centre(), 15)
    first, second = get_tile(client, "all", z, x, y), get_tile(client, "all", z, x, y)
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"]) == ("miss", "hit")
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert ("all", z, x, y) in cached_keys()


@pytest.mark.django_db
def test_empty_tiles_are_cached_too(client, tiny_city):
    tile_cache_clear()
    assert get_tile(client, "grids", 14, 0, 0).status_code == 204
    again = get_tile(client, "grids", 14, 0, 0)
    assert again.status_code == 204 and again["X-Tile-Cache"] == "hit"


@pytest.mark.django_db
def test_an_edit_by_raw_sql_purges_exactly_the_tiles_it_touches(client, tiny_city):
    tile_cache_clear()
    warm(client, ["grids", "all", "buildings", "streets", "communities"], [12, 13, 14, 15, 16])
    before = cached_keys()
    grid = Grid.objects.order_by("code").first()
    old_box = grid_box(grid.id)
    with connection.cursor() as cur:  # not the ORM: the trigger must catch any path
        cur.execute("UPDATE layers_grid SET name = name || '（调整）' WHERE id = %s", [grid.id])
    after = cached_keys()
    shows_grids = {"grids", "communities", "labels", "all"}
    expected_gone = {k for k in before if k[0] in shows_grids and meets(tile_box(*k[1:]), old_box)}
    assert expected_gone, "the warm-up should have cached tiles over this grid"
    assert before - after == expected_gone
    assert any(k[0] == "buildings" for k in after) and any(k[0] == "streets" for k in after)


@pytest.mark.django_db
def test_moving_a_grid_purges_its_old_and_new_places(client, tiny_city):
    tile_cache_clear()
    warm(client, ["grids"], [15, 16], radius=3)
    before = cached_keys()
    grid = Grid.objects.order_by("code").first()
    old_box = grid_box(grid.id)
    with connection.cursor() as cur:  # a freehand redraw, shifted ~800 m east
        cur.execute(
            "UPDATE layers_grid SET geom_source = 'freehand', "
            "geom = ST_Translate(geom, 0.008, 0) WHERE id = %s",
            [grid.id],
        )
    new_box = grid_box(grid.id)
    after = cached_keys()
    gone = before - after
    expected = {
        k for k in before if meets(tile_box(*k[1:]), old_box) or meets(tile_box(*k[1:]), new_box)
    }
    assert gone == expected
    assert (
        any(meets(tile_box(*k[1:]), new_box) and not meets(tile_box(*k[1:]), old_box) for k in gone)
        or new_box == old_box
    )


@pytest.mark.django_db
def test_after_an_edit_the_next_tile_is_fresh(client, tiny_city):
    tile_cache_clear()
    grid = Grid.objects.order_by("code").first()
    p = grid.geom.point_on_surface
    z, x, y = tile_of(p.x, p.y, 16)
    assert get_tile(client, "grids", z, x, y)["X-Tile-Cache"] == "miss"
    grid.name = "新名字网格"
    grid.save()
    fresh = get_tile(client, "grids", z, x, y)
    assert fresh["X-Tile-Cache"] == "miss"
    assert "新名字网格".encode() in fresh.content


@pytest.mark.django_db
def test_a_tile_rendered_before_an_edit_is_not_stored(tiny_city):
    tile_cache_clear()
    epoch = cache_epoch()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE layers_grid SET name = name WHERE id = (SELECT min(id) FROM layers_grid)"
        )
    coord = TileCoord(16, 1, 1)
    assert cache_put(key="grids", coord=coord, data=b"old", etag='"x"', epoch=epoch) is False
    assert cache_put(key="grids", coord=coord, data=b"new", etag='"y"', epoch=cache_epoch())


@pytest.mark.django_db
def test_a_cache_hit_is_one_query(client, tiny_city):
    from django.test.utils import CaptureQueriesContext

    z, x, y = tile_of(*city_centre(), 15)
    get_tile(client, "all", z, x, y)
    with CaptureQueriesContext(connection) as ctx:
        assert get_tile(client, "all", z, x, y)["X-Tile-Cache"] == "hit"
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_a_new_pairing_purges_its_unit_tiles(client, tiny_city):
    from layers.models import Community, Pairing, SentDownUnit

    tile_cache_clear()
    unit = SentDownUnit.objects.order_by("id").first()
    z, x, y = tile_of(unit.geom.x, unit.geom.y, 15)
    get_tile(client, "units", z, x, y)
    get_tile(client, "grids", z, x, y)
    assert ("units", z, x, y) in cached_keys()
    taken = Pairing.objects.filter(unit=unit).values("community")
    community = Community.objects.exclude(pk__in=taken).first()
    Pairing.objects.create(unit=unit, community=community, since="2025-01-01")
    keys = cached_keys()
    assert ("units", z, x, y) not in keys and ("grids", z, x, y) in keys

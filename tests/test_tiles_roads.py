"""The roads tile layer (one catalogue entry plus tiles/sql/roads.sql): named lines, the minor
roads only from z14, in the composite tile, and purged when a road changes."""

import pytest
from django.db import connection

from layers.models import Road
from tests.demo_city_support import tile_cache_clear
from tests.test_tile_cache import meets, tile_box, warm
from tests.test_tiles import city_centre, decode, get_tile, tile_of
from tiles.cache import cached_keys

MAJOR = {"trunk", "primary", "secondary"}


def _roads(client, z: int) -> list[dict]:
    resp = get_tile(client, "roads", *tile_of(*city_centre(), z))
    return [] if resp.status_code == 204 else decode(resp)["roads"]["features"]


@pytest.mark.django_db
def test_roads_are_named_lines_and_minor_roads_wait_for_z14(client, tiny_city):
    near = _roads(client, 15)
    assert near, "the tiny city has roads at its centre"
    assert {f["geometry"]["type"] for f in near} <= {"LineString", "MultiLineString"}
    names = {f["properties"]["name"] for f in near}
    assert names & set(Road.objects.values_list("name", flat=True).exclude(name=""))
    assert {f["properties"]["kind"] for f in near} - MAJOR, "residential roads at z15"
    assert {f["properties"]["kind"] for f in _roads(client, 13)} <= MAJOR
    composite = decode(get_tile(client, "all", *tile_of(*city_centre(), 15)))
    assert len(composite["roads"]["features"]) == len(near)


@pytest.mark.django_db
def test_an_edit_of_a_road_purges_its_tiles(client, tiny_city):
    tile_cache_clear()
    road_id = _roads(client, 15)[0]["id"]  # a road at the centre: the warm-up caches its tiles
    warm(client, ["roads", "all", "grids"], [14, 15])
    before = cached_keys()
    with connection.cursor() as cur:  # not the ORM: the trigger must catch any path
        cur.execute("UPDATE layers_road SET name = name || '（改）' WHERE id = %s", [road_id])
        cur.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
            " (SELECT Box2D(geom_3857) AS b FROM layers_road WHERE id = %s) s",
            [road_id],
        )
        box = cur.fetchone()
    gone = before - cached_keys()
    assert gone, "the road's cached tiles are purged"
    assert gone == {k for k in before if k[0] in {"roads", "all"} and meets(tile_box(*k[1:]), box)}

"""Vector tiles: decoded with mapbox-vector-tile on the tiny demo city; one statement per tile;
HTTP semantics (204, 304, 400, 404); TileJSON; the style validated by MapLibre's own validator;
GDAL reading a tile over HTTP."""

import json
import math
import subprocess
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from layers.models import Grid
from tests.demo_city_support import city_loaded, plan_make, tile_cache_clear
from tiles.registry import EXTENT, LAYERS

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = {"phone", "worker", "worker_name"}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    r = math.radians(lat)
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)


def city_centre() -> tuple[float, float]:
    g = Grid.objects.order_by("code").first().geom.point_on_surface
    return g.x, g.y


def get_tile(client, layer, z, x, y, **headers):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers=headers)


def decode(resp) -> dict:
    assert resp.status_code == 200, resp.content[:200]
    assert resp["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(resp.content)


@pytest.mark.django_db
def test_composite_tile_holds_every_layer_with_attributes(client, tiny_city):
    z, x, y = tile_of(*city_centre(), 15)
    layers = decode(get_tile(client, "all", z, x, y))
    for key in ("streets", "communities", "grids", "microgrids", "buildings", "labels"):
        assert layers.get(key, {}).get("features"), key
    grid = layers["grids"]["features"][0]
    assert set(grid["properties"]) >= {"code", "name", "households", "building_count", "load"}
    assert grid["properties"]["load"] in {"under", "ok", "over"}
    assert isinstance(grid["id"], int)
    codes = {f["properties"]["code"] for f in layers["grids"]["features"]}
    assert codes <= set(Grid.objects.values_list("code", flat=True))
    for layer in layers.values():
        for f in layer["features"]:
            assert not PERSONAL & set(f["properties"]), "personal data in a public tile"


@pytest.mark.django_db
def test_geometry_stays_in_the_tile_extent_plus_buffer(client, tiny_city):
    z, x, y = tile_of(*city_centre(), 15)
    layers = decode(get_tile(client, "all", z, x, y))
    lo, hi = -64, EXTENT + 64
    for layer in layers.values():
        for f in layer["features"]:
            coords = json.dumps(f["geometry"]["coordinates"])
            nums = [float(v) for v in coords.replace("[", " ").replace("]", " ").split(",")]
            assert all(lo <= v <= hi for v in nums), layer


@pytest.mark.django_db
def test_a_composite_tile_is_one_statement(client, tiny_city):
    z, x, y = tile_of(*city_centre(), 15)
    with CaptureQueriesContext(connection) as ctx:
        assert get_tile(client, "all", z, x, y).status_code == 200
    mvt = [q["sql"] for q in ctx.captured_queries if "ST_AsMVT(" in q["sql"]]
    assert len(mvt) == 1
    assert mvt[0].count("ST_AsMVT(") == len(LAYERS)


@pytest.mark.django_db
def test_buildings_only_at_their_zooms_and_small_ones_dropped(client, tiny_city):
    lon, lat = city_centre()
    low = decode(get_tile(client, "all", *tile_of(lon, lat, 12)))
    assert "buildings" not in low and "streets" in low
    z, x, y = tile_of(lon, lat, 14)
    kept = len(decode(get_tile(client, "buildings", z, x, y))["buildings"]["features"])
    assert kept > 0
    # Raise the pixel threshold so every footprint is "small": the layer empties.
    big = {**LAYERS, "buildings": replace(LAYERS["buildings"], min_pixels=1e9)}
    tile_cache_clear()
    with patch.dict("tiles.registry.LAYERS", big):
        assert get_tile(client, "buildings", z, x, y).status_code == 204


@pytest.mark.django_db
def test_labels_are_one_point_per_feature(client, tiny_city):
    lon, lat = city_centre()
    z = 15
    _, cx, cy = tile_of(lon, lat, z)
    seen: dict = {}
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            resp = get_tile(client, "labels", z, cx + dx, cy + dy)
            if resp.status_code == 204:
                continue
            for f in decode(resp)["labels"]["features"]:
                key = (f["properties"]["kind"], f["properties"]["code"])
                seen[key] = seen.get(key, 0) + 1
                assert f["geometry"]["type"] == "Point"
    assert seen and max(seen.values()) == 1


@pytest.mark.django_db
def test_empty_out_of_range_and_bad_requests(client, tiny_city):
    assert get_tile(client, "grids", 14, 0, 0).status_code == 204  # far from the city
    assert get_tile(client, "grids", 17, 0, 0).status_code == 404  # above maxzoom: overzoom
    assert get_tile(client, "nope", 14, 0, 0).status_code == 404
    bad = get_tile(client, "grids", "a", 0, 0)
    assert bad.status_code == 400 and "whole numbers" in bad.json()["error"]
    assert get_tile(client, "grids", 3, 8, 0).status_code == 404  # x outside the grid at z3
    assert get_tile(client, "grids", -1, 0, 0).status_code == 404


@pytest.mark.django_db
def test_etag_and_304(client, tiny_city):
    z, x, y = tile_of(*city_centre(), 15)
    first = get_tile(client, "grids", z, x, y)
    etag = first["ETag"]
    assert etag.startswith('"') and "max-age" in first["Cache-Control"]
    again = get_tile(client, "grids", z, x, y, If_None_Match=etag)
    assert again.status_code == 304 and again.content == b""


@pytest.mark.django_db
def test_size_cap_drops_layers_and_says_so(client, tiny_city):
    z, x, y = tile_of(*city_centre(), 15)
    full = get_tile(client, "all", z, x, y)
    tile_cache_clear()
    with override_settings(GRIDATLAS_TILE_MAX_BYTES=len(full.content) // 2):
        capped = get_tile(client, "all", z, x, y)
    dropped = capped["X-Tile-Dropped-Layers"].split(",")
    assert dropped[0] == "buildings"  # the lowest priority goes first
    assert len(capped.content) <= len(full.content) // 2
    assert not set(dropped) & set(decode(capped))


@pytest.mark.django_db
def test_tilejson_describes_every_layer(client, tiny_city):
    doc = client.get("/tiles/all.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert {v["id"] for v in doc["vector_layers"]} == set(LAYERS)
    assert doc["tiles"][0].startswith("http://testserver/tiles/all/{z}/{x}/{y}.mvt?v=")
    w, s, e, n = doc["bounds"]
    assert 113 < w < e < 116 and 29 < s < n < 32
    grids = client.get("/tiles/grids.json").json()
    assert [v["id"] for v in grids["vector_layers"]] == ["grids"]
    assert client.get("/tiles/nope.json").status_code == 404


@pytest.mark.django_db
def test_style_passes_maplibre_validator_and_needs_no_internet(client, tiny_city, tmp_path):
    body = client.get("/tiles/style.json").content.decode()
    assert "https://" not in body and "sprite" not in json.loads(body)
    path = tmp_path / "style.json"
    path.write_text(body, encoding="utf-8")
    validator = ROOT / "node_modules" / ".bin" / "gl-style-validate"
    result = subprocess.run([str(validator), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    groups = {la["metadata"]["gridatlas:group"] for la in json.loads(body)["layers"][1:]}
    assert groups == set(LAYERS)


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_a_tile_over_http(live_server, django_db_blocker):
    plan = plan_make(scale="tiny", seed=1)
    with city_loaded(django_db_blocker, plan):
        z, x, y = tile_of(*city_centre(), 14)
        url = f"MVT:{live_server.url}/tiles/grids/{z}/{x}/{y}.mvt"
        out = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", url], capture_output=True, text=True, timeout=60
        )
    assert out.returncode == 0, out.stderr
    assert "Layer name: grids" in out.stdout
    count = int(out.stdout.split("Feature Count:")[1].split()[0])
    assert count > 0


@pytest.mark.django_db(transaction=True)  # autocommit, as a tile request runs
def test_statement_timeout_is_a_503_and_stays_with_the_tile(client, django_db_blocker, settings):
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        z, x, y = tile_of(*city_centre(), 15)
        settings.GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS = 1  # no composite tile is cut in 1 ms
        r = get_tile(client, "all", z, x, y)
        assert r.status_code == 503 and "took over 1 ms" in r.json()["error"]
        # SET LOCAL ended with the tile's statement: the session keeps its own timeout.
        with connection.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] != "1ms"
        settings.GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS = 5000
        assert get_tile(client, "all", z, x, y).status_code == 200

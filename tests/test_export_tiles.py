"""export_tiles: the tiny demo city written as PMTiles and MBTiles, read back with the pmtiles
reader and sqlite3, and compared tile by tile with what the tile endpoint serves; the command's
refusals; a failed export leaves nothing behind."""

import gzip
import io
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import mapbox_vector_tile
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import override_settings
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from geo.errors import Unavailable
from tests.demo_city_support import city_truncate, tile_cache_clear
from tests.test_tiles import city_centre, get_tile, tile_of
from tiles.export import threaded_map
from tiles.registry import LAYERS
from tiles.render import tile_render
from tiles.tilejson import ATTRIBUTION

SUMMARY = re.compile(r"(\d+) tiles written, (\d+) empty tiles skipped, (\d+) bytes")


@dataclass
class Exported:
    pmtiles: Path
    mbtiles: Path
    header: dict
    metadata: dict
    tiles: dict  # (z, x, y) -> gzip-compressed MVT, from the PMTiles file
    written: int  # as the command's summary line says
    skipped: int


def export(*args: str, **kwargs) -> tuple[int, int, int]:
    """Run the command; the counts from its summary line (written, skipped, bytes)."""
    out = io.StringIO()
    call_command("export_tiles", *args, stdout=out, verbosity=0, **kwargs)
    match = SUMMARY.search(out.getvalue())
    assert match, out.getvalue()
    return tuple(int(g) for g in match.groups())


def pmtiles_read(path: Path) -> tuple[dict, dict, dict]:
    with open(path, "rb") as f:
        reader = Reader(MmapSource(f))
        tiles = {zxy: bytes(data) for zxy, data in all_tiles(reader.get_bytes)}
        return reader.header(), reader.metadata(), tiles


def mvt(data: bytes) -> dict:
    return mapbox_vector_tile.decode(gzip.decompress(data))


@pytest.fixture(scope="module")
def exported(tiny_city, django_db_blocker, tmp_path_factory) -> Exported:
    """Both formats with the defaults (composite, z8–14, 2 workers), rendered cold."""
    out = tmp_path_factory.mktemp("export")
    with django_db_blocker.unblock():
        tile_cache_clear()
        written, skipped, size = export("--format", "pmtiles", "--output", str(out / "c.pmtiles"))
        export("--format", "mbtiles", "--output", str(out / "c.mbtiles"))
    assert size == (out / "c.pmtiles").stat().st_size
    header, metadata, tiles = pmtiles_read(out / "c.pmtiles")
    return Exported(out / "c.pmtiles", out / "c.mbtiles", header, metadata, tiles, written, skipped)


def centre_tile(z: int) -> tuple[int, int, int]:
    return tile_of(*city_centre(), z)


def test_pmtiles_header_says_gzipped_mvt_clustered_z8_to_z14(exported):
    h = exported.header
    assert h["tile_type"] == TileType.MVT
    assert h["tile_compression"] == Compression.GZIP
    assert h["internal_compression"] == Compression.GZIP
    assert h["clustered"], "tiles must be written in tile-id order"
    assert (h["min_zoom"], h["max_zoom"]) == (8, 14)
    assert h["addressed_tiles_count"] == len(exported.tiles) == exported.written
    assert {z for z, _, _ in exported.tiles} == set(range(8, 15))


@pytest.mark.django_db
def test_pmtiles_bounds_and_centre_contain_the_city(exported):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM layers_grid) s"
        )
        west, south, east, north = cur.fetchone()
    h = exported.header
    assert h["min_lon_e7"] / 1e7 <= west and east <= h["max_lon_e7"] / 1e7
    assert h["min_lat_e7"] / 1e7 <= south and north <= h["max_lat_e7"] / 1e7
    assert h["min_lon_e7"] < h["center_lon_e7"] < h["max_lon_e7"]
    assert h["min_lat_e7"] < h["center_lat_e7"] < h["max_lat_e7"]
    assert 8 <= h["center_zoom"] <= 14


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("z", "present", "absent"),
    [
        (10, {"streets", "communities", "labels"}, {"grids", "buildings"}),
        (12, {"streets", "communities", "grids"}, {"buildings", "microgrids"}),
        (14, {"grids", "microgrids", "compounds", "buildings"}, set()),
    ],
)
def test_exported_tiles_equal_what_the_endpoint_serves(client, exported, z, present, absent):
    zxy = centre_tile(z)
    data = exported.tiles[zxy]
    resp = get_tile(client, "all", *zxy)
    assert resp.status_code == 200
    assert gzip.decompress(data) == resp.content
    layers = mvt(data)
    assert present <= set(layers), set(layers)
    assert not absent & set(layers)


def test_every_exported_tile_holds_features(exported):
    for zxy, data in exported.tiles.items():
        assert any(layer["features"] for layer in mvt(data).values()), zxy


def test_metadata_lists_the_registry_layers_narrowed_to_the_file(exported):
    meta = exported.metadata
    assert meta["attribution"] == ATTRIBUTION
    assert meta["format"] == "pbf"
    layers = {vl["id"]: vl for vl in meta["vector_layers"]}
    assert list(layers) == list(LAYERS)
    assert (layers["buildings"]["minzoom"], layers["buildings"]["maxzoom"]) == (14, 14)
    assert (layers["streets"]["minzoom"], layers["streets"]["maxzoom"]) == (8, 14)
    assert layers["grids"]["fields"] == LAYERS["grids"].fields


def mbtiles_read(path: Path) -> tuple[dict, dict]:
    db = sqlite3.connect(path)
    try:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        tiles = {
            (z, x, row): data
            for z, x, row, data in db.execute(
                "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
            )
        }
        indexes = {(name, unique) for _, name, unique, *_ in db.execute("PRAGMA index_list(tiles)")}
        assert ("tile_index", 1) in indexes, indexes
    finally:
        db.close()
    return meta, tiles


def test_mbtiles_metadata_follows_the_spec(exported):
    meta, _ = mbtiles_read(exported.mbtiles)
    assert meta["format"] == "pbf"
    assert (meta["minzoom"], meta["maxzoom"]) == ("8", "14")
    assert meta["name"] == exported.metadata["name"]
    bounds = [float(v) for v in meta["bounds"].split(",")]
    assert bounds == pytest.approx(exported.metadata["bounds"])
    lon, lat, z = (float(v) for v in meta["center"].split(","))
    assert bounds[0] < lon < bounds[2] and bounds[1] < lat < bounds[3] and 8 <= z <= 14
    vector_layers = json.loads(meta["json"])["vector_layers"]
    assert vector_layers == exported.metadata["vector_layers"]


def test_mbtiles_rows_are_tms_flipped_and_hold_the_pmtiles_tiles(exported):
    _, rows = mbtiles_read(exported.mbtiles)
    assert len(rows) == len(exported.tiles)
    for (z, x, y), data in exported.tiles.items():
        assert gzip.decompress(rows[(z, x, 2**z - 1 - y)]) == gzip.decompress(data)
    z, x, y = max(exported.tiles)
    assert (z, x, y) not in rows, "tile_row must count from the south (TMS)"


def test_gdal_reads_the_mbtiles_file(exported):
    # An independent reader: GDAL's MBTiles driver needs the metadata json, the TMS rows and
    # the gzip-compressed pbf to be as the spec says.
    out = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(exported.mbtiles)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "ZOOM_LEVEL=14" in out.stdout
    assert re.findall(r"Layer name: (\w+)", out.stdout) == list(LAYERS)
    buildings = out.stdout.split("Layer name: buildings")[1]
    assert int(buildings.split("Feature Count:")[1].split()[0]) > 0


@pytest.mark.django_db
def test_zooms_below_every_layer_are_skipped_as_empty(tiny_city, tmp_path):
    out = tmp_path / "streets.mbtiles"
    args = ("--format", "mbtiles", "--output", str(out), "--layer", "streets")
    written, skipped, _ = export(*args, "--minzoom", "5", "--maxzoom", "9")
    meta, rows = mbtiles_read(out)
    assert skipped >= 3  # at least one tile at each of z5, z6, z7
    assert written == len(rows) > 0
    assert {z for z, _, _ in rows} == {8, 9}
    assert (meta["minzoom"], meta["maxzoom"]) == ("8", "9")
    assert [vl["id"] for vl in json.loads(meta["json"])["vector_layers"]] == ["streets"]


@pytest.mark.django_db
def test_a_single_layer_export_holds_only_that_layer(tiny_city, tmp_path):
    out = tmp_path / "b.pmtiles"
    export("--format", "pmtiles", "--output", str(out), "--layer", "buildings")
    header, metadata, tiles = pmtiles_read(out)
    assert (header["min_zoom"], header["max_zoom"]) == (14, 14)
    assert [vl["id"] for vl in metadata["vector_layers"]] == ["buildings"]
    assert tiles and all(set(mvt(d)) == {"buildings"} for d in tiles.values())


@pytest.mark.django_db
def test_the_number_of_workers_changes_nothing_in_the_file(exported, tmp_path):
    for workers in ("1", "4"):
        out = tmp_path / f"w{workers}.pmtiles"
        export("--format", "pmtiles", "--output", str(out), "--workers", workers)
        assert out.read_bytes() == exported.pmtiles.read_bytes(), workers


@pytest.mark.django_db
def test_oversized_tiles_are_exported_whole_and_named(client, exported, tmp_path):
    zxy = centre_tile(14)
    out, err = tmp_path / "o.pmtiles", io.StringIO()
    with override_settings(GRIDATLAS_TILE_MAX_BYTES=1_000):
        export("--format", "pmtiles", "--output", str(out), stderr=err)
        served = get_tile(client, "all", *zxy)
    assert "buildings" in served["X-Tile-Dropped-Layers"]  # the server caps this tile
    assert "over GRIDATLAS_TILE_MAX_BYTES" in err.getvalue()
    assert "{}/{}/{}".format(*zxy) in err.getvalue()
    _, _, tiles = pmtiles_read(out)
    assert tiles[zxy] == exported.tiles[zxy]  # the whole tile, every layer
    assert "buildings" in mvt(tiles[zxy])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layer", "parcels"], "no tile layer 'parcels': choose one of all, streets"),
        (["--minzoom", "13", "--maxzoom", "10"], "--minzoom 13 is above --maxzoom 10"),
        (["--maxzoom", "17"], "cut down to zoom 16: use --maxzoom 16 or lower"),
        (["--minzoom", "-1"], "below 0"),
        (["--layer", "buildings", "--minzoom", "0", "--maxzoom", "10"], "starts at zoom 14"),
        (["--workers", "0"], "at least 1"),
        (["--output", "{tmp}/missing/c.pmtiles"], "does not exist: create it first"),
        (["--output", "{tmp}"], "is a directory: give a file name"),
        (["--output", "{tmp}/c.mbtiles"], "ends in .mbtiles but --format is pmtiles"),
    ],
)
def test_the_command_refuses_a_bad_request_and_writes_nothing(tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    if "--output" not in args:
        args += ["--output", str(tmp_path / "c.pmtiles")]
    # No database marker: a bad request is refused before any query.
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_tiles", "--format", "pmtiles", *args, verbosity=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pmtiles", "mbtiles"])
def test_a_failed_export_leaves_the_previous_file_as_it_was(exported, tmp_path, fmt):
    out = tmp_path / f"c.{fmt}"
    out.write_bytes(b"previous export")

    def timeout_at_z14(*, coord, layers, droppable):
        if coord.z == 14:  # after the lower zooms are in the file
            raise Unavailable(f"tile {coord.z}/{coord.x}/{coord.y} took over 5000 ms")
        return tile_render(coord=coord, layers=layers, droppable=droppable)

    threads_before = threading.active_count()
    with (
        patch("tiles.export.tile_render", timeout_at_z14),
        pytest.raises(CommandError, match="GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS=") as exc,
    ):
        export("--format", fmt, "--output", str(out))
    assert "wrote nothing" in str(exc.value)
    assert out.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [out], "the temporary file must be removed"
    assert threading.active_count() == threads_before, "rendering threads left running"


@pytest.mark.django_db
def test_the_progress_bar_works_when_output_is_not_a_tty(exported, tmp_path, capsys):
    out, stdout = tmp_path / "p.mbtiles", io.StringIO()
    call_command("export_tiles", "--format", "mbtiles", "--output", str(out), stdout=stdout)
    assert not sys.stderr.isatty()
    total = exported.written + exported.skipped
    err = capsys.readouterr().err
    assert f"{total}/{total}" in err and "100%" in err
    assert SUMMARY.search(stdout.getvalue()).group(1) == str(exported.written)
    assert len(mbtiles_read(out)[1]) == exported.written


def test_threaded_map_yields_in_the_jobs_order():
    def slow_for_some(job: int) -> int:
        time.sleep((job * 7 % 5) / 1000)  # later jobs often finish first
        return job * 10

    assert list(threaded_map(list(range(60)), work=slow_for_some, workers=4)) == [
        job * 10 for job in range(60)
    ]


def test_threaded_map_stops_at_the_first_error():
    calls = []

    def fails_at_5(job: int) -> int:
        calls.append(job)
        if job == 5:
            raise ValueError("job 5")
        time.sleep(0.001)
        return job

    with pytest.raises(ValueError, match="job 5"):
        list(threaded_map(list(range(10_000)), work=fails_at_5, workers=2))
    assert len(calls) < 100, "the threads went on rendering after the error"


@pytest.mark.django_db
def test_an_empty_database_is_refused(tiny_city, tmp_path):
    city_truncate()  # inside the test's transaction: rolled back afterwards
    with pytest.raises(CommandError, match="holds no city.*build_demo_city"):
        export("--format", "pmtiles", "--output", str(tmp_path / "c.pmtiles"))
    assert list(tmp_path.iterdir()) == []

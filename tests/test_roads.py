"""load_roads: lines from GeoJSON, GeoPackage and Shapefile through GDAL, turned into lon/lat,
loaded all or nothing, and refused with a reason a user can act on."""

import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pyproj import Transformer

from geo.srid import STORAGE_SRID, WEB_MERCATOR_SRID, metric_srid
from layers.models import Road

pytestmark = pytest.mark.django_db

# Two roads near central Wuhan, in lon/lat: a primary road and an expressway.
ROADS_LONLAT = [
    ("解放大道", "primary", [(114.30, 30.59), (114.31, 30.60)]),
    ("长江隧道", "motorway", [(114.30, 30.60), (114.305, 30.595), (114.31, 30.59)]),
]


def geojson_write(path: Path, features: list[dict], *, srid: int | None = None) -> Path:
    doc = {"type": "FeatureCollection", "features": features}
    if srid is not None:  # the GeoJSON 2008 `crs` member, which GDAL still reads
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def line_features(*, srid: int = STORAGE_SRID) -> list[dict]:
    tr = Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)
    return [
        {
            "type": "Feature",
            "properties": {"name": name, "highway": kind},
            "geometry": {"type": "LineString", "coordinates": [tr.transform(*c) for c in coords]},
        }
        for name, kind, coords in ROADS_LONLAT
    ]


def ogr2ogr(*args: str) -> None:
    subprocess.run(["ogr2ogr", *args], check=True, capture_output=True)


def assert_loaded_as_lonlat() -> None:
    roads = {r.name: r for r in Road.objects.all()}
    assert set(roads) == {"解放大道", "长江隧道"}
    for name, _kind, coords in ROADS_LONLAT:
        got = roads[name].geom
        assert got.srid == STORAGE_SRID and got.geom_type == "MultiLineString"
        for (x, y), (gx, gy) in zip(coords, got[0].coords, strict=True):
            # 1e-7 degrees is about a centimetre.
            assert abs(gx - x) < 1e-7 and abs(gy - y) < 1e-7, (name, gx, gy)
    assert (roads["解放大道"].kind, roads["解放大道"].walkable) == ("primary", True)
    assert (roads["长江隧道"].kind, roads["长江隧道"].walkable) == ("trunk", False)


def test_geojson_loads_names_kinds_and_walkability(tmp_path, capsys):
    path = geojson_write(tmp_path / "roads.geojson", line_features())
    call_command("load_roads", str(path))
    assert_loaded_as_lonlat()
    assert "Loaded 2 roads" in capsys.readouterr().out


def test_geopackage_in_gauss_kruger_is_turned_into_lonlat(tmp_path):
    # EPSG:4547 lists northing before easting: a reader that followed the official axis order
    # would swap x and y and land in the Indian Ocean.
    src = geojson_write(tmp_path / "src.geojson", line_features())
    gpkg = tmp_path / "roads.gpkg"
    ogr2ogr("-f", "GPKG", "-t_srs", f"EPSG:{metric_srid()}", "-nln", "roads", str(gpkg), str(src))
    call_command("load_roads", str(gpkg))
    assert_loaded_as_lonlat()


def test_web_mercator_geojson_is_turned_into_lonlat(tmp_path):
    path = geojson_write(
        tmp_path / "roads_3857.geojson",
        line_features(srid=WEB_MERCATOR_SRID),
        srid=WEB_MERCATOR_SRID,
    )
    call_command("load_roads", str(path))
    assert_loaded_as_lonlat()


def test_a_file_with_no_crs_is_refused_unless_srid_is_given(tmp_path):
    src = geojson_write(tmp_path / "src.geojson", line_features(srid=metric_srid()))
    shp = tmp_path / "roads.shp"
    ogr2ogr(
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=UTF-8",
        "-a_srs",
        f"EPSG:{metric_srid()}",
        str(shp),
        str(src),
    )
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match="declares no coordinate system.*--srid"):
        call_command("load_roads", str(shp))
    assert Road.objects.count() == 0
    call_command("load_roads", str(shp), srid=metric_srid())
    assert_loaded_as_lonlat()


def test_metres_declared_as_lonlat_are_refused(tmp_path):
    # GeoJSON with no `crs` member is lon/lat by definition (RFC 7946): projected numbers in it
    # are the commonest wrong-CRS mistake.
    path = geojson_write(tmp_path / "metres.geojson", line_features(srid=metric_srid()))
    with pytest.raises(CommandError, match="feature 1 .*not longitude/latitude in China"):
        call_command("load_roads", str(path))


def test_a_polygon_is_refused_naming_its_feature(tmp_path):
    square = [[[114.30, 30.59], [114.31, 30.59], [114.31, 30.60], [114.30, 30.59]]]
    features = line_features() + [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": square},
        }
    ]
    path = geojson_write(tmp_path / "mixed.geojson", features)
    with pytest.raises(CommandError, match=r"feature 3 \(fid 2\) is a Polygon: .* lines"):
        call_command("load_roads", str(path))
    assert Road.objects.count() == 0


def test_a_failed_load_leaves_the_roads_as_they_were(tmp_path, monkeypatch):
    call_command("load_roads", str(geojson_write(tmp_path / "ok.geojson", line_features())))
    before = sorted(Road.objects.values_list("id", "name"))
    # A bad feature at the end of the file: refused before the table is touched.
    bad = line_features()
    bad[-1]["properties"]["highway"] = "canal"
    with pytest.raises(CommandError, match="feature 2 .*unknown road kind 'canal'"):
        call_command("load_roads", str(geojson_write(tmp_path / "bad.geojson", bad)), replace=True)
    assert sorted(Road.objects.values_list("id", "name")) == before
    # A write that fails after --replace deleted the old roads: the delete is undone too.
    from django.db import DatabaseError

    def broken_insert(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Road.objects, "bulk_create", broken_insert)
    with pytest.raises(DatabaseError, match="disk full"):
        call_command("load_roads", str(tmp_path / "ok.geojson"), replace=True)
    assert sorted(Road.objects.values_list("id", "name")) == before


def test_replace_and_append(tmp_path):
    path = geojson_write(tmp_path / "roads.geojson", line_features())
    call_command("load_roads", str(path))
    call_command("load_roads", str(path))
    assert Road.objects.count() == 4
    call_command("load_roads", str(path), replace=True)
    assert Road.objects.count() == 2


@pytest.mark.parametrize(
    "geometry, message",
    [
        (None, "feature 2 .*has no geometry"),
        ({"type": "LineString", "coordinates": [[114.3, 30.59], [114.3, 30.59]]}, "not valid"),
    ],
    ids=["null", "one point"],
)
def test_a_missing_or_degenerate_line_is_refused(tmp_path, geometry, message):
    features = line_features()
    features[1]["geometry"] = geometry
    with pytest.raises(CommandError, match=message):
        call_command("load_roads", str(geojson_write(tmp_path / "bad.geojson", features)))
    assert Road.objects.count() == 0


def test_layers_and_fields_are_chosen_by_name(tmp_path):
    src = geojson_write(tmp_path / "src.geojson", line_features())
    gpkg = tmp_path / "two.gpkg"
    ogr2ogr("-f", "GPKG", "-nln", "roads", str(gpkg), str(src))
    ogr2ogr("-f", "GPKG", "-update", "-nln", "other", str(gpkg), str(src))
    with pytest.raises(CommandError, match="has 2 layers .*--layer"):
        call_command("load_roads", str(gpkg))
    with pytest.raises(CommandError, match="no layer 'rivers'"):
        call_command("load_roads", str(gpkg), layer="rivers")
    with pytest.raises(CommandError, match="--kind-field class: the layer has no such field"):
        call_command("load_roads", str(gpkg), layer="roads", kind_field="class")
    call_command("load_roads", str(gpkg), layer="roads", name_field="highway")
    assert sorted(Road.objects.values_list("name", flat=True)) == ["motorway", "primary"]


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_roads", str(tmp_path / "nope.geojson"))

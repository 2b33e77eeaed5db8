"""import_layer over a corpus of real-shaped files built by the tests: a GBK Shapefile in a
Gauss-Krüger zone, a GCJ-02 CSV, a KML, XLSX sheets with Chinese headers, a GeoPackage, and the
field mapping. Each import is checked in the database, and a second run of the same file updates
instead of duplicating."""

import pytest
from django.contrib.gis.geos import Point

from geo.srid import STORAGE_SRID, metric_srid
from layers.models import Building, GeomSource, Grid, Pairing, SentDownUnit, ServiceStation
from layers.services.layer_import import layer_import
from tests import import_corpus as corpus
from tests.factories import COMMUNITY_CODE, box, hierarchy_make, lonlat

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return hierarchy_make()


def metres_apart(a: Point, b: Point) -> float:
    return a.transform(metric_srid(), clone=True).distance(b.transform(metric_srid(), clone=True))


def test_gbk_shapefile_in_gauss_kruger_zone_imports_and_reimports(community, tmp_path):
    path = corpus.shapefile_zip(corpus.building_frame(3), tmp_path, epsg=corpus.GK_ZONE_38_PREFIXED)
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    assert (report.created, report.updated, report.written) == (3, 0, True)
    assert report.encoding == "gb18030"
    assert report.crs == f"EPSG:{corpus.GK_ZONE_38_PREFIXED}"
    b = Building.objects.get(code=f"{COMMUNITY_CODE}0002")
    assert (b.name, b.households, b.floors, b.units) == ("幸福家园2栋", 32, 6, 1)
    assert b.community_id == community.id  # the parent read from the code's prefix
    expected = box(60, 20, 80, 30).centroid
    assert metres_apart(b.geom.centroid, expected) < 0.01

    # Idempotent: nothing created, nothing rewritten (no history event, no new updated_at).
    stamp = b.updated_at
    again = layer_import(layer="buildings", path=path, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Building.objects.count() == 3
    b.refresh_from_db()
    assert b.updated_at == stamp
    # A changed row is updated by its code, not duplicated.
    frame = corpus.building_frame(3)
    frame.loc[1, "户数"] = 99
    changed = corpus.shapefile_zip(frame, tmp_path, name="changed", epsg=corpus.GK_ZONE_38_PREFIXED)
    third = layer_import(layer="buildings", path=changed, dry_run=False)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    b.refresh_from_db()
    assert b.households == 99 and Building.objects.count() == 3


def test_prj_without_zone_prefix_over_prefixed_eastings_is_corrected(community, tmp_path):
    # The .prj says "CM 114E" (false easting 500 000) but the eastings carry the zone number 38.
    frame = corpus.building_frame(1).to_crs(epsg=corpus.GK_ZONE_38_PREFIXED)
    frame = frame.set_crs(epsg=corpus.GK_CM_114E, allow_override=True)
    path = corpus.shapefile_zip(frame, tmp_path)
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    assert any("zone prefix 38" in n for n in report.notes)
    b = Building.objects.get()
    assert metres_apart(b.geom.centroid, box(20, 20, 40, 30).centroid) < 0.01


def test_gcj02_csv_of_stations_is_converted_to_wgs84(community, tmp_path):
    path = corpus.gcj02_stations_csv(tmp_path / "stations.csv", [("幸福驿站", 100, 100)])
    report = layer_import(layer="stations", path=path, crs="gcj02", dry_run=False)
    assert report.errors == [], report.as_text()
    assert report.encoding == "gb18030"
    station = ServiceStation.objects.get()
    assert (station.name, station.level, station.community_id) == (
        "幸福驿站",
        ServiceStation.Level.COMMUNITY,
        community.id,
    )
    assert station.street_id == community.street_id  # from the community code's prefix
    truth = Point(*lonlat(100, 100), srid=STORAGE_SRID)
    assert metres_apart(station.geom, truth) < 0.05


def test_gcj02_csv_without_declaring_lands_hundreds_of_metres_off(community, tmp_path):
    # Nothing in the data says GCJ-02: undeclared it is taken as WGS84, and the report says so.
    path = corpus.gcj02_stations_csv(tmp_path / "stations.csv", [("幸福驿站", 100, 100)])
    report = layer_import(layer="stations", path=path, dry_run=False)
    assert any("gcj02" in n for n in report.notes)
    truth = Point(*lonlat(100, 100), srid=STORAGE_SRID)
    assert metres_apart(ServiceStation.objects.get().geom, truth) > 100


def test_kml_grids_are_stored_freehand(community, tmp_path):
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {
            "Name": ["第一网格", "第二网格"],
            "code": [f"{COMMUNITY_CODE}001", f"{COMMUNITY_CODE}002"],
            "geometry": [
                corpus.shape(box(0, 0, 200, 200)),
                corpus.shape(box(200, 0, 400, 200)),
            ],
        },
        crs=f"EPSG:{STORAGE_SRID}",
    )
    path = corpus.kml(frame, tmp_path / "grids.kml")
    # Without parcels built at import (tests/test_import_real_files.py has those).
    report = layer_import(layer="grids", path=path, dry_run=False, parcelise=False)
    assert report.errors == [], report.as_text()
    grids = list(Grid.objects.order_by("code"))
    assert [g.name for g in grids] == ["第一网格", "第二网格"]
    assert {g.geom_source for g in grids} == {GeomSource.FREEHAND}
    assert grids[0].community_id == community.id
    assert grids[0].geom.num_geom == 1 and grids[0].geom.valid


def test_xlsx_with_chinese_headers_units_then_pairings(community, tmp_path):
    units = corpus.xlsx(
        tmp_path / "units.xlsx",
        ["单位名称", "单位类型", "地址", "经度", "纬度"],
        [["市税务局", "党政机关", "解放大道1号", *lonlat(50, 50)]],
    )
    report = layer_import(layer="units", path=units, dry_run=False)
    assert report.errors == [], report.as_text()
    assert SentDownUnit.objects.get().kind == SentDownUnit.Kind.AGENCY
    pairings = corpus.xlsx(
        tmp_path / "pairings.xlsx",
        ["下沉单位", "结对社区", "结对时间", "报到党员", "共建项目"],
        [["市税务局", int(COMMUNITY_CODE), "2024-03-01", 42, "关爱老人"]],
    )
    report = layer_import(layer="pairings", path=pairings, dry_run=False)
    assert report.errors == [], report.as_text()
    pairing = Pairing.objects.get()
    assert (pairing.community_id, pairing.registered_members, str(pairing.since)) == (
        community.id,
        42,
        "2024-03-01",
    )
    again = layer_import(layer="pairings", path=pairings, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_geopackage_with_field_map(community, tmp_path):
    frame = corpus.building_frame(2).rename(columns={"楼栋编码": "BM", "名称": "MC", "户数": "HS"})
    path = tmp_path / "b.gpkg"
    frame.to_file(path, driver="GPKG")
    report = layer_import(
        layer="buildings",
        path=path,
        field_map={"BM": "code", "MC": "name", "HS": "households"},
        dry_run=False,
    )
    assert report.errors == [], report.as_text()
    assert sorted(Building.objects.values_list("households", flat=True)) == [31, 32]


def test_dry_run_reports_counts_and_writes_nothing(community, tmp_path):
    path = corpus.geojson(corpus.building_frame(3), tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=True)
    assert (report.created, report.written, report.errors) == (3, False, [])
    assert not Building.objects.exists()


@pytest.mark.parametrize("bulk_min_rows", [1, 1_000_000], ids=["bulk", "per-statement"])
def test_totals_and_history_are_derived_on_both_paths(community, tmp_path, settings, bulk_min_rows):
    # Bulk imports turn the totals triggers off and derive once (layers/io/sql/bulk_totals.sql):
    # both paths must leave the same parcels, grids, micro-grids and history.
    from django.apps import apps

    from tests.factories import grid_make, microgrid_make, parcel_make

    settings.GRIDATLAS_IMPORT_BULK_MIN_ROWS = bulk_min_rows
    grid = grid_make(community=community, seq=1)
    micro = microgrid_make(grid=grid, seq=1)
    parcel = parcel_make(community=community, extent=(0, 0, 400, 200), grid=grid, micro_grid=micro)
    path = corpus.geojson(corpus.building_frame(3), tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert report.errors == [] and report.created == 3
    parcel.refresh_from_db()
    grid.refresh_from_db()
    micro.refresh_from_db()
    assert (parcel.households, parcel.building_count) == (31 + 32 + 33, 3)
    assert (grid.households, micro.households, grid.building_count) == (96, 96, 3)
    assert set(Building.objects.values_list("parcel_id", flat=True)) == {parcel.id}
    events = apps.get_model("layers", "BuildingEvent").objects.filter(pgh_label="insert")
    assert events.count() == 3
    assert events.first().pgh_context.metadata["command"] == "import_layer"

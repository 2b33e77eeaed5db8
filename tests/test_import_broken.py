"""Broken files: each gives a report that names the row, the rule and what to do, and leaves the
database exactly as it was (all or nothing)."""

import geopandas as gpd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.errors import BadRequest
from geo.srid import STORAGE_SRID
from layers.models import Building, Grid
from layers.services.layer_import import layer_import
from tests import import_corpus as corpus
from tests.factories import (
    COMMUNITY_CODE,
    bowtie,
    box,
    building_make,
    grid_make,
    hierarchy_make,
    multi,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    c = hierarchy_make()
    # One building already there: a failed import must leave it exactly as it is.
    building_make(community=c, seq=9, extent=(300, 100, 320, 120), households=7)
    return c


def untouched():
    assert list(Building.objects.values_list("code", "households")) == [
        (f"{COMMUNITY_CODE}0009", 7)
    ]


def rules(report) -> list[str]:
    return [i.rule for i in report.errors]


def test_self_intersecting_polygon_is_reported_with_a_repair(community, tmp_path):
    frame = corpus.bowtie_frame()
    frame.loc[1, "楼栋编码"] = f"{COMMUNITY_CODE}0009"  # would update the existing building
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert (issue.row, issue.rule) == (2, "invalid_geometry")
    assert "Self-intersection" in issue.message
    assert "ST_MakeValid gives a MultiPolygon of 2 part(s)" in issue.repair
    assert not report.written
    untouched()


def test_make_valid_repairs_a_bowtie_where_the_layer_takes_multipolygons(community, tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": [f"{COMMUNITY_CODE}001"], "name": ["一格"]},
        geometry=[corpus.shape(bowtie(10, 10, 100))],
        crs=f"EPSG:{STORAGE_SRID}",
    )
    path = corpus.geojson(frame, tmp_path / "g.geojson")
    report = layer_import(layer="grids", path=path, make_valid=True, dry_run=False)
    assert rules(report) == [], report.as_text()
    assert [w.rule for w in report.warnings if w.row == 1][:1] == ["invalid_geometry"]
    assert Grid.objects.get().geom.num_geom == 2


def test_missing_prj_with_projected_coordinates_is_refused_with_the_crs_to_declare(
    community, tmp_path
):
    path = corpus.shapefile_zip(
        corpus.building_frame(2),
        tmp_path,
        epsg=corpus.GK_ZONE_38_PREFIXED,
        keep=(".shp", ".shx", ".dbf"),
    )
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "crs"
    assert "declares no coordinate system" in issue.message
    assert "--crs EPSG:4526" in issue.message  # zone 38, read from the eastings' prefix
    untouched()
    declared = layer_import(layer="buildings", path=path, crs="EPSG:4526", dry_run=True)
    assert declared.errors == [] and declared.created == 2


def test_wrong_columns_list_what_is_needed_and_what_the_file_has(community, tmp_path):
    frame = corpus.building_frame(2).drop(columns=["户数"]).rename(columns={"名称": "楼名"})
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "wrong_columns"
    assert "no column for households" in issue.message
    assert "楼名" in issue.message and "--field-map" in issue.repair
    untouched()


def test_truncated_zip_is_refused(community, tmp_path):
    path = corpus.truncated(corpus.shapefile_zip(corpus.building_frame(2), tmp_path))
    with pytest.raises(BadRequest, match="not a complete zip archive"):
        layer_import(layer="buildings", path=path, dry_run=False)
    untouched()


def test_duplicate_and_malformed_codes(community, tmp_path):
    frame = corpus.building_frame(3)
    frame.loc[2, "楼栋编码"] = frame.loc[0, "楼栋编码"]
    extra = corpus.building_frame(1, start=5)
    extra.loc[0, "楼栋编码"] = "42019900100X"
    path = corpus.geojson(gpd.pd.concat([frame, extra], ignore_index=True), tmp_path / "b.json")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    found = {(i.row, i.rule) for i in report.errors}
    assert {(1, "duplicate_key"), (3, "duplicate_key"), (4, "bad_code")} <= found
    dup = next(i for i in report.errors if i.rule == "duplicate_key")
    assert "rows 1, 3" in dup.message
    untouched()


def test_feature_outside_its_parent(community, tmp_path):
    frame = corpus.building_frame(2)
    frame.loc[1, "geometry"] = corpus.shape(box(390, 50, 450, 60))  # 50 m past the east edge
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert (issue.row, issue.rule) == (2, "outside_parent")
    assert COMMUNITY_CODE in issue.message and "m² outside" in issue.message
    untouched()


def test_unmatched_parent(community, tmp_path):
    frame = corpus.building_frame(1)
    frame.loc[0, "楼栋编码"] = "4201990019990001"
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "unmatched_parent"
    assert "420199001999" in issue.message and "import the community first" in issue.repair
    untouched()


def test_overlapping_grids_break_a_boundary_rule_and_roll_back(community, tmp_path):
    grid_make(community=community, seq=1, geom=multi(box(0, 0, 200, 200)), geom_source="freehand")
    frame = gpd.GeoDataFrame(
        {"code": [f"{COMMUNITY_CODE}002"], "name": ["二格"]},
        geometry=[corpus.shape(box(150, 0, 400, 200))],
        crs=f"EPSG:{STORAGE_SRID}",
    )
    path = corpus.geojson(frame, tmp_path / "g.geojson")
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert "overlap" in rules(report), report.as_text()
    overlap = next(i for i in report.errors if i.rule == "overlap")
    assert overlap.row == 1
    assert list(Grid.objects.values_list("code", flat=True)) == [f"{COMMUNITY_CODE}001"]


def test_command_dry_run_prints_the_report_and_errors_exit_non_zero(community, tmp_path, capsys):
    good = corpus.geojson(corpus.building_frame(2), tmp_path / "good.geojson")
    call_command("import_layer", "buildings", str(good), "--dry-run", verbosity=0)
    out = capsys.readouterr().out
    assert "would create 2" in out and "nothing written" in out
    untouched()
    bad = corpus.geojson(corpus.bowtie_frame(), tmp_path / "bad.geojson")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_layer", "buildings", str(bad), verbosity=0)
    assert "invalid_geometry" in capsys.readouterr().out
    untouched()
    with pytest.raises(CommandError, match="cannot be read as a map layer"):
        call_command("import_layer", "buildings", str(corpus.truncated(good)), verbosity=0)


def test_command_field_map_and_real_write(community, tmp_path, capsys):
    frame = corpus.building_frame(2).rename(columns={"户数": "HS"})
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    call_command(
        "import_layer", "buildings", str(path), "--field-map", "HS=households", verbosity=0
    )
    assert "created 2" in capsys.readouterr().out
    assert Building.objects.count() == 3


def test_points_where_polygons_are_needed(community, tmp_path):
    frame = corpus.building_frame(1)
    frame.loc[0, "geometry"] = corpus.shape(box(20, 20, 40, 30).centroid)
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "wrong_geometry_type"
    assert "a Point where buildings need polygons" in issue.message
    untouched()


def test_listed_issues_are_capped_per_rule_and_the_rest_counted(community, tmp_path, monkeypatch):
    # A cap of 2 stands for the real 1,000 (validate.MAX_LISTED_ISSUES): same code, small file.
    monkeypatch.setattr("layers.io.validate.MAX_LISTED_ISSUES", 2)
    frame = corpus.building_frame(5)
    frame["户数"] = -1  # five bad_value errors
    frame.loc[4, "楼栋编码"] = "42019900100X"  # and one bad_code, under the cap: all listed
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert [(i.row, i.rule) for i in report.errors if i.rule == "bad_value"] == [
        (1, "bad_value"),
        (2, "bad_value"),
    ]
    assert [i.row for i in report.errors if i.rule == "bad_code"] == [5]
    assert report.unlisted == {"bad_value": 3}
    assert report.error_count == 6 and report.as_dict()["error_count"] == 6
    assert "_listed" not in report.as_dict()
    text = report.as_text()
    assert "… and 3 more [bad_value] not listed" in text
    assert "6 errors, 0 warnings" in text
    assert not report.written
    untouched()
    with pytest.raises(CommandError, match="6 error"):
        call_command("import_layer", "buildings", str(path), verbosity=0)
    untouched()

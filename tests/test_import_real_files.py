"""Real district files as they come (issue 15): Chinese headers per layer, one code on several
polygons (dissolved into one feature), digitising slivers (dropped, or refused when nothing else
is left), households given on the grids (households_reported), and the parcels built at import
so the editor can edit the layout at once. Files are built here (GeoPackage, and a GBK
Shapefile with Chinese headers); the community is the factories' 0..400 × 0..200.
"""

import geopandas as gpd
import pyogrio
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from geo.srid import STORAGE_SRID
from layers.catalogue import COLUMNS
from layers.io.fieldmap import columns_resolve
from layers.models import Community, GeomSource, Grid, Parcel
from layers.selectors.layer_rows import layer_frame
from layers.services.layer_import import layer_import
from tests import import_corpus as corpus
from tests.demo_city_support import planner_make
from tests.factories import (
    COMMUNITY_CODE,
    STREET_CODE,
    area_m2,
    box,
    grid_make,
    hierarchy_make,
    multi,
    parcel_make,
    street_make,
)

G1, G2, G3 = (f"{COMMUNITY_CODE}{k:03d}" for k in (1, 2, 3))


@pytest.fixture
def community(db):
    return hierarchy_make()


def mp(*extents) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([corpus.shape(box(*e)) for e in extents])


def grids_frame(rows) -> gpd.GeoDataFrame:
    """rows: (code, name, households or None, MultiPolygon), headers as a district sends them."""
    return gpd.GeoDataFrame(
        {
            "网格编号": [r[0] for r in rows],
            "网格名称": [r[1] for r in rows],
            "社区编码": [COMMUNITY_CODE] * len(rows),
            "户数": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=f"EPSG:{STORAGE_SRID}",
    )


def gpkg(frame, path):
    pyogrio.write_dataframe(frame, path, driver="GPKG", promote_to_multi=True)
    return path


# G1 drawn as three rows: 0..100, and 300..400 in two halves that touch (they merge).
SPLIT_G1 = [
    (G1, "第一网格", 320, mp((0, 0, 100, 200))),
    (G2, "第二网格", 410, mp((100, 0, 300, 200))),
    (G1, "第一网格", None, mp((300, 0, 400, 100))),
    (G1, "第一网格", 320, mp((300, 100, 400, 200))),
]


def layout_state():
    """Everything an import of grids may change, to compare before and after."""
    grids = sorted(
        Grid.objects.values_list("code", "name", "geom_source", "households_reported", "geom")
    )
    parcels = sorted(Parcel.objects.values_list("pk", "grid_id", "geom"))
    return [(c, n, s, h, g.ewkt if g else None) for c, n, s, h, g in grids], [
        (pk, grid, g.ewkt) for pk, grid, g in parcels
    ]


# --- headers ------------------------------------------------------------------------------------


def test_the_same_header_means_what_the_layer_makes_of_it():
    communities = columns_resolve(
        spec=COLUMNS["communities"],
        headers=["社区编码", "社区名称", "街道编码", "户数"],
        field_map={},
    )
    assert communities.sources == {
        "code": "社区编码",
        "name": "社区名称",
        "street_code": "街道编码",
        "households_reported": "户数",
    }
    grids = columns_resolve(
        spec=COLUMNS["grids"], headers=["网格编号", "网格名称", "社区编码", "户数"], field_map={}
    )
    assert grids.sources == {
        "code": "网格编号",
        "name": "网格名称",
        "community_code": "社区编码",
        "households_reported": "户数",
    }
    micro = columns_resolve(
        spec=COLUMNS["microgrids"], headers=["微网格编号", "名称", "所属组织"], field_map={}
    )
    assert micro.sources["grid_code"] == "所属组织" and micro.sources["code"] == "微网格编号"
    assert grids.notes == [] and micro.notes == []


def test_two_headers_for_one_column_the_first_alias_wins_and_the_report_says_so():
    mapping = columns_resolve(
        spec=COLUMNS["grids"],
        headers=["网格编号", "网格名称", "所属组织", "社区编码"],
        field_map={},
    )
    assert mapping.sources["community_code"] == "社区编码"
    assert mapping.ignored == ["所属组织"]
    (note,) = mapping.notes
    assert "community_code read from 社区编码" in note and "所属组织 also name it" in note
    assert "--field-map HEADER=community_code" in note


def test_export_carries_source_code_and_households_reported(community):
    grid_make(
        community=community,
        seq=1,
        geom=multi(box(0, 0, 400, 200)),
        geom_source=GeomSource.FREEHAND,
        source_code="SQ-3-1",
        households_reported=333,
    )
    frame = layer_frame(layer="grids", scope=None, personal=False)
    row = frame.iloc[0]
    assert (row["source_code"], row["households_reported"]) == ("SQ-3-1", 333)
    assert row["households"] == 0  # the derived count, exported beside the reported one


# --- dissolve -----------------------------------------------------------------------------------


def test_one_code_on_several_polygons_is_one_feature_and_its_parcels_are_built(community, tmp_path):
    path = gpkg(grids_frame(SPLIT_G1), tmp_path / "grids.gpkg")
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    assert report.written and (report.created, report.dissolved) == (2, 2)
    assert f"{G1}: 3 polygons (rows 1, 3, 4) dissolved into one feature of 2 part(s)" in (
        report.notes
    )
    g1 = Grid.objects.get(code=G1)
    parts = [box(0, 0, 100, 200), box(300, 0, 400, 100), box(300, 100, 400, 200)]
    assert g1.geom.num_geom == 2
    assert area_m2(g1.geom) == pytest.approx(sum(area_m2(p) for p in parts), rel=1e-6)
    assert (g1.name, g1.households_reported) == ("第一网格", 320)
    assert Grid.objects.get(code=G2).households_reported == 410
    # Parcels at import: the grids tile the community, so the layout is made of parcels now.
    assert report.parcels == {COMMUNITY_CODE: "parcelised: 3 parcels, 3 given to a grid"}
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.PARCELS}
    assert sorted(Parcel.objects.values_list("grid__code", flat=True)) == [G1, G1, G2]


def test_parts_that_disagree_are_refused_naming_the_rows(community, tmp_path):
    rows = list(SPLIT_G1)
    rows[2] = (G1, "第三网格", None, rows[2][3])
    report = layer_import(
        layer="grids", path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"), dry_run=False
    )
    (issue,) = report.errors
    assert (issue.row, issue.key, issue.rule) == (1, G1, "dissolve_conflict")
    assert "rows 1, 3, 4 share" in issue.message and "but not name" in issue.message
    assert "第一网格 in rows 1, 4; 第三网格 in row 3" in issue.message
    assert not report.written and not Grid.objects.exists()


def test_no_dissolve_refuses_the_repeated_code_as_before(community, tmp_path):
    path = gpkg(grids_frame(SPLIT_G1), tmp_path / "grids.gpkg")
    report = layer_import(layer="grids", path=path, dry_run=False, dissolve=False)
    assert {(i.row, i.rule) for i in report.errors} == {
        (1, "duplicate_key"),
        (3, "duplicate_key"),
        (4, "duplicate_key"),
    }
    with pytest.raises(CommandError, match="3 error"):
        call_command("import_layer", "grids", str(path), "--no-dissolve", verbosity=0)
    assert not Grid.objects.exists()


def test_a_repeated_building_code_is_still_a_duplicate(community, tmp_path):
    frame = corpus.building_frame(2)
    frame.loc[1, "楼栋编码"] = frame.loc[0, "楼栋编码"]
    report = layer_import(
        layer="buildings", path=corpus.geojson(frame, tmp_path / "b.geojson"), dry_run=False
    )
    assert [i.rule for i in report.errors] == ["duplicate_key", "duplicate_key"]
    assert report.dissolved == 0


# --- slivers ------------------------------------------------------------------------------------


def test_sliver_parts_are_dropped_with_a_note(community, tmp_path):
    small = box(395, 100, 397, 102)  # ~4 m²: over the stored minimum, under the import's
    tiny = box(395, 50, 395.03, 50.03)  # ~0.001 m²: under both
    rows = [
        (G1, "第一网格", None, mp((0, 0, 390, 200), (395, 100, 397, 102), (395, 50, 395.03, 50.03)))
    ]
    report = layer_import(
        layer="grids",
        path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"),
        dry_run=False,
        parcelise=False,
    )
    assert report.errors == [], report.as_text()
    assert report.slivers_dropped == 2
    (note,) = [n for n in report.notes if "sliver" in n]
    assert note.startswith(f"{G1} (row 1): 2 sliver part(s) under 10 m² dropped (0.00, ")
    assert f"{area_m2(small):.2f} m²" in note and area_m2(tiny) < 0.01
    g1 = Grid.objects.get(code=G1)
    assert g1.geom.num_geom == 1
    assert area_m2(g1.geom) == pytest.approx(area_m2(box(0, 0, 390, 200)), rel=1e-9)


def test_a_feature_of_slivers_only_is_an_error(community, tmp_path):
    rows = [
        (G1, "第一网格", None, mp((0, 0, 400, 200))),
        (G2, "第二网格", None, mp((10, 10, 12, 12), (20, 20, 22, 22))),
    ]
    report = layer_import(
        layer="grids", path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"), dry_run=False
    )
    (issue,) = report.errors
    assert (issue.row, issue.key, issue.rule) == (2, G2, "sliver")
    assert "every part is under 10 m²" in issue.message and "redraw" in issue.repair
    assert not Grid.objects.exists()


# --- households without buildings ---------------------------------------------------------------


def test_households_reported_on_communities_and_a_bad_count_is_an_error(community, tmp_path):
    def communities(count):
        return gpd.GeoDataFrame(
            {
                "社区编码": [COMMUNITY_CODE],
                "社区名称": ["测试社区"],
                "街道编码": [STREET_CODE],
                "户数": [count],
                "原编码": ["SQ-3"],
            },
            geometry=[mp((0, 0, 400, 200))],
            crs=f"EPSG:{STORAGE_SRID}",
        )

    bad = layer_import(
        layer="communities",
        path=gpkg(communities("三百"), tmp_path / "bad.gpkg"),
        dry_run=False,
    )
    (issue,) = bad.errors
    assert (issue.row, issue.rule) == (1, "bad_value")
    assert "households_reported '三百' is not a whole number" in issue.message
    assert Community.objects.get().households_reported is None
    good = layer_import(
        layer="communities", path=gpkg(communities(1280), tmp_path / "c.gpkg"), dry_run=False
    )
    assert good.errors == [] and good.updated == 1, good.as_text()
    assert Community.objects.values_list("households_reported", "source_code").get() == (
        1280,
        "SQ-3",
    )


# --- a GBK Shapefile with Chinese headers -------------------------------------------------------


def test_a_gbk_shapefile_with_chinese_headers(community, tmp_path):
    frame = grids_frame(SPLIT_G1).rename(columns={"社区编码": "所属组织"})
    frame["原编码"] = ["SQ-3-1", "SQ-3-2", "SQ-3-1", "SQ-3-1"]
    path = corpus.shapefile_zip(frame, tmp_path, name="网格")
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    assert report.encoding.lower() in {"gbk", "gb18030", "cp936"}
    assert report.columns == {
        "code": "网格编号",
        "name": "网格名称",
        "community_code": "所属组织",
        "households_reported": "户数",
        "source_code": "原编码",
    }
    stored = dict(Grid.objects.values_list("code", "source_code"))
    assert stored == {G1: "SQ-3-1", G2: "SQ-3-2"}
    assert Grid.objects.get(code=G1).name == "第一网格"
    assert Parcel.objects.filter(community=community).count() == 3


# --- parcels at import --------------------------------------------------------------------------


def test_a_layout_with_a_gap_stays_freehand_with_a_warning(community, tmp_path):
    rows = [
        (G1, "第一网格", None, mp((0, 0, 150, 200))),
        (G2, "第二网格", None, mp((150, 0, 300, 200))),
    ]
    report = layer_import(
        layer="grids", path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"), dry_run=False
    )
    assert report.errors == [] and report.written
    (warning,) = [w for w in report.warnings if w.rule == "not_parcelised"]
    assert warning.key == COMMUNITY_CODE and "1 gap(s) no grid covers" in warning.message
    assert f"parcelise_layout {COMMUNITY_CODE}" in warning.repair
    assert report.parcels[COMMUNITY_CODE].startswith("freehand: 1 gap(s)")
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.FREEHAND}
    assert not Parcel.objects.exists()


def test_no_parcelise_leaves_the_layout_freehand(community, tmp_path):
    path = gpkg(grids_frame(SPLIT_G1), tmp_path / "grids.gpkg")
    report = layer_import(layer="grids", path=path, dry_run=False, parcelise=False)
    assert report.errors == [] and report.parcels == {}
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.FREEHAND}
    assert not Parcel.objects.exists()


def test_a_dry_run_writes_nothing(community, tmp_path):
    path = gpkg(grids_frame(SPLIT_G1), tmp_path / "grids.gpkg")
    report = layer_import(layer="grids", path=path, dry_run=True)
    assert report.errors == [] and (report.created, report.dissolved) == (2, 2)
    assert not report.written and report.parcels == {}
    assert not Grid.objects.exists() and not Parcel.objects.exists()


def test_a_failed_import_leaves_the_database_exactly_as_it_was(community, tmp_path):
    # A layout already made of parcels: one grid over the whole community.
    g1 = grid_make(community=community, seq=1, geom=multi(box(0, 0, 400, 200)))
    parcel_make(community=community, extent=(0, 0, 400, 200), grid=g1)
    before = layout_state()
    rows = list(SPLIT_G1)
    rows.append((G3, "第三网格", None, mp((380, 0, 450, 200))))  # 50 m past the community
    report = layer_import(
        layer="grids", path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"), dry_run=False
    )
    assert [(i.row, i.rule) for i in report.errors] == [(5, "outside_parent")]
    assert report.errors[0].key == G3  # found by its row number after the dissolve
    assert not report.written and report.parcels == {}
    assert layout_state() == before


# --- the editor's one action for a community left freehand -------------------------------------


def test_the_editor_builds_the_parcels_of_a_freehand_community(community, tmp_path, client):
    rows = [
        (G1, "第一网格", None, mp((0, 0, 150, 200))),
        (G2, "第二网格", None, mp((150, 0, 300, 200))),
    ]
    layer_import(layer="grids", path=gpkg(grids_frame(rows), tmp_path / "g.gpkg"), dry_run=False)
    api = f"/api/edit/communities/{COMMUNITY_CODE}/"
    assert client.get(api + "layout").json()["freehand"] is True
    assert client.post(api + "parcelise").status_code == 403  # anonymous
    other = street_make(district=community.street.district, code=STREET_CODE[:-1] + "2")
    client.force_login(planner_make("planner_other", streets=[other]))
    assert client.post(api + "parcelise").status_code == 403
    assert not Parcel.objects.exists()
    client.force_login(planner_make("planner_here", streets=[community.street]))
    answer = client.post(api + "parcelise")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [p["kind"] for p in body["problems"]] == ["gap"]
    # The gap is a parcel of no grid, for the planner to assign in the editor.
    assert sorted(Parcel.objects.values_list("grid__code", flat=True), key=str) == [G1, G2, None]
    assert body["parcels_after"] == 3
    assert client.get(api + "layout").json()["freehand"] is False
    again = client.post(api + "parcelise")
    assert again.status_code == 400 and "already made of parcels" in again.json()["error"]

"""Onboarding a district from its own files (issue 15): the small generated corpus of 十堰市张湾区
(fixtures/district_corpus: local letter codes, Chinese headers, multi-part features, slivers, a
retired code, a GBK Shapefile without .cpg, one in Gauss-Krüger metres) onboarded in one call;
then defects planted and found by the check; a broken folder and a dry run write nothing; the
page queues a job only staff may start."""

import io
import json
import shutil
import zipfile

import geopandas as gpd
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from fixtures.district_corpus import corpus_build
from geo.errors import BadRequest, Forbidden
from geo.srid import metric_srid
from layers import jobs
from layers.io.level_detect import levels_recognised
from layers.io.onboard_files import files_read, folder_opened
from layers.models import Community, District, Grid, Job, Parcel, PlannerStreet, Street
from layers.rules import boundary_violations
from layers.services.onboard import district_onboard
from tests.factories import hierarchy_make

COUNTY = "420303"
LAYERS = ["districts", "streets", "communities", "grids"]
MODELS = (District, Street, Community, Grid, Parcel)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zhangwan")
    return folder, corpus_build(out_dir=folder, county=COUNTY, size="small")


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture(scope="module")
def onboarded(corpus, django_db_setup, django_db_blocker):
    """The corpus onboarded once for the module, in a transaction rolled back at its end."""
    folder, manifest = corpus
    with django_db_blocker.unblock(), transaction.atomic():
        report = district_onboard(path=folder, dry_run=False)
        yield report, manifest
        transaction.set_rollback(True)


# --- before anything is onboarded: nothing written -----------------------------------------------


@pytest.mark.django_db
def test_a_dry_run_does_everything_and_writes_nothing(corpus):
    folder, manifest = corpus
    before = counts()
    report = district_onboard(path=folder, dry_run=True)
    assert report.failed_file is None, report.as_text()
    assert [f.layer for f in report.files] == LAYERS
    assert [f.report.created for f in report.files] == [
        manifest.features[layer] for layer in LAYERS
    ]
    assert report.checked and not report.written
    assert not any(f.report.written for f in report.files)
    assert counts() == before


@pytest.mark.django_db
def test_a_file_with_bad_rows_rolls_back_the_files_before_it(corpus, tmp_path):
    folder, _ = corpus
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    grids = gpd.read_file(broken / "网格.gpkg")
    single = grids["网格编号"].map(grids["网格编号"].value_counts()) == 1
    i = int(single.to_numpy().nonzero()[0][3])  # a grid drawn in one polygon: row i + 1
    grids.loc[i, "所属组织"] = "没有这个社区"
    grids.to_file(broken / "网格.gpkg", driver="GPKG")
    before = counts()
    report = district_onboard(path=broken, dry_run=False)
    failed = report.failed_file
    assert failed is not None and failed.name == "网格.gpkg"
    assert [issue.row for issue in failed.report.errors] == [i + 1]
    assert "没有这个社区" in failed.report.errors[0].message
    # The streets and communities before it were imported, then rolled back with it.
    assert [f.report.created for f in report.files[:3]] == [1, 3, 10]
    assert not report.written and counts() == before
    assert "REFUSED: 网格.gpkg" in report.as_text()
    summary = json.loads(json.dumps(report.as_dict()))  # what a job keeps
    assert summary["failed_file"] == "网格.gpkg"
    assert summary["files"][3]["import"]["issues"][0]["row"] == i + 1


@pytest.mark.django_db
def test_an_unreadable_file_refuses_the_folder_naming_it(corpus, tmp_path):
    folder, _ = corpus
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "楼栋.geojson").write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    before = counts()
    with pytest.raises(BadRequest, match="楼栋.geojson"):
        district_onboard(path=broken, dry_run=False)
    assert counts() == before


def test_the_corpus_is_the_same_every_time_and_tiles_its_levels(corpus, tmp_path):
    folder, manifest = corpus
    again = corpus_build(out_dir=tmp_path / "again", county=COUNTY, size="small")
    assert again.as_dict() == manifest.as_dict()
    for name in manifest.files.values():
        first, second = gpd.read_file(folder / name), gpd.read_file(tmp_path / "again" / name)
        assert first.geom_equals_exact(second, tolerance=0).all(), name
    streets = gpd.read_file(folder / "街道.shp").to_crs(manifest.metric_srid)
    district = gpd.read_file(folder / "张湾区.geojson").to_crs(manifest.metric_srid)
    assert streets.union_all().symmetric_difference(district.union_all()).area < 1.0


# --- which file is which: refused with advice when the evidence does not tell -------------------


def _levels(folder, given=None):
    with folder_opened(folder) as opened:
        return levels_recognised(files_read(opened), given=given)


def test_two_files_of_one_level_are_refused_naming_both(corpus, tmp_path):
    folder, _ = corpus
    twice = tmp_path / "twice"
    shutil.copytree(folder, twice)
    gpd.read_file(twice / "社区.shp", encoding="gbk").to_file(twice / "社区2.gpkg", driver="GPKG")
    with pytest.raises(BadRequest, match="社区.shp and 社区2.gpkg both look like communities"):
        _levels(twice)


def test_a_file_only_nesting_could_place_is_refused_with_its_options_then_placed_by_as(
    corpus, tmp_path
):
    folder, _ = corpus
    plain = tmp_path / "plain"
    shutil.copytree(folder, plain)
    grids = gpd.read_file(plain / "网格.gpkg")
    (plain / "网格.gpkg").unlink()
    grids = grids.rename(columns={"网格编号": "编码", "网格名称": "名称"})
    grids["编码"] = [f"G{i:03d}" for i in range(len(grids))]  # no level in their shape
    grids[["编码", "名称", "geometry"]].to_file(plain / "格子.geojson", driver="GeoJSON")
    with pytest.raises(BadRequest, match="格子.geojson: could be ") as e:
        _levels(plain)
    assert e.value.details["open"] == ["compounds", "grids", "microgrids"]
    for part in plain.glob("社区.*"):  # a level missing: the file might be communities too
        part.unlink()
    with pytest.raises(BadRequest, match="格子.geojson: could be ") as e:
        _levels(plain)
    assert e.value.details["open"] == ["communities", "compounds", "grids", "microgrids"]
    levels = _levels(plain, given={"格子.geojson": "grids"})
    assert [(lv.name, lv.layer) for lv in levels][-1] == ("格子.geojson", "grids")
    assert levels[-1].how == ["given by --as"]  # nothing to lie in: no communities


# --- the page: a job only staff may start -------------------------------------------------------


def _zip(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
    return buffer.getvalue()


@pytest.mark.django_db
def test_staff_queue_an_onboarding_that_the_worker_writes(corpus, client):
    folder, manifest = corpus
    staff = get_user_model().objects.create_user("onboarder", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    client.force_login(staff)
    assert b'id="onboard-form"' in client.get("/import/").content
    upload = io.BytesIO(_zip(folder))
    upload.name = "张湾区.zip"
    r = client.post("/import/onboard", {"file": upload, "county": "张湾区"})
    assert r.status_code == 302
    job = Job.objects.get(kind=Job.Kind.ONBOARD, owner=staff)
    assert ProcrastinateJob.objects.filter(id=job.queue_job_id, task_name="onboard").exists()
    assert counts()["Grid"] == 0
    jobs.onboard_run(job_id=job.pk)  # what the worker's task does
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.summary["written"], job.error
    assert Grid.objects.filter(code__startswith=COUNTY).count() == manifest.features["grids"]
    page = client.get(r["Location"])
    assert page.status_code == 200
    assert "420303500598" in page.content.decode() and b'data-written="true"' in page.content


@pytest.mark.django_db
def test_only_staff_may_onboard(corpus, client):
    folder, _ = corpus
    planner = get_user_model().objects.create_user("planner_o")
    planner.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    # A planner with a street: may import into it, not onboard a district.
    street = hierarchy_make().street
    PlannerStreet.objects.create(user=planner, street=street)
    client.force_login(planner)
    assert b'id="onboard-form"' not in client.get("/import/").content
    upload = io.BytesIO(_zip(folder))
    upload.name = "z.zip"
    assert client.post("/import/onboard", {"file": upload}).status_code == 403
    assert not Job.objects.exists()
    with pytest.raises(Forbidden):
        district_onboard(path=folder, user=planner)


# --- the corpus onboarded ------------------------------------------------------------------------


@pytest.mark.django_db
def test_levels_are_recognised_and_every_feature_is_in(onboarded):
    report, manifest = onboarded
    assert report.failed_file is None and report.written, report.as_text()
    assert report.county == COUNTY and report.county_how == "from 张湾区.geojson"
    assert {f.name: f.layer for f in report.files} == {
        name: layer for layer, name in manifest.files.items()
    }
    assert report.skipped == {"说明.txt": "not a map layer"}
    grids = next(f for f in report.files if f.layer == "grids")
    assert grids.how == [
        "headers: 网格编号 → code, 网格名称 → name",
        "codes: 100% shaped like grid (网格) codes (e.g. BL-3-1)",
        "lies in 社区.shp: 100% of its features",
    ]

    assert grids.field_map["households_reported"] == "户数"
    assert District.objects.filter(code=COUNTY).count() == 1
    assert Street.objects.filter(code__startswith=COUNTY).count() == manifest.features["streets"]
    communities = Community.objects.filter(code__startswith=COUNTY)
    assert communities.count() == manifest.features["communities"]
    assert Grid.objects.filter(code__startswith=COUNTY).count() == manifest.features["grids"]


@pytest.mark.django_db
def test_codes_are_official_and_the_source_codes_kept(onboarded):
    _, manifest = onboarded
    stored = dict(
        Street.objects.filter(code__startswith=COUNTY).values_list("source_code", "code")
    ) | dict(Community.objects.filter(code__startswith=COUNTY).values_list("source_code", "code"))
    assert stored == manifest.official
    grids = {g.source_code: g for g in Grid.objects.filter(code__startswith=COUNTY)}
    assert set(grids) == set(manifest.households)
    for source, grid in grids.items():
        local_community = source.rsplit("-", 1)[0]
        official = manifest.official.get(local_community)
        if official is not None:  # the retired community's grids carry its street's letters
            assert grid.code.startswith(official) and len(grid.code) == 15
        assert grid.households_reported == manifest.households[source]


@pytest.mark.django_db
def test_multi_part_features_are_dissolved_and_slivers_dropped(onboarded, corpus):
    report, manifest = onboarded
    folder, _ = corpus
    rows = gpd.read_file(folder / "网格.gpkg").to_crs(metric_srid())
    for source, parts in manifest.multipart.items():
        if source.count("-") != 2:
            continue
        grid = Grid.objects.get(source_code=source)
        area = rows[rows["网格编号"] == source].area.sum()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT ST_Area(ST_Transform(%s::geometry, %s))", [grid.geom.ewkt, metric_srid()]
            )
            # The parcels built at import re-derive the polygon: noding moves it by millimetres.
            assert cur.fetchone()[0] == pytest.approx(area, rel=2e-5)
        assert (rows["网格编号"] == source).sum() == parts
    by_layer = {f.layer: f.report for f in report.files}
    assert by_layer["grids"].dissolved == sum(
        n - 1 for s, n in manifest.multipart.items() if s.count("-") == 2
    ) + sum(1 for s in manifest.slivers if s.count("-") == 2)
    assert by_layer["grids"].slivers_dropped == sum(
        1 for s in manifest.slivers if s.count("-") == 2
    )
    assert by_layer["communities"].slivers_dropped == 1


@pytest.mark.django_db
def test_the_retired_code_is_reported_and_mapped_to_the_current_division(onboarded):
    report, manifest = onboarded
    [met] = report.retired
    assert met["code"] == manifest.retired["code"] == "420303500598"
    assert met["outcome"].startswith("taken as 420303101206")
    community = Community.objects.get(code=manifest.retired["current"])
    assert community.source_code == "420303500598"
    assert "retired code 420303500598" in report.as_text()


@pytest.mark.django_db
def test_the_district_checks_clean(onboarded):
    report, _ = onboarded
    assert report.checked and report.violations == []
    out = io.StringIO()
    call_command("check_boundaries", "--district", COUNTY, stdout=out)
    totals = [
        line.split() for line in out.getvalue().splitlines() if line.strip().startswith("total")
    ]
    assert totals[0] == ["total", "0"], out.getvalue()


@pytest.mark.django_db
def test_a_shifted_grid_and_a_deleted_one_are_exactly_what_the_check_finds(onboarded):
    grids = list(Grid.objects.filter(code__startswith=COUNTY).order_by("code"))
    moved, gone = grids[4], grids[20]
    assert moved.community_id != gone.community_id
    with connection.cursor() as cur:
        # Drawn 20 m east by hand: a freehand polygon, no longer its parcels' union.
        cur.execute(
            "UPDATE layers_grid SET geom_source = 'freehand', geom = ST_Transform(ST_Translate("
            "ST_Transform(geom, %(srid)s), 20, 0), 4326) WHERE id = %(id)s",
            {"srid": metric_srid(), "id": moved.pk},
        )
        expected = _expected_after_shift(cur, moved)
        cur.execute("SELECT ST_Area(geom::geography) FROM layers_grid WHERE id = %s", [gone.pk])
        expected[("gap", (gone.community.code,))] = cur.fetchone()[0]
    Grid.objects.filter(pk=gone.pk).delete()
    found: dict = {}
    for v in boundary_violations(scope=COUNTY):
        found[(v.rule, v.codes)] = found.get((v.rule, v.codes), 0) + v.area_m2
    assert found.keys() == expected.keys()
    for key, area in expected.items():
        assert found[key] == pytest.approx(area, abs=1.0), key


def _expected_after_shift(cur, moved) -> dict:
    """What the moved grid now breaks, measured by PostGIS: the part outside its community,
    the overlaps with its siblings, and its community's uncovered part (m², geodesic)."""
    out = {}
    cur.execute(
        "SELECT ST_Area(ST_Difference(g.geom, c.geom)::geography) FROM layers_grid g "
        "JOIN layers_community c ON c.id = g.community_id WHERE g.id = %s",
        [moved.pk],
    )
    outside = cur.fetchone()[0]
    if outside > 1:
        out[("outside_parent", (moved.code, moved.community.code))] = outside
    cur.execute(
        "SELECT s.code, ST_Area(ST_Intersection(g.geom, s.geom)::geography) FROM layers_grid g "
        "JOIN layers_grid s ON s.community_id = g.community_id AND s.id <> g.id "
        "WHERE g.id = %s",
        [moved.pk],
    )
    for code, area in cur.fetchall():
        if area > 1:
            out[("overlap", tuple(sorted((moved.code, code))))] = area
    cur.execute(
        "SELECT ST_Area(ST_Difference(c.geom, ST_Union(g.geom))::geography) "
        "FROM layers_community c JOIN layers_grid g ON g.community_id = c.id "
        "WHERE c.id = %s GROUP BY c.id, c.geom",
        [moved.community_id],
    )
    out[("gap", (moved.community.code,))] = cur.fetchone()[0]
    return out


@pytest.mark.django_db
def test_the_editor_opens_an_imported_community_on_its_parcels(onboarded, client):
    community = Community.objects.filter(code__startswith=COUNTY).order_by("code").first()
    assert community.grids.filter(geom_source="parcels").count() == community.grids.count() > 0
    client.force_login(get_user_model().objects.create_user("editor_o", is_staff=True))
    body = json.loads(client.get(f"/api/edit/communities/{community.code}/editor.json").content)
    grids = {f["properties"]["grid"] for f in body["parcels"]["features"]}
    assert len(body["parcels"]["features"]) == community.parcels.count() > 0
    assert grids == set(community.grids.values_list("code", flat=True))
    page = client.get(f"/edit/?community={community.code}")
    assert page.status_code == 200

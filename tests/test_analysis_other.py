"""Organisation coverage, grid load, unit pairing and the headline figures on the hand-built world
(tests/analysis_world.py), their endpoints, and `manage.py coverage` writing a workbook whose
sheets say what the API says."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from layers.analysis import analysis_area
from layers.analysis.load import load_report
from layers.analysis.organisation import organisation_report
from layers.analysis.pairing import pairing_report
from layers.analysis.report import city_headline
from tests.analysis_world import analysis_world_make


@pytest.fixture
def world(db):
    return analysis_world_make()


@pytest.fixture
def bands(settings):
    settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN = 10
    settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX = 150
    settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN = 30
    settings.GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX = 100


def gaps(report) -> dict[str, set[str]]:
    keys = ("no_party_organisation", "no_owners_committee", "no_station")
    return {c["name"]: {k for k in keys if c[k]} for c in report.compounds}


# --- organisation ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_compounds_with_gaps_at_300_m(world):
    report = organisation_report(distance_m=300)
    # Z has everything; X has no party organisation (S2 stands inside it); Y has no owners'
    # committee and its nearest station is S2, 370 m from its east edge: a 481 m walk.
    assert gaps(report) == {
        "西湖小区": {"no_party_organisation"},
        "杨柳小区": {"no_owners_committee", "no_station"},
    }
    y = next(c for c in report.compounds if c["name"] == "杨柳小区")
    assert y["nearest_station_m"] == pytest.approx(481.0, abs=0.1)
    assert y["nearest_station_name"] == world.stations["S2"].name
    assert y["households"] == 60 and y["buildings"] == 1 and y["community_code"] == world.a.code
    x = next(c for c in report.compounds if c["name"] == "西湖小区")
    assert x["nearest_station_m"] == 0.0
    t = report.total
    assert (t["compounds"], t["no_party_organisation"], t["no_owners_committee"]) == (3, 1, 1)
    assert (t["no_station"], t["no_any"], t["no_all"]) == (1, 2, 0)
    assert report.compounds_listed == 2


@pytest.mark.django_db
def test_the_station_test_measures_from_the_polygon_not_the_centroid(world):
    # Y's centroid is 410 m from S2 (a 533 m walk), its edge 370 m (481 m): served at 500 m.
    assert gaps(organisation_report(distance_m=500)) == {
        "西湖小区": {"no_party_organisation"},
        "杨柳小区": {"no_owners_committee"},
    }
    # Community centres only: Y's edge is 400 m from S1 (520 m), X's 650 m (845 m).
    only = organisation_report(distance_m=500, levels=("community",))
    assert gaps(only) == {
        "西湖小区": {"no_party_organisation", "no_station"},
        "杨柳小区": {"no_owners_committee", "no_station"},
    }


@pytest.mark.django_db
def test_organisation_counts_per_community_and_street(world):
    report = organisation_report(distance_m=300)
    by_community = {r["code"]: r for r in report.by_community}
    a, b = by_community[world.a.code], by_community[world.b.code]
    assert (a["compounds"], a["no_owners_committee"], a["no_station"], a["no_any"]) == (2, 1, 1, 1)
    assert (b["compounds"], b["no_party_organisation"], b["no_any"]) == (1, 1, 1)
    assert world.c.code not in by_community  # no compound there
    assert [r["code"] for r in report.by_street] == [world.street1.code]
    assert report.by_street[0]["compounds"] == 3
    area = analysis_area(street_code=world.street2.code)
    street2 = organisation_report(distance_m=300, area=area)
    assert street2.total["compounds"] == 0 and street2.compounds == []


# --- load -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_grid_load_counts_grid_workers_of_the_grid_and_its_microgrids(world, bands):
    report = load_report(listed="all")
    grids = {g["code"]: g for g in report.grids}
    a1, b1, c1 = (grids[world.grids[k].code] for k in ("A1", "B1", "C1"))
    assert (a1["households"], a1["microgrids"], a1["grid_workers"]) == (200, 2, 2)
    assert a1["households_per_worker"] == 100.0 and a1["households_per_microgrid"] == 100.0
    assert a1["load"] == "over" and a1["no_worker"] is False
    assert (b1["households"], b1["grid_workers"], b1["households_per_worker"]) == (30, 0, None)
    assert b1["load"] == "ok" and b1["no_worker"] is True  # a head is not a grid worker
    assert (c1["households"], c1["grid_workers"], c1["load"]) == (10, 1, "ok")
    micro = {m["code"]: m for m in report.microgrids}
    m1, m2 = micro[world.microgrids["M1"].code], micro[world.microgrids["M2"].code]
    assert (m1["households"], m1["load"], m1["grid_workers"]) == (140, "over", 0)
    assert (m2["households"], m2["load"], m2["grid_workers"]) == (60, "ok", 1)
    assert report.total == {
        "grids": 3, "households": 240, "grid_workers": 3, "households_per_worker": 80.0,
        "grids_under": 0, "grids_ok": 2, "grids_over": 1, "grids_no_worker": 1,
        "microgrids": 2, "microgrids_under": 0, "microgrids_ok": 1, "microgrids_over": 1,
    }  # fmt: skip


@pytest.mark.django_db
def test_load_lists_only_the_exceptions_by_default_and_reads_bands_at_call_time(
    world, bands, settings
):
    report = load_report()
    assert [g["code"] for g in report.grids] == [world.grids["A1"].code, world.grids["B1"].code]
    assert [m["code"] for m in report.microgrids] == [world.microgrids["M1"].code]
    settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN = 300  # the default band: all three are under
    assert load_report().total["grids_under"] == 3
    assert load_report(limit=1).grids_listed == 3 and len(load_report(limit=1).grids) == 1


# --- pairing --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_pairing_against_the_one_to_fifty_rule(world):
    report = pairing_report()
    rows = {c["code"]: c for c in report.communities}
    a, b, c = rows[world.a.code], rows[world.b.code], rows[world.c.code]
    assert (a["households"], a["units"], a["registered_members"]) == (200, 2, 3)
    assert (a["members_required"], a["shortfall"], a["unpaired"]) == (4, 1, False)
    assert a["households_per_member"] == pytest.approx(66.7)
    assert (b["units"], b["unpaired"], b["members_required"], b["shortfall"]) == (0, True, 1, 1)
    assert b["households_per_member"] is None
    assert (c["members_required"], c["shortfall"]) == (1, 0)
    t = report.total
    assert (t["communities"], t["communities_unpaired"], t["communities_short"]) == (3, 1, 2)
    assert (t["households"], t["registered_members"], t["members_required"]) == (260, 4, 6)
    assert t["shortfall"] == 2 and t["households_per_member"] == 65.0


@pytest.mark.django_db
def test_the_rule_is_a_setting(world, settings):
    settings.GRIDATLAS_HOUSEHOLDS_PER_MEMBER = 40
    rows = {c["code"]: c for c in pairing_report().communities}
    assert rows[world.a.code]["members_required"] == 5  # ceil(200 / 40)
    assert rows[world.b.code]["members_required"] == 2  # ceil(50 / 40)


# --- headline -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_headline_figures(world):
    h = city_headline(distance_m=500)
    assert (h.communities, h.grids, h.compounds, h.compounds_party) == (3, 3, 3, 2)
    assert h.compounds_party_percent == pytest.approx(66.67)
    assert h.stations == {"street": 0, "community": 1, "xiaoqu": 1, "total": 2}
    assert (h.units_paired, h.pairings, h.registered_members) == (3, 3, 4)
    assert (h.households, h.households_covered) == (260, 190)
    assert h.households_covered_percent == pytest.approx(73.08)
    s2 = city_headline(distance_m=500, area=analysis_area(street_code=world.street2.code))
    assert (s2.communities, s2.compounds, s2.compounds_party_percent) == (1, 0, None)
    assert (s2.units_paired, s2.households, s2.households_covered_percent) == (1, 10, 0.0)
    assert s2.code == world.street2.code and s2.stations["total"] == 0


# --- endpoints ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_endpoints_answer_json_with_the_selectors_figures(client, world, bands):
    body = client.get("/api/analysis/organisation", {"distance": "300"}).json()
    assert body["total"]["no_any"] == 2 and len(body["compounds"]) == 2
    assert body["query"]["distance_m"] == 300
    body = client.get("/api/analysis/organisation", {"distance": "300", "limit": "1"}).json()
    assert body["compounds_listed"] == 2 and len(body["compounds"]) == 1
    body = client.get("/api/analysis/load", {"list": "all"}).json()
    assert body["total"]["grids_no_worker"] == 1 and len(body["grids"]) == 3
    assert body["grid_band"] == [10, 150]
    body = client.get("/api/analysis/pairing", {"street": world.street1.code}).json()
    assert body["total"]["communities"] == 2 and body["total"]["shortfall"] == 2
    r = client.get("/api/analysis/headline")
    assert r.status_code == 200 and r.json()["households_covered"] == 190
    assert "武汉市".encode() in r.content  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/analysis/organisation", {"distance": "far"}),
        ("/api/analysis/organisation", {"level": "palace"}),
        ("/api/analysis/load", {"list": "some"}),
        ("/api/analysis/load", {"district": "4201"}),
        ("/api/analysis/pairing", {"street": "12"}),
        ("/api/analysis/headline", {"district": "x"}),
    ],
)
@pytest.mark.django_db
def test_bad_parameters_are_400(client, url, params):
    r = client.get(url, params)
    assert r.status_code == 400 and r.json()["error"]


# --- the command ----------------------------------------------------------------------------------
def sheet_rows(book, name) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def none_to_blank(d: dict) -> dict:
    return {k: (None if v == "" else v) for k, v in d.items()}


@pytest.mark.django_db
def test_the_command_writes_a_workbook_whose_sheets_match_the_api(client, world, bands, tmp_path):
    out = tmp_path / "report.xlsx"
    call_command("coverage", distance=500, by="community", out=out, stdout=io.StringIO())
    book = load_workbook(out, read_only=True)
    assert book.sheetnames[:4] == ["filters", "headline", "coverage", "coverage by level"]
    for name in ("uncovered buildings", "organisation", "load", "pairing"):
        assert name in book.sheetnames
    api = client.get("/api/analysis/coverage", {"distance": "500", "by": "community"}).json()
    assert sheet_rows(book, "coverage") == [*api["rows"], api["total"]]
    assert sheet_rows(book, "coverage by level") == api["by_level"]
    api = client.get("/api/analysis/coverage/uncovered", {"distance": "500"}).json()
    assert [r["code"] for r in sheet_rows(book, "uncovered buildings")] == [
        b["code"] for b in api["buildings"]
    ]
    api = client.get("/api/analysis/organisation", {"distance": "500"}).json()
    assert [none_to_blank(r) for r in sheet_rows(book, "organisation")] == api["compounds"]
    api = client.get("/api/analysis/load", {"list": "all"}).json()
    assert sheet_rows(book, "load") == api["grids"]
    api = client.get("/api/analysis/pairing").json()
    pairing = sheet_rows(book, "pairing")
    assert [r["code"] for r in pairing] == [c["code"] for c in api["communities"]] + ["4201"]
    assert pairing[-1]["shortfall"] == api["total"]["shortfall"]
    headline = {r["figure"]: r["value"] for r in sheet_rows(book, "headline")}
    assert headline["households_covered"] == 190 and headline["stations_total"] == 2


@pytest.mark.django_db
def test_the_command_writes_one_csv_per_sheet(world, tmp_path):
    out = tmp_path / "report.csv"
    call_command("coverage", out=out, level="community", stdout=io.StringIO())
    coverage = tmp_path / "report-coverage.csv"
    text = coverage.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["kind"] == "total" and rows[-1]["households_covered"] == "140"
    assert (tmp_path / "report-uncovered_buildings.csv").exists()
    assert (tmp_path / "report-pairing.csv").exists()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"out": "report.pdf"}, ".xlsx or .csv"),
        ({"out": "report.xlsx", "distance": -1}, "--distance"),
        ({"out": "report.xlsx", "level": "palace"}, "--level"),
        ({"out": "report.xlsx", "street": "420199999"}, "no street"),
        ({"out": "nowhere/report.xlsx"}, "no such directory"),
    ],
)
@pytest.mark.django_db
def test_the_command_refuses_bad_arguments(tmp_path, kw, message):
    kw = {**kw, "out": tmp_path / kw["out"]}
    with pytest.raises(CommandError, match=message):
        call_command("coverage", stdout=io.StringIO(), **kw)


def test_the_command_explains_itself():
    from layers.management.commands.coverage import Command

    text = Command().create_parser("manage.py", "coverage").format_help()
    for word in ("--distance", "--by", "--mode", "--level", "--out", ".xlsx", "load_roads"):
        assert word in text


# --- the tiny demo city: the analyses agree with each other and with the city summary -------------


@pytest.mark.django_db
def test_tiny_city_analyses_agree_with_the_city_summary(tiny_city):
    from layers.selectors.summary import city_summary

    s = city_summary()
    h = city_headline(distance_m=500)
    assert (h.communities, h.grids, h.compounds) == (s.communities, s.grids, s.xiaoqus)
    assert (h.stations["total"], h.households) == (s.stations, s.households)
    pairing = pairing_report().total
    assert pairing["communities_unpaired"] == s.communities_unpaired
    assert pairing["households"] == s.households
    load = load_report(listed="all")
    assert (load.total["grids"], load.total["microgrids"]) == (s.grids, s.microgrids)
    assert load.total["grids_under"] + load.total["grids_ok"] + load.total["grids_over"] == s.grids
    org = organisation_report(distance_m=500)
    assert org.total["compounds"] == s.xiaoqus
    for key in ("compounds", "no_party_organisation", "no_owners_committee", "no_station"):
        assert sum(r[key] for r in org.by_street) == org.total[key]
        assert sum(r[key] for r in org.by_community) == org.total[key]

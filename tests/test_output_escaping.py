"""Names typed by anyone with an editor account reach HTML and spreadsheets only as text: the
offline report map in Debian's Chromium runs no name (no dialog, no page error, the names shown
as they are), and no CSV or XLSX the product writes holds a formula — layer exports, the batch
lookup's output, the analysis report, the siting CSV — while exports still import back exactly."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from geo.spreadsheet import csv_cell, csv_text_read, text_is_formula_like
from layers.analysis.report import report_sheets, sheet_csv, sheets_xlsx
from layers.analysis.siting import SiteProposal, SitingProposal, sites_csv
from layers.models import Community, ServiceStation, Street
from layers.services.layer_import import layer_import
from layers.services.lookup_batch import ADDED_COLUMNS, Table, batch_lookup, table_read, table_write
from layers.services.report_map import report_map_html, script_json
from tests.conftest import CHROMIUM_ARGS

LINK = '=HYPERLINK("http://x","y")'
AT = "@SUM(1)"
# What a hostile name tries in the report map: close the template literal, the script element,
# or inject markup through innerHTML.
SCRIPT_NAMES = {
    "station": "${alert(1)}驿站",
    "backtick": "驿站`);alert(2);//",
    "community": "</script><script>alert(3)</script>社区",
    "street": '<img src=x onerror="alert(4)">街道',
}


# --- the cell rule, no database -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [LINK, AT, "+86-1", "-2+3+cmd|' /C calc'!A0", "\t=1", "\r=1", "'=1", "''@x", "'" * 5000 + "="],
)
def test_formula_like_text_is_escaped_and_read_back_exactly(text):
    assert text_is_formula_like(text)
    assert csv_cell(text) == "'" + text
    assert csv_text_read(csv_cell(text)) == text


@pytest.mark.parametrize(
    "value", ["社区", "-3.5", "+86", "1e-3", "'abc", "'-3.5", "", -3.5, 7, None]
)
def test_plain_text_and_numbers_are_left_alone(value):
    assert csv_cell(value) == value
    if isinstance(value, str):
        assert csv_text_read(value) == value


def test_script_json_cannot_close_the_element():
    text = script_json({"name": "</script><!--\u2028&"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><!--\u2028&"}


# --- helpers --------------------------------------------------------------------------------------
def _station_in_a_community() -> ServiceStation:
    return ServiceStation.objects.filter(community__isnull=False).order_by("id").first()


def _xlsx_cells(data):
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula(cells) -> None:
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []


def _csv_rows(data: bytes, encoding="utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


# --- the report map -------------------------------------------------------------------------------
@pytest.fixture
def hostile_names(tiny_city):
    stations = list(ServiceStation.objects.order_by("id")[:2])
    ServiceStation.objects.filter(pk=stations[0].pk).update(name=SCRIPT_NAMES["station"])
    ServiceStation.objects.filter(pk=stations[1].pk).update(name=SCRIPT_NAMES["backtick"])
    Community.objects.filter(pk=Community.objects.order_by("code")[0].pk).update(
        name=SCRIPT_NAMES["community"]
    )
    Street.objects.filter(pk=Street.objects.order_by("code")[0].pk).update(
        name=SCRIPT_NAMES["street"]
    )
    return SCRIPT_NAMES


@pytest.mark.django_db
def test_report_map_names_are_data_not_code(hostile_names):
    html = report_map_html(distance_m=500)
    # Three script elements (data, Leaflet, the page's own), and no name outside the data.
    assert html.count("<script") == 3 and html.count("</script>") == 3
    data = re.search(r'<script type="application/json" id="ga-report-data">(.*?)</script>', html)
    names = {f["properties"]["name"] for f in json.loads(data[1])["communities"]["features"]}
    assert hostile_names["community"] in names
    outside = html.replace(data[0], "")
    assert not [n for n in range(1, 5) if f"alert({n})" in outside]


@pytest.mark.browser
@pytest.mark.django_db
def test_report_map_in_chromium_shows_hostile_names_as_text(
    hostile_names, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    html = report_map_html(distance_m=500)
    drawn = Community.objects.count() + ServiceStation.objects.count()
    dialogs, problems, fetched = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("request", lambda r: fetched.append(r.url))
            page.set_content(html)
            page.wait_for_function("() => window.gridatlasReportMap !== undefined")
            # Open every station's and community's tooltip and read what a user would see.
            shown = page.evaluate(
                """() => {
                  const texts = [];
                  window.gridatlasReportMap.eachLayer((layer) => {
                    const station = layer.options && layer.options.fillColor === "#e31a1c";
                    if (!layer.getTooltip || !layer.getTooltip() || !(layer.feature || station))
                      return;
                    layer.openTooltip(station ? layer.getLatLng() : layer.getBounds().getCenter());
                    texts.push(layer.getTooltip().getElement().textContent);
                  });
                  return texts;
                }"""
            )
            injected = page.locator(".leaflet-tooltip img, .leaflet-tooltip script").count()
            page.screenshot(path=artifacts_dir / "report-map-hostile-names.png")
        finally:
            browser.close()
    assert dialogs == [] and problems == [], (dialogs, problems)
    assert injected == 0 and len(shown) == drawn  # every community and station, with its tooltip
    assert [u for u in fetched if not u.startswith(("data:", "about:"))] == []
    text = "\n".join(shown)
    for name in hostile_names.values():
        assert name in text, name


# --- layer exports --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_layer_exports_keep_names_as_text_and_import_back_exactly(tiny_city, tmp_path):
    station = _station_in_a_community()
    community = station.community
    Community.objects.filter(pk=community.pk).update(name=LINK)
    ServiceStation.objects.filter(pk=station.pk).update(name=AT)

    out = tmp_path / "communities.csv"
    call_command(
        "export_layer", "communities", "--format", "csv", "--output", str(out),
        "--community", community.code, verbosity=0,
    )  # fmt: skip
    header, *rows = _csv_rows(out.read_bytes())
    row = dict(zip(header, rows[0], strict=True))
    assert row["name"] == "'" + LINK
    assert not row["lon"].startswith("'") and float(row["lon"]) > 0  # numbers stay numbers

    stations = tmp_path / "stations.csv"
    call_command(
        "export_layer", "stations", "--format", "csv", "--output", str(stations), verbosity=0
    )
    header, *rows = _csv_rows(stations.read_bytes())
    assert ["'" + AT] == [r[header.index("name")] for r in rows if r[0].endswith(AT)]

    # The round trip: the importer takes the ' off again.
    Community.objects.filter(pk=community.pk).update(name="改过的名字")
    report = layer_import(layer="communities", path=out, dry_run=False)
    assert report.errors == [], report.as_text()
    assert Community.objects.get(pk=community.pk).name == LINK

    # XLSX (GDAL): the name is a text cell, coordinates numbers, and it imports back too.
    xlsx = tmp_path / "stations.xlsx"
    call_command("export_layer", "stations", "--format", "xlsx", "--output", str(xlsx), verbosity=0)
    sheet = load_workbook(xlsx).worksheets[0]
    _assert_no_formula([c for row in sheet.iter_rows() for c in row])
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("name")].value == AT)
    assert row[header.index("name")].data_type == "s"
    assert row[header.index("lon")].data_type == "n"
    ServiceStation.objects.filter(pk=station.pk).delete()
    report = layer_import(layer="stations", path=xlsx, dry_run=False)
    assert report.errors == [], report.as_text()
    assert ServiceStation.objects.filter(name=AT).count() == 1


# --- the batch lookup -----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_batch_lookup_output_holds_no_formula(tiny_city, fmt):
    station = _station_in_a_community()
    Community.objects.filter(pk=station.community_id).update(name=LINK)
    ServiceStation.objects.filter(pk=station.pk).update(name=AT)
    header = ["名称", "备注", "lon", "lat"]
    rows = [[AT, "-3.5", f"{station.geom.x:.7f}", f"{station.geom.y:.7f}"]]
    result = batch_lookup(table=Table(fmt, header, rows), crs="wgs84")
    data = table_write(result.table)
    out = dict(zip([*header, *ADDED_COLUMNS], result.table.rows[0], strict=True))
    assert out["社区"] == LINK and out["最近驿站"] == AT

    if fmt == "csv":
        written = dict(zip(*_csv_rows(data), strict=True))
        assert written["名称"] == written["最近驿站"] == "'" + AT
        assert written["社区"] == "'" + LINK
        assert written["备注"] == "-3.5" and written["lon"] == rows[0][2]
    else:
        cells = _xlsx_cells(data)
        _assert_no_formula(cells)
        assert {c.value for c in cells if c.data_type == "s"} >= {LINK, AT, "-3.5"}
    # Sent back in, the file reads as the table that was written.
    again = table_read(data=data, filename=f"out.{fmt}")
    assert again.rows == result.table.rows


# --- the analysis report and the siting CSV -------------------------------------------------------
@pytest.mark.django_db
def test_analysis_report_xlsx_and_csv_hold_no_formula(tiny_city):
    station = _station_in_a_community()
    Community.objects.filter(pk=station.community_id).update(name=LINK)
    ServiceStation.objects.filter(pk=station.pk).update(name=AT)
    sheets = report_sheets(distance_m=500, mode="straight", by="community", levels=None)
    cells = _xlsx_cells(sheets_xlsx(sheets))
    _assert_no_formula(cells)
    assert LINK in {c.value for c in cells if c.data_type == "s"}
    assert any(c.data_type == "n" for c in cells)  # figures stay numbers
    coverage = next(s for s in sheets if s.name == "coverage")
    header, *rows = _csv_rows(sheet_csv(coverage))
    names = [row[header.index("name")] for row in rows]
    assert "'" + LINK in names and LINK not in names


def test_siting_csv_escapes_names():
    site = SiteProposal(
        rank=1, lon=114.3, lat=30.5, x_m=-3.5, y_m=1.0, households_added=10,
        households_cumulative=10, nearest_station_id=1, nearest_station_name=AT,
        nearest_station_m=12.0, nearest_station_walk_m=15.0, community_id=1,
        community_code="420106001001", community_name=LINK, building_id=None,
    )  # fmt: skip
    proposal = SitingProposal([site], 500.0, "buildings", 1, 10, 1)
    header, row = _csv_rows(sites_csv(proposal).encode())
    cells = dict(zip(header, row, strict=True))
    assert cells["community_name"] == "'" + LINK and cells["nearest_station_name"] == "'" + AT
    assert cells["x_m"] == "-3.5"

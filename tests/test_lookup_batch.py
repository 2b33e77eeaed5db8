"""Batch lookup on the tiny demo city: the service the background job runs (tests/test_jobs.py has
POST /api/lookup/batch and the worker) and `manage.py lookup`, with CSV (UTF-8 and GBK) and XLSX;
the batch answers equal the one-point card; bad files are refused naming the problem."""

import csv
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook, load_workbook

from geo.chinese_crs import gcj02_from_wgs84
from geo.errors import BadRequest
from layers.models import Grid
from layers.selectors.batch_points import point_columns
from layers.selectors.lookup import grid_card_for_point
from layers.services.lookup_batch import ADDED_COLUMNS, batch_lookup, table_read, table_write


def grid_points(n=3):
    grids = Grid.objects.order_by("code")[:n]
    return [(g.code, g.geom.point_on_surface) for g in grids]


def run(name, data, crs="wgs84"):
    """What the batch-lookup job does with an uploaded file: the result and the file written."""
    table = table_read(data=data, filename=name)
    result = batch_lookup(table=table, crs=crs)
    return result, table_write(result.table)


def csv_bytes(rows, encoding="utf-8"):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def read_csv(data, encoding="utf-8-sig"):
    return list(csv.reader(io.StringIO(data.decode(encoding))))


@pytest.mark.django_db
def test_batch_points_equal_the_one_point_card(tiny_city):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) e FROM layers_grid) s"
        )
        west, south, east, north = cur.fetchone()
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(west, east, 150), rng.uniform(south, north, 150)
    cols = point_columns(lons=lons, lats=lats)
    inside = 0
    for k in range(len(lons)):
        card = grid_card_for_point(lon=lons[k], lat=lats[k], contacts_visible=False)
        assert cols.grid_code[k] == (card.grid["code"] if card.grid else "")
        assert cols.microgrid_code[k] == (card.microgrid["code"] if card.microgrid else "")
        assert cols.station_name[k] == card.stations[0]["name"]
        assert cols.station_distance_m[k] == pytest.approx(card.stations[0]["distance_m"], abs=0.2)
        inside += bool(card.grid)
    assert 20 < inside < 150  # the sample has points in grids and outside


@pytest.mark.django_db
def test_csv_of_points_gets_grid_columns_and_unmatched_reasons(tiny_city):
    points = grid_points()
    rows = [["name", "lon", "lat"]]
    rows += [[code, f"{p.x:.7f}", f"{p.y:.7f}"] for code, p in points]
    rows += [["nowhere", "100.0", "20.0"], ["typo", "abc", "30.5"]]
    result, data = run("points.csv", csv_bytes(rows))
    assert result.matched == 3
    out = read_csv(data)
    assert out[0] == rows[0] + list(ADDED_COLUMNS)
    grid_col = out[0].index("网格编码")
    for code, row in zip([c for c, _ in points], out[1:4], strict=True):
        assert row[grid_col] == code and row[:3] == next(x for x in rows if x[0] == code)
    assert out[4][grid_col] == "" and out[4][-1] == "不在任何网格内"
    assert out[5][-1] == "经纬度不是以度为单位的坐标"
    assert result.unmatched == [(5, "不在任何网格内"), (6, "经纬度不是以度为单位的坐标")]


@pytest.mark.django_db
def test_gbk_csv_with_chinese_headers_and_gcj02(tiny_city):
    points = grid_points(2)
    rows = [["名称", "经度", "纬度"]]
    for code, p in points:
        lon, lat = gcj02_from_wgs84(p.x, p.y)
        rows.append([f"网格{code}", f"{lon:.8f}", f"{lat:.8f}"])
    _, data = run("采集点.csv", csv_bytes(rows, "gbk"), crs="gcj02")
    out = read_csv(data, "gb18030")  # written back in the encoding it came in
    assert out[1][0] == f"网格{points[0][0]}"
    assert [row[out[0].index("网格编码")] for row in out[1:]] == [c for c, _ in points]


@pytest.mark.django_db
def test_xlsx_round_trip(tiny_city):
    points = grid_points(2)
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "Longitude", "Latitude"])
    for i, (_, p) in enumerate(points):
        sheet.append([i, p.x, p.y])  # numbers, as Excel stores them
    data = io.BytesIO()
    book.save(data)
    _, written = run("pts.xlsx", data.getvalue())
    rows = list(load_workbook(io.BytesIO(written)).active.iter_rows(values_only=True))
    assert rows[0][3:] == ADDED_COLUMNS
    assert [row[rows[0].index("网格编码")] for row in rows[1:]] == [c for c, _ in points]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("a.csv", "名称,备注\n甲,乙\n".encode(), "no address column"),
        ("a.xlsx", b"this is not a zip", "not a readable .xlsx"),
        ("a.txt", b"lon,lat\n1,2\n", "send a .csv or .xlsx"),
        ("a.csv", b"   ", "is empty"),
        ("a.csv", b"lon,lat\n114.3,30.5,9\n", "row 2: 3 cells but 2 headers"),
        ("a.csv", bytes([0x81, 0x30, 0xFE, 0xFF, 0x00]) * 50, "encoding"),
    ],
)
def test_bad_files_are_refused_naming_the_problem(tiny_city, name, data, message):
    with pytest.raises(BadRequest) as refused:
        run(name, data)
    assert message in refused.value.message


@pytest.mark.django_db
def test_too_many_rows(tiny_city, settings):
    settings.GRIDATLAS_BATCH_MAX_ROWS = 2
    with pytest.raises(BadRequest, match="split it into files of 2"):
        run("a.csv", b"lon,lat\n1,1\n2,2\n3,3\n")


@pytest.mark.django_db
def test_lookup_command_writes_the_file_and_lists_unmatched(tiny_city, tmp_path):
    code, p = grid_points(1)[0]
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes([["lon", "lat"], [p.x, p.y], [0, 0]]))
    out = io.StringIO()
    call_command("lookup", str(source), stdout=out)
    text = out.getvalue()
    assert "2 rows: 1 matched, 1 not" in text and "row 3: 不在任何网格内" in text
    result = read_csv((tmp_path / "in-lookup.csv").read_bytes())
    assert result[1][result[0].index("网格编码")] == code
    with pytest.raises(CommandError, match="no such file"):
        call_command("lookup", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="no address column"):
        (tmp_path / "bad.csv").write_bytes(b"a,b\n1,2\n")
        call_command("lookup", str(tmp_path / "bad.csv"))

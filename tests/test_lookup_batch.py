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
from layers.models import Building, Grid, Job, JobFile, Xiaoqu
from layers.selectors.address_search import address_candidates
from layers.selectors.batch_points import point_columns
from layers.selectors.lookup import grid_card_for_point
from layers.services.lookup_batch import ADDED_COLUMNS, batch_lookup, table_read, table_write
from layers.services.lookup_batch_table import UNMATCHED_SHEET


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
def test_points_the_single_lookup_refuses_are_refused_in_a_sheet_too(tiny_city):
    """(0, 0) (a GPS with no fix) and a point abroad are not answered with a far-away grid."""
    (code, p), *_ = grid_points(1)
    rows = [["name", "lon", "lat"], ["ok", f"{p.x:.7f}", f"{p.y:.7f}"], ["nofix", "0", "0"]]
    rows += [["paris", "2.3522", "48.8566"]]
    result, data = run("refused.csv", csv_bytes(rows))
    out = read_csv(data)
    grid_col, station_col = out[0].index("网格编码"), out[0].index("最近驿站")
    assert out[1][grid_col] == code and result.matched == 1
    assert out[2][grid_col] == "" and out[2][station_col] == "" and "(0, 0)" in out[2][-1]
    assert out[3][grid_col] == "" and "不在中国境内" in out[3][-1]
    assert [n for n, _ in result.unmatched] == [3, 4]


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
    assert "2 rows: 1 matched, 1 not" in text and "row 3: 经纬度为 (0, 0)" in text
    result = read_csv((tmp_path / "in-lookup.csv").read_bytes())
    assert result[1][result[0].index("网格编码")] == code
    with pytest.raises(CommandError, match="no such file"):
        call_command("lookup", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="no address column"):
        (tmp_path / "bad.csv").write_bytes(b"a,b\n1,2\n")
        call_command("lookup", str(tmp_path / "bad.csv"))


# --- rows looked up by what they have (issue 13, finding 5) ---------------------------------------
def certain_buildings(n):
    """n buildings of compounds with the address that names them certainly, their address
    point, and the grid that point lies in."""
    out = []
    for b in Building.objects.exclude(xiaoqu=None).select_related("xiaoqu").order_by("code"):
        q = f"{b.xiaoqu.name}{b.name}"
        found = address_candidates(q=q, limit=2)
        if found.certain and found.candidates[0].building_code == b.code:
            top = found.candidates[0]
            out.append((b, q, top.lon, top.lat))
        if len(out) == n:
            break
    cols = point_columns(lons=np.array([o[2] for o in out]), lats=np.array([o[3] for o in out]))
    return [(*o, cols.grid_code[k]) for k, o in enumerate(out)]


def an_uncertain_address():
    """A range of two buildings of one compound: the text pins neither."""
    for b in Building.objects.exclude(xiaoqu=None).select_related("xiaoqu").order_by("code"):
        n = int("".join(ch for ch in b.name if ch.isdigit()) or 0)
        if (
            Building.objects.filter(xiaoqu=b.xiaoqu, name=f"{n + 1}栋").exists()
            and b.name == f"{n}栋"
        ):
            q = f"{b.xiaoqu.name}{n}栋到{n + 1}栋"
            found = address_candidates(q=q)
            assert found.candidates and not found.certain
            return q, found.candidates[0]
    raise AssertionError("the tiny city has no compound with buildings n and n + 1")


def cells(header, row):
    return dict(zip(header, row, strict=True))


@pytest.mark.django_db
def test_a_mixed_sheet_is_looked_up_row_by_row_by_what_each_row_has(tiny_city):
    (a, qa, lon_a, lat_a, grid_a), (b, qb, lon_b, lat_b, grid_b), (c, qc, *_c) = certain_buildings(
        3
    )
    other = next(g for g in Grid.objects.order_by("code") if g.code != grid_b)
    far = other.geom.point_on_surface
    uncertain, candidate = an_uncertain_address()
    point_code, point = grid_points(1)[0]
    header = ["编号", "地址", "经度", "纬度"]
    rows = [
        ["1", qa, "", ""],  # row 2: an address only
        ["2", "", f"{point.x:.7f}", f"{point.y:.7f}"],  # row 3: a point only
        ["", "", "", ""],  # row 4: blank, kept in its place
        ["3", qa, f"{lon_a:.7f}", f"{lat_a:.7f}"],  # row 5: both, agreeing
        ["4", qb, f"{far.x:.7f}", f"{far.y:.7f}"],  # row 6: both, in another grid
        ["5", uncertain, "", ""],  # row 7: an address the text cannot pin
        ["6", "没有这个小区99栋", "", ""],  # row 8: no such address
        ["7", qc, "north", "east"],  # row 9: coordinates that are none, a good address
    ]
    result, data = run("混合.csv", csv_bytes([header, *rows], "gbk"))
    out = read_csv(data, "gb18030")
    assert out[0] == header + list(ADDED_COLUMNS)
    assert [r[:4] for r in out[1:]] == rows  # every row, in order
    by_row = {n: cells(out[0], r) for n, r in enumerate(out[1:], start=2)}

    assert by_row[2]["网格编码"] == grid_a and by_row[2]["匹配方式"] == "地址"
    assert (by_row[2]["小区"], by_row[2]["楼栋"]) == (a.xiaoqu.name, a.name)
    assert by_row[2]["匹配结果"] == "已匹配"
    assert by_row[3]["网格编码"] == point_code and by_row[3]["匹配方式"] == "坐标"
    assert by_row[4]["匹配结果"] == "空行" and by_row[4]["网格编码"] == ""
    assert by_row[5]["匹配方式"] == "坐标+地址" and by_row[5]["网格编码"] == grid_a
    assert by_row[5]["距离差(米)"] == "0" and by_row[5]["楼栋"] == a.name

    flagged = by_row[6]
    assert flagged["匹配方式"] == "坐标+地址" and flagged["网格编码"] == flagged["网格"] == ""
    assert flagged["街道"] == flagged["社区"] == flagged["小区"] == ""
    assert int(flagged["距离差(米)"]) > 0 and flagged["候选"] == f"{b.xiaoqu.name}{b.name}"
    assert f"坐标在网格 {other.code}" in flagged["匹配结果"]
    assert f"地址在网格 {grid_b}" in flagged["匹配结果"]

    assert by_row[7]["网格编码"] == "" and by_row[7]["匹配结果"] == "不确定，请核对"
    assert by_row[7]["候选"] == f"{candidate.xiaoqu_name}{candidate.building_name}"
    assert by_row[8]["匹配结果"] == "未找到地址" and by_row[8]["匹配方式"] == ""
    assert by_row[9]["匹配方式"] == "地址" and by_row[9]["楼栋"] == c.name
    assert by_row[9]["匹配结果"] == "经纬度不是以度为单位的坐标：按地址匹配"

    assert result.matched == 4 and result.blank == 1
    assert [n for n, _ in result.unmatched] == [6, 7, 8]  # the spreadsheet's row numbers


@pytest.mark.django_db
def test_a_disagreement_closer_than_the_setting_in_the_same_grid_is_no_disagreement(
    tiny_city, settings
):
    (a, qa, lon, lat, grid), *_ = certain_buildings(1)
    moved = [lon + 0.0003, lat]  # about 29 m east
    if point_columns(lons=np.array(moved[:1]), lats=np.array([lat])).grid_code[0] != grid:
        moved = [lon - 0.0003, lat]
    table_rows = [["地址", "lon", "lat"], [qa, f"{moved[0]:.7f}", f"{moved[1]:.7f}"]]
    settings.GRIDATLAS_BATCH_DISAGREE_M = 100
    result, _ = run("a.csv", csv_bytes(table_rows))
    row = cells(result.table.header, result.table.rows[0])
    assert row["网格编码"] == grid and 20 < int(row["距离差(米)"]) < 40
    settings.GRIDATLAS_BATCH_DISAGREE_M = 10
    result, _ = run("a.csv", csv_bytes(table_rows))
    row = cells(result.table.header, result.table.rows[0])
    assert row["网格编码"] == "" and "相距" in row["匹配结果"] and result.unmatched[0][0] == 2


@pytest.mark.django_db
def test_xlsx_keeps_blank_rows_and_numbers_rows_as_the_sheet_does(tiny_city):
    (a, qa, *_), *_ = certain_buildings(1)
    book = Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"] = "名称", "地址"
    sheet["A2"], sheet["B2"] = "甲", qa
    sheet["A5"], sheet["B5"] = "乙", "没有这个小区99栋"  # rows 3 and 4 are blank
    sheet["A7"], sheet["B7"] = "丙", ""  # row 6 blank; no address in row 7
    data = io.BytesIO()
    book.save(data)
    result, written = run("名单.xlsx", data.getvalue())
    assert [r[0] for r in result.table.rows] == ["甲", "", "", "乙", "", "丙"]
    assert result.unmatched == [(5, "未找到地址"), (7, "地址为空")]
    workbook = load_workbook(io.BytesIO(written))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 7 and rows[4][0] == "乙"
    listed = list(workbook[UNMATCHED_SHEET].iter_rows(values_only=True))
    assert listed[0][0] == "行号"
    assert [(r[0], r[1], r[-1]) for r in listed[1:]] == [
        (5, "乙", "未找到地址"),
        (7, "丙", "地址为空"),
    ]


@pytest.mark.django_db
def test_the_unmatched_list_is_complete_in_the_file_and_counted_in_the_summary(tiny_city):
    from django.contrib.auth import get_user_model

    from layers.jobs import UNMATCHED_LISTED, batch_lookup_run

    n = UNMATCHED_LISTED + 234
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "lon", "lat"])
    for i in range(n):  # coordinates that are none: unmatched without a lookup each
        sheet.append([f"p{i}", "abc", "30.5"])
    data = io.BytesIO()
    book.save(data)
    user = get_user_model().objects.create_user("counted")
    job = Job.objects.create(
        kind=Job.Kind.BATCH_LOOKUP, owner=user, params={"crs": "wgs84"}, language="zh-hans"
    )
    JobFile.objects.create(
        job=job, role=JobFile.Role.INPUT, name="many.xlsx", content_type="x", data=data.getvalue()
    )
    batch_lookup_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    summary = job.summary
    assert summary["unmatched_count"] == n and summary["unmatched_capped"] is True
    assert len(summary["unmatched"]) == UNMATCHED_LISTED
    assert summary["unmatched"][-1]["row"] == UNMATCHED_LISTED + 1
    result = JobFile.objects.get(job=job, role=JobFile.Role.RESULT)
    listed = list(load_workbook(io.BytesIO(bytes(result.data)))[UNMATCHED_SHEET].values)
    assert len(listed) == n + 1 and [r[0] for r in listed[1:]] == list(range(2, n + 2))


@pytest.mark.django_db
def test_progress_is_reported_while_addresses_are_looked_up(tiny_city):
    (a, qa, *_), *_ = certain_buildings(1)
    uncertain, _ = an_uncertain_address()
    rows = [["地址"]] + [[qa]] * 150 + [[uncertain]] * 250
    seen = []
    table = table_read(data=csv_bytes(rows), filename="p.csv")
    result = batch_lookup(table=table, crs="wgs84", progress=seen.append)
    assert result.matched == 150
    assert seen[-1] == 400 and seen == sorted(seen) and len(seen) >= 3


@pytest.mark.django_db
def test_a_large_sheet_on_several_connections_answers_as_one_by_one(tiny_city, settings):
    """The same rows on one connection and on three at once: the same file (the parallel path
    only splits the work; tiny_city is committed, so other connections see it)."""
    names = list(Xiaoqu.objects.order_by("code").values_list("name", flat=True)[:6])
    rows = [["地址"]] + [[f"{n}{k}栋"] for n in names for k in range(1, 5)]
    rows += [["武昌区某路20号"], [""], ["不存在的小区9栋"]]
    data = csv_bytes(rows)
    settings.GRIDATLAS_BATCH_PARALLEL_MIN_ROWS = 10**9
    one = run("one.csv", data)
    settings.GRIDATLAS_BATCH_PARALLEL_MIN_ROWS = 1
    settings.GRIDATLAS_BATCH_THREADS = 3
    several = run("several.csv", data)
    assert several[1] == one[1]
    assert several[0].matched == one[0].matched > 0

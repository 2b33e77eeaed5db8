"""Batch lookup of a spreadsheet: CSV (UTF-8 or GBK, as Excel in China saves it) or XLSX in, the
same table out with grid columns added, and the rows that did not match, with the reason.

Rows hold either coordinates (lon/lat columns, 经度/纬度) or an address (地址/address). Points are
looked up all at once (layers.selectors.batch_points); addresses one by one.
"""

import csv
import io
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _

from geo.chinese_crs import to_wgs84_many
from geo.errors import BadRequest
from geo.spreadsheet import csv_row, csv_text_read, xlsx_row
from layers.io.archive_guard import csv_records, xlsx_table
from layers.selectors.address_search import address_candidates
from layers.selectors.batch_points import point_columns

FORMATS = ("csv", "xlsx")
ADDRESS_COLUMNS = ("address", "addr", "地址", "详细地址", "住址", "q")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "经度", "x")
LAT_COLUMNS = ("lat", "latitude", "纬度", "y")
ADDED_COLUMNS = (
    "街道",
    "社区",
    "网格编码",
    "网格",
    "微网格编码",
    "微网格",
    "最近驿站",
    "驿站距离(米)",
    "匹配结果",
)


@dataclass
class Table:
    fmt: str  # csv | xlsx
    header: list[str]
    rows: list[list[str]]
    encoding: str = "utf-8-sig"  # CSV only: written back in the encoding it came in


@dataclass
class BatchResult:
    table: Table
    matched: int
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


def _format_of(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise BadRequest(f"{filename!r}: send a .csv or .xlsx file")
    return suffix


def csv_decode(data: bytes, filename: str) -> tuple[str, str]:
    # UTF-8 first, then GB18030 (the superset of GBK that Excel in China saves CSVs in): both
    # are strict, so a wrong guess fails instead of giving mojibake. Anything else is guessed.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise BadRequest(f"{filename}: cannot tell the text encoding; save it as UTF-8 or GBK CSV")
    return str(best), best.encoding


def table_read(*, data: bytes, filename: str) -> Table:
    """Parse an uploaded file into a header and rows of strings; BadRequest says what is wrong."""
    fmt = _format_of(filename)
    if not data.strip():
        raise BadRequest(f"{filename} is empty")
    if fmt == "xlsx":
        limit = settings.GRIDATLAS_BATCH_MAX_ROWS
        header, rows = xlsx_table(source=data, name=filename, max_rows=limit)
        encoding = "utf-8-sig"
    else:
        text, encoding = csv_decode(data, filename)
        # Counted while parsed: a file over the cap stops at its first row past it.
        capped = csv_records(text=text, name=filename, max_rows=settings.GRIDATLAS_BATCH_MAX_ROWS)
        records = [[csv_text_read(c) for c in r] for r in capped]
        header, rows = records[0], records[1:]
    header = [h.strip() for h in header]
    rows = [r for r in rows if any(c.strip() for c in r)]
    for n, row in enumerate(rows, start=2):
        if len(row) > len(header):
            raise BadRequest(f"{filename}, row {n}: {len(row)} cells but {len(header)} headers")
        row.extend([""] * (len(header) - len(row)))
    limit = settings.GRIDATLAS_BATCH_MAX_ROWS
    if len(rows) > limit:
        raise BadRequest(f"{filename} has {len(rows):,} rows; split it into files of {limit:,}")
    return Table(fmt, header, rows, encoding)


def xlsx_rows(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BadRequest(f"{filename} is not a readable .xlsx workbook ({exc})") from None
    sheet = book.worksheets[0]
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    if not cells:
        raise BadRequest(f"{filename}: the first sheet is empty")
    return cells[0], cells[1:]


def table_write(table: Table) -> bytes:
    if table.fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("lookup")
        for row in [table.header, *table.rows]:
            sheet.append(xlsx_row(sheet, row))  # names as text cells, never formulas
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    # A formula-like cell gets a leading ' (geo.spreadsheet); table_read takes it off again.
    csv.writer(text).writerows(csv_row(r) for r in [table.header, *table.rows])
    try:
        return text.getvalue().encode(table.encoding)
    except UnicodeEncodeError:
        return text.getvalue().encode("utf-8-sig")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def batch_lookup(
    *, table: Table, crs: str, progress: Callable[[int], None] | None = None
) -> BatchResult:
    """Add ADDED_COLUMNS to every row: by coordinates when the table has lon/lat columns, else by
    address. `crs` is the coordinates' system (wgs84, gcj02, bd09); `progress(n)` after n rows."""
    lon_i, lat_i = _column(table.header, LON_COLUMNS), _column(table.header, LAT_COLUMNS)
    addr_i = _column(table.header, ADDRESS_COLUMNS)
    if lon_i is not None and lat_i is not None:
        result = _by_points(table, lon_i, lat_i, crs)
    elif addr_i is not None:
        result = _by_addresses(table, addr_i, progress)
    else:
        raise BadRequest(
            "no address column (地址 or address) and no coordinate columns (经度/纬度 or lon/lat); "
            f"the columns are: {', '.join(table.header) or '(none)'}"
        )
    if progress is not None:
        progress(len(table.rows))
    return result


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        return math.nan


def _grid_cells(cols, k: int) -> list[str]:
    """The added columns but the last (the match note), for point k of a PointColumns."""
    distance = cols.station_distance_m[k]
    return [
        cols.street_name[k],
        cols.community_name[k],
        cols.grid_code[k],
        cols.grid_name[k],
        cols.microgrid_code[k],
        cols.microgrid_name[k],
        cols.station_name[k],
        "" if math.isnan(distance) else f"{distance:.0f}",
    ]


def _by_points(table: Table, lon_i: int, lat_i: int, crs: str) -> BatchResult:
    lons = np.array([_number(r[lon_i]) for r in table.rows])
    lats = np.array([_number(r[lat_i]) for r in table.rows])
    bad = ~np.isfinite(lons) | ~np.isfinite(lats) | (np.abs(lons) > 180) | (np.abs(lats) > 90)
    good = np.flatnonzero(~bad)
    wgs_lon, wgs_lat = to_wgs84_many(lons[good], lats[good], crs=crs)
    cols = point_columns(lons=np.asarray(wgs_lon), lats=np.asarray(wgs_lat))
    out = Table(table.fmt, [*table.header, *ADDED_COLUMNS], [], table.encoding)
    unmatched: list[tuple[int, str]] = []
    position = {int(row): k for k, row in enumerate(good)}
    for i, row in enumerate(table.rows):
        k = position.get(i)
        if k is None:
            reason = _("lon/lat are not coordinates in degrees")
            out.rows.append([*row, *[""] * (len(ADDED_COLUMNS) - 1), reason])
            unmatched.append((i + 2, reason))
            continue
        in_grid = bool(cols.grid_code[k])
        reason = _("matched") if in_grid else _("in no grid")
        if not in_grid:
            unmatched.append((i + 2, reason))
        out.rows.append([*row, *_grid_cells(cols, k), reason])
    return BatchResult(out, len(table.rows) - len(unmatched), unmatched)


def _by_addresses(table: Table, addr_i: int, progress) -> BatchResult:
    points: list[tuple[float, float] | None] = []
    notes: list[str] = []
    for i, row in enumerate(table.rows):
        text = row[addr_i].strip()
        try:
            found = address_candidates(q=text, limit=1) if text else None
        except BadRequest as exc:
            found, text = None, exc.message
        if found and found.candidates:
            top = found.candidates[0]
            points.append((top.lon, top.lat))
            notes.append(_("matched") if found.certain else _("uncertain: check it"))
        else:
            points.append(None)
            notes.append(_("address not found") if text else _("empty address"))
        if progress is not None and i % 100 == 99:
            progress(i + 1)
    located = [p for p in points if p is not None]
    cols = point_columns(
        lons=np.array([p[0] for p in located]), lats=np.array([p[1] for p in located])
    )
    out = Table(table.fmt, [*table.header, *ADDED_COLUMNS], [], table.encoding)
    unmatched: list[tuple[int, str]] = []
    k = 0
    for i, (row, point, note) in enumerate(zip(table.rows, points, notes, strict=True)):
        if point is None:
            out.rows.append([*row, *[""] * (len(ADDED_COLUMNS) - 1), note])
            unmatched.append((i + 2, note))
            continue
        out.rows.append([*row, *_grid_cells(cols, k), note])
        if note != _("matched"):
            unmatched.append((i + 2, note))
        k += 1
    return BatchResult(out, len(table.rows) - len(unmatched), unmatched)

"""Bombs refused before they are parsed: zip archives (a Shapefile's .zip, an XLSX workbook)
checked from their central directory, and tables counted while they stream.

A 534 KB XLSX can hold 3 million rows (deflate packs a repeated row ~1000:1); parsed whole it
took a minute and a gigabyte before the row cap refused it. Here, in order of cost:
1. the zip directory (no byte unpacked): the total the members unpack to, and each large
   member's unpacked:packed ratio, against GRIDATLAS_ZIP_MAX_UNPACKED_BYTES / _MAX_RATIO;
2. every sheet's `<row>` elements counted by expat with no tree (constant memory), stopping at
   the cap + 1. Not openpyxl's `ws.max_row`: a sheet without a `<dimension>` element makes
   openpyxl parse the whole sheet into a tree just to size it, for every sheet, on opening;
3. the rows openpyxl then reads, counted again (the one sheet read) as they stream; a CSV's
   rows are counted as they are parsed, line by line.
Python's zipfile never unpacks more than a member's declared size, so the directory's sizes are
binding: a member that lies about them fails its CRC instead of growing.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.parsers import expat

from django.conf import settings

from geo.errors import BadRequest


def _mb(n: float) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def zip_check(*, source, name: str) -> None:
    """Refuse a zip archive (a path, bytes or a binary file) that would unpack to more than the
    limits allow; a file that is no zip at all is left to its reader to report."""
    opened = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with zipfile.ZipFile(opened) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return
    total = sum(m.file_size for m in members)
    limit = settings.GRIDATLAS_ZIP_MAX_UNPACKED_BYTES
    if total > limit:
        raise BadRequest(
            f"{name} would unpack to {_mb(total)}, more than the {_mb(limit)} accepted "
            "(GRIDATLAS_ZIP_MAX_UNPACKED_BYTES): split it into smaller files",
            unpacked_bytes=total,
            limit_bytes=limit,
        )
    max_ratio = settings.GRIDATLAS_ZIP_MAX_RATIO
    for m in members:
        if m.file_size < settings.GRIDATLAS_ZIP_RATIO_MIN_BYTES:
            continue
        ratio = m.file_size / max(m.compress_size, 1)
        if ratio > max_ratio:
            raise BadRequest(
                f"{name}: {m.filename} packs {_mb(m.file_size)} into {m.compress_size:,} bytes "
                f"({ratio:,.0f}:1, more than the {max_ratio:g}:1 real files reach; "
                "GRIDATLAS_ZIP_MAX_RATIO): this looks like a zip bomb, not data; export the "
                "data again from its source",
                ratio=round(ratio),
                limit_ratio=max_ratio,
            )


def rows_capped(
    records: Iterable[list],
    *,
    name: str,
    max_rows: int,
    max_columns: int | None = None,
    keep_blank: bool = False,
) -> Iterator[list]:
    """The records (header first) with blank rows dropped, stopping with a BadRequest as soon as
    more than `max_rows` rows follow the header, or a row has more than `max_columns` cells:
    nothing past the cap is read. `keep_blank` keeps blank rows between rows (record i is then
    the sheet's row i + 1) but not after the last: they count once a row follows them."""
    max_columns = max_columns or settings.GRIDATLAS_TABLE_MAX_COLUMNS
    n = -1  # the header is record 0
    blanks: list[list] = []  # kept blank rows not yet followed by a row
    held = 0
    for record in records:
        if len(record) > max_columns:
            raise BadRequest(
                f"{name}, row {n + held + 2}: {len(record):,} cells, more than the "
                f"{max_columns:,} columns a table may have (GRIDATLAS_TABLE_MAX_COLUMNS); keep "
                "the columns needed"
            )
        if n >= 0 and not any(str(c).strip() for c in record if c is not None):
            if keep_blank:
                held += 1
                if n + held <= max_rows:  # past the cap only counted: a row after them fails
                    blanks.append(record)
            continue
        n += held + 1
        if n > max_rows:
            raise BadRequest(
                f"{name} has more than {max_rows:,} rows; split it into files of {max_rows:,}",
                max_rows=max_rows,
            )
        yield from blanks
        blanks, held = [], 0
        yield record


def text_lines(text: str) -> Iterator[str]:
    """The lines of `text`, ends kept, one at a time: csv.reader takes them as from a file, with
    no second copy of the text (io.StringIO keeps one, four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def csv_records(
    *, text: str, name: str, max_rows: int, keep_blank: bool = False
) -> list[list[str]]:
    """The CSV's records (header first, blank rows dropped unless `keep_blank`), parsed row by
    row and stopped at the cap + 1 instead of reading everything first."""
    records = csv_reader(text, name=name)
    return list(rows_capped(records, name=name, max_rows=max_rows, keep_blank=keep_blank))


def csv_reader(text: str, *, name: str) -> Iterator[list[str]]:
    """csv.reader over `text`, line by line, taking fields up to GRIDATLAS_CSV_MAX_FIELD_CHARS
    (a district's WKT outline passes Python's default of 131,072), and a BadRequest naming the
    line for a longer field or a malformed record instead of csv.Error."""
    limit = settings.GRIDATLAS_CSV_MAX_FIELD_CHARS
    csv.field_size_limit(limit)  # process-wide; every CSV read here sets the same value
    reader = csv.reader(text_lines(text))
    try:
        yield from reader
    except csv.Error as exc:
        raise BadRequest(
            f"{name}, line {reader.line_num}: {exc}; a field holds at most {limit:,} characters "
            "(GRIDATLAS_CSV_MAX_FIELD_CHARS)"
        ) from None


_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


class _RowCount(Exception):
    pass


def sheet_rows_check(*, source, name: str, max_rows: int) -> None:
    """Refuse a workbook with a sheet of more than `max_rows` rows below its header, counted
    from the sheet XML by expat (no tree is built), stopping at the first row past the cap."""
    opened = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        zf = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError, EOFError):
        return  # openpyxl reports it
    with zf:
        for member in (m for m in zf.namelist() if _SHEET.fullmatch(m)):
            rows = _sheet_rows(zf, member, stop_after=max_rows + 1)
            if rows > max_rows + 1:
                raise BadRequest(
                    f"{name} has more than {max_rows:,} rows (sheet {member}); split it into "
                    f"files of {max_rows:,}",
                    max_rows=max_rows,
                )


def _sheet_rows(zf: zipfile.ZipFile, member: str, *, stop_after: int) -> int:
    count = 0

    def start(tag, _attrs):
        nonlocal count
        if tag == "row" or tag.endswith(":row"):
            count += 1
            if count > stop_after:
                raise _RowCount

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with zf.open(member) as xml:
            while chunk := xml.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RowCount:
        pass
    except (expat.ExpatError, zipfile.BadZipFile, OSError):
        return count  # a broken sheet: openpyxl says what is wrong with it
    return count


def xlsx_table(
    *, source, name: str, max_rows: int, keep_blank: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Header and rows (strings; blank rows dropped unless `keep_blank`: then rows[i] is the
    sheet's row i + 2) of the first sheet of an XLSX (a path or bytes), checked in the order of
    the module docstring before and while it streams."""
    zip_check(source=source, name=name)
    sheet_rows_check(source=source, name=name, max_rows=max_rows)
    from openpyxl import load_workbook  # a second of imports, spent on files that passed

    opened = io.BytesIO(source) if isinstance(source, bytes | bytearray) else Path(source)
    try:
        book = load_workbook(opened, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BadRequest(f"{name} is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        _dimension_check(sheet, name=name, max_rows=max_rows)
        cells = [
            ["" if v is None else str(v) for v in row]
            for row in rows_capped(
                sheet.iter_rows(values_only=True),  # missing rows come as empty ones
                name=name,
                max_rows=max_rows,
                keep_blank=keep_blank,
            )
        ]
    finally:
        book.close()
    if not cells:
        raise BadRequest(f"{name}: the first sheet is empty")
    return cells[0], cells[1:]


def _dimension_check(sheet, *, name: str, max_rows: int) -> None:
    # The sheet's <dimension> (read-only mode reads only it): one more row than the cap is the
    # header. A sheet without one gives None, and the streaming count decides.
    rows, columns = sheet.max_row, sheet.max_column
    if rows is not None and rows > max_rows + 1:
        raise BadRequest(
            f"{name} has {rows - 1:,} rows; split it into files of {max_rows:,}",
            max_rows=max_rows,
        )
    most = settings.GRIDATLAS_TABLE_MAX_COLUMNS
    if columns is not None and columns > most:
        raise BadRequest(
            f"{name} has {columns:,} columns, more than the {most:,} a table may have "
            "(GRIDATLAS_TABLE_MAX_COLUMNS); keep the columns needed"
        )

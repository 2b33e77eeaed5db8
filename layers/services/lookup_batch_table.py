"""The batch lookup's tables: a CSV (UTF-8 or GBK, as Excel in China saves it) or XLSX read into a
header and rows of strings, and written back with every cell escaped (geo.spreadsheet).

Every input row is kept, blank ones too, so output row i is input row i and a row's number is
the one the spreadsheet shows: `Table.row_number(i)` (the header is row 1). Blank rows after the
last row are dropped. An XLSX result also holds the sheet 未匹配: every row that got no grid, with
its reason (the JSON summary of a job may list only the first of them).
"""

import csv
import io
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from django.conf import settings

from geo.errors import BadRequest
from geo.spreadsheet import csv_row, csv_text_read, xlsx_row
from layers.io.archive_guard import csv_records, xlsx_table

FORMATS = ("csv", "xlsx")
UNMATCHED_SHEET = "未匹配"
UNMATCHED_ROW_HEADER = "行号"


@dataclass
class Table:
    fmt: str  # csv | xlsx
    header: list[str]
    rows: list[list[str]]
    encoding: str = "utf-8-sig"  # CSV only: written back in the encoding it came in
    # XLSX only: a second sheet 未匹配 (header first); CSV rows carry their reasons already.
    unmatched_sheet: list[list[str]] = field(default_factory=list)

    @staticmethod
    def row_number(i: int) -> int:
        """The spreadsheet's number of data row i (0-based): the header is row 1."""
        return i + 2


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


def _blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


def table_read(*, data: bytes, filename: str) -> Table:
    """Parse an uploaded file into a header and rows of strings (blank rows kept, so that row i
    is the sheet's row i + 2); BadRequest says what is wrong, naming the row."""
    fmt = _format_of(filename)
    if not data.strip():
        raise BadRequest(f"{filename} is empty")
    limit = settings.GRIDATLAS_BATCH_MAX_ROWS
    if fmt == "xlsx":
        header, rows = xlsx_table(source=data, name=filename, max_rows=limit, keep_blank=True)
        encoding = "utf-8-sig"
    else:
        text, encoding = csv_decode(data, filename)
        # Counted while parsed: a file over the cap stops at its first row past it.
        capped = csv_records(text=text, name=filename, max_rows=limit, keep_blank=True)
        records = [[csv_text_read(c) for c in r] for r in capped]
        header, rows = records[0], records[1:]
    header = [h.strip() for h in header]
    for i, row in enumerate(rows):
        if len(row) > len(header):
            if _blank(row[len(header) :]):
                del row[len(header) :]  # empty cells past the last header (Excel's ,,,)
            else:
                raise BadRequest(
                    f"{filename}, row {Table.row_number(i)}: {len(row)} cells but "
                    f"{len(header)} headers"
                )
        row.extend([""] * (len(header) - len(row)))
    return Table(fmt, header, rows, encoding)


def table_write(table: Table) -> bytes:
    if table.fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("lookup")
        for row in [table.header, *table.rows]:
            sheet.append(xlsx_row(sheet, row))  # names as text cells, never formulas
        if table.unmatched_sheet:
            unmatched = book.create_sheet(UNMATCHED_SHEET)
            for row in table.unmatched_sheet:
                unmatched.append(xlsx_row(unmatched, row))
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

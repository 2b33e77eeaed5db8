"""Cells a spreadsheet shows as text and never runs (OWASP "CSV injection").

Excel, WPS and LibreOffice evaluate a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a
carriage return: a community named `=HYPERLINK("http://x","y")` would become a live link in a
report a leader opens. Every CSV and XLSX the product writes goes through this module:

- CSV: such text gets a leading `'` (the OWASP rule; the spreadsheet shows the text, not a
  result). `csv_text_read` undoes exactly that, so an export imports back unchanged.
- XLSX: such text is written as a string cell (openpyxl would make a str starting with `=` a
  formula) with Excel's quote prefix, so editing the cell does not turn it into a formula either.
  No prefix character is added: the cell type is the escape, and the text reads back as it was.

Text that is a plain decimal number (`-3.5`, `+86`) cannot be a formula and is left alone, so
coordinates and figures kept as text stay usable; numbers (int, float) are never touched.
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_ESCAPE = "'"
_RISKY_FIRST = frozenset((*FORMULA_STARTS, CSV_ESCAPE))
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def text_is_formula_like(text: str) -> bool:
    """True when a spreadsheet could run `text`, or when it already looks escaped (a `'` before
    such text), so that escaping and un-escaping stay exact inverses (`'=x` ↔ `''=x`)."""
    text = text.lstrip(CSV_ESCAPE)  # not recursion: a name of 5,000 quotes must not crash
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value):
    """`value` as a CSV cell: formula-like text with a leading `'`; anything else unchanged."""
    if isinstance(value, str) and text_is_formula_like(value):
        return CSV_ESCAPE + value
    return value


def csv_row(values) -> list:
    """`csv_cell` of each value; the first-character test inline keeps 100,000-row files fast."""
    return [
        CSV_ESCAPE + v
        if isinstance(v, str) and v[:1] in _RISKY_FIRST and text_is_formula_like(v)
        else v
        for v in values
    ]


def csv_text_read(text: str) -> str:
    """Undo `csv_cell` on a cell read from a CSV: drop the `'` it added, nothing else."""
    if text.startswith(CSV_ESCAPE) and text_is_formula_like(text[1:]):
        return text[1:]
    return text


def xlsx_row(sheet, values) -> list:
    """`values` for `sheet.append` (an openpyxl write-only sheet): formula-like text becomes a
    string cell with a quote prefix; numbers, dates and other text are passed as they are."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value[:1] in _RISKY_FIRST and text_is_formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl set "f" for a leading "="
            cell.quotePrefix = True
            row.append(cell)
        else:
            row.append(value)
    return row

"""The city report: the headline figures (a selector), and every analysis as a table of rows
(`Sheet`, pure) that the `coverage` command writes to CSV or XLSX.

A sheet's columns are the keys the JSON endpoints use for the same rows, so the workbook and the
API say the same thing in the same words.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from django.db import connection

from geo.city_profile import city_profile
from geo.domain import detour_factor
from geo.spreadsheet import csv_row, xlsx_row
from geo.sql import sql_text
from layers.analysis import CITY, SQL_DIR, Area
from layers.analysis.coverage import (
    LEVELS,
    CoverageReport,
    CoverageRow,
    UncoveredBuildings,
    building_coverage,
    coverage_report,
    uncovered_buildings,
)
from layers.analysis.load import LoadReport, load_report
from layers.analysis.organisation import OrganisationReport, organisation_report
from layers.analysis.pairing import PairingReport, pairing_report
from layers.models import ServiceStation

FORMATS = ("csv", "xlsx")


# --- the headline ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Headline:
    """The figures a city report quotes. Percentages are per 100 (None when the base is 0)."""

    code: str
    name: str
    communities: int
    grids: int
    compounds: int
    compounds_party: int  # compounds with a party organisation
    compounds_party_percent: float | None
    stations: dict  # by level (street, community, xiaoqu), and "total" of the levels counted
    units_paired: int  # distinct sent-down units paired with a community of the area
    pairings: int
    registered_members: int
    households: int
    coverage_distance_m: float  # the walking distance the coverage was computed for, metres
    coverage_mode: str  # straight | network
    coverage_levels: list[str]  # the station levels that count (every level when all count)
    households_covered: int
    households_covered_percent: float | None


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def city_headline(
    *,
    distance_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
) -> Headline:
    """Headline figures of `area` (the city by default): one counting statement, then the
    station coverage at `distance_m` metres of walk (`mode`) by the stations of `levels` (all
    when None): the same filters as every other figure beside it, so a "300 m report" quotes
    300 m coverage. The distance has no default on purpose: a figure that silently fell back to
    500 m is what issue 13 found."""
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "headline.sql"), area.sql_params())
        counts = dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))
    counts = {k: int(v) for k, v in counts.items()}
    cov = building_coverage(distance_m=distance_m, mode=mode, levels=levels, area=area)
    stations = {lvl: counts.pop(f"stations_{lvl}") for lvl in ServiceStation.Level.values}
    # The total counts the levels that count, as the coverage beside it does; each level's own
    # count stays, so a reader sees what the filter left out.
    stations["total"] = sum(stations[lvl] for lvl in levels or LEVELS)
    return Headline(
        code=area.code or city_profile().code,
        name=area.name or city_profile().name,
        compounds_party_percent=_percent(counts["compounds_party"], counts["compounds"]),
        stations=stations,
        coverage_distance_m=float(distance_m),
        coverage_mode=mode,
        coverage_levels=list(levels or LEVELS),
        households_covered=cov.households_covered,
        households_covered_percent=_percent(cov.households_covered, cov.households_total),
        **counts,
    )


# --- sheets ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sheet:
    """One table: a name (the XLSX sheet, or the CSV file's suffix), a header and rows."""

    name: str
    header: list[str]
    rows: list[list]


def _dict_sheet(name: str, rows: list[dict], columns: list[str] | None = None) -> Sheet:
    columns = columns or (list(rows[0]) if rows else [])
    return Sheet(name, columns, [[r.get(k) for k in columns] for r in rows])


COVERAGE_COLUMNS = [f.name for f in fields(CoverageRow)]


def coverage_sheets(report: CoverageReport) -> list[Sheet]:
    """`coverage` (the rows by division, then the total) and `coverage by level`."""
    rows = [asdict(r) for r in [*report.rows, report.total]]
    levels = [asdict(r) for r in report.by_level]
    return [
        _dict_sheet("coverage", rows, COVERAGE_COLUMNS),
        _dict_sheet("coverage by level", levels, COVERAGE_COLUMNS),
    ]


UNCOVERED_COLUMNS = [
    "code", "name", "community_code", "community_name", "street_code", "street_name",
    "grid_code", "xiaoqu_code", "xiaoqu_name", "households", "distance_m",
    "nearest_station_id", "nearest_station_name", "lon", "lat",
]  # fmt: skip


def uncovered_sheet(uncovered: UncoveredBuildings) -> Sheet:
    return _dict_sheet("uncovered buildings", uncovered.rows, UNCOVERED_COLUMNS)


def organisation_sheets(report: OrganisationReport) -> list[Sheet]:
    """`organisation` (the compounds with a gap) and `organisation by community` (counts, then
    the total)."""
    compounds = _dict_sheet("organisation", report.compounds)
    if not report.compounds:
        compounds = Sheet("organisation", ["code", "name"], [])
    counts = [*report.by_community, report.total]
    return [compounds, _dict_sheet("organisation by community", counts)]


def load_sheets(report: LoadReport) -> list[Sheet]:
    """`load` (grid rows) and `micro-grid load`."""
    return [
        _dict_sheet("load", report.grids),
        _dict_sheet("micro-grid load", report.microgrids),
    ]


PAIRING_COLUMNS = [
    "code", "name", "street_code", "street_name", "households", "units", "registered_members",
    "members_required", "shortfall", "households_per_member", "unpaired",
]  # fmt: skip


def pairing_sheet(report: PairingReport) -> Sheet:
    """`pairing`: every community, then the total."""
    return _dict_sheet("pairing", [*report.communities, report.total], PAIRING_COLUMNS)


def headline_sheet(headline: Headline) -> Sheet:
    """`headline`: one figure per row (figure, value), the coverage's distance, mode and station
    levels among them."""
    rows = []
    for key, value in asdict(headline).items():
        if isinstance(value, dict):
            rows += [[f"{key}_{k}", v] for k, v in value.items()]
        elif isinstance(value, list):
            rows.append([key, ",".join(value)])
        else:
            rows.append([key, value])
    return Sheet("headline", ["figure", "value"], rows)


@dataclass(frozen=True)
class ReportFilters:
    """The filters a report was computed for, stated in its first sheet so a figure copied out of
    the workbook can be traced to the distance, mode, levels and area it holds for."""

    distance_m: float
    mode: str
    by: str
    levels: tuple[str, ...] | None
    area: Area


def filters_sheet(filters: ReportFilters) -> Sheet:
    """`filters`: one filter per row (filter, value). Every other sheet holds for these, and
    its lists are complete (a workbook is never capped the way a page is)."""
    area = filters.area
    rows = [
        ["area_code", area.code or city_profile().code],
        ["area_name", area.name or city_profile().name],
        ["area_kind", "street" if area.street_id else "district" if area.district_id else "city"],
        ["distance_m", float(filters.distance_m)],
        ["mode", filters.mode],
        ["walk_detour_factor", detour_factor()],
        ["station_levels", ",".join(filters.levels or LEVELS)],
        ["coverage_rows_by", filters.by],
    ]
    if filters.mode == "network":
        # Said, not hidden: the organisation sheet's no_station gap is measured from the
        # compound's polygon in a straight line (layers/analysis/organisation.py), in any mode.
        rows.append(["organisation_no_station_mode", "straight"])
    return Sheet("filters", ["filter", "value"], rows)


# --- bytes ----------------------------------------------------------------------------------------
def _cell(value):
    return "" if value is None else value


def sheets_xlsx(sheets: list[Sheet]) -> bytes:
    """One workbook, one worksheet per sheet, in order; names are text cells, never formulas
    (geo.spreadsheet)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])  # Excel's limit on a sheet's name
        ws.append(xlsx_row(ws, sheet.header))
        for row in sheet.rows:
            ws.append(xlsx_row(ws, [_cell(v) for v in row]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it right; formula-like
    names get a leading ' (geo.spreadsheet)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(csv_row(sheet.header))
    writer.writerows([csv_row(_cell(v) for v in row) for row in sheet.rows])
    return text.getvalue().encode("utf-8-sig")


REPORT_STEPS = (
    "filters",
    "headline",
    "coverage",
    "uncovered buildings",
    "organisation",
    "load",
    "pairing",
)


def report_sheets(
    *,
    distance_m: float,
    mode: str,
    by: str,
    levels: tuple[str, ...] | None,
    area: Area = CITY,
    progress: Callable[[str], None] | None = None,
) -> list[Sheet]:
    """Every sheet of the coverage report, in reading order (the command's workbook and the
    dashboard's download are the same). `progress(step)` is called as each step starts."""
    kw = {"distance_m": distance_m, "levels": levels, "area": area}
    filters = ReportFilters(distance_m=distance_m, mode=mode, by=by, levels=levels, area=area)
    steps = {
        "filters": lambda: [filters_sheet(filters)],
        "headline": lambda: [headline_sheet(city_headline(mode=mode, **kw))],
        "coverage": lambda: coverage_sheets(coverage_report(mode=mode, by=by, **kw)),
        "uncovered buildings": lambda: [uncovered_sheet(uncovered_buildings(mode=mode, **kw))],
        "organisation": lambda: organisation_sheets(organisation_report(**kw)),
        "load": lambda: load_sheets(load_report(area=area, listed="all")),
        "pairing": lambda: [pairing_sheet(pairing_report(area=area))],
    }
    sheets: list[Sheet] = []
    for step in REPORT_STEPS:
        if progress is not None:
            progress(step)
        sheets += steps[step]()
    return sheets

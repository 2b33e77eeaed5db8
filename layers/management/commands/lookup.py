"""python manage.py lookup FILE [--at YYYY-MM-DD]: the batch lookup of a CSV/XLSX from the
command line; with --at, the grid and micro-grid columns are those of the layout in effect on
that date (one as-of query per row: a date is an audit question, not a bulk one)."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.chinese_crs import CHINESE_CRS, to_wgs84
from geo.domain import lonlat_valid
from geo.errors import DomainError
from layers.selectors.address_search import address_candidates
from layers.selectors.lookup import grid_as_of
from layers.services.lookup_batch import (
    ADDED_COLUMNS,
    ADDRESS_COLUMNS,
    LAT_COLUMNS,
    LON_COLUMNS,
    BatchResult,
    Table,
    batch_lookup,
    table_read,
    table_write,
)

UNMATCHED_PRINTED = 20


class Command(BaseCommand):
    help = (
        "Add grid columns (street, community, grid, micro-grid, nearest station) to every row of "
        "a CSV or XLSX of addresses (column 地址/address) or coordinates (经度/纬度 or lon/lat), "
        "and list the rows that did not match."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .csv (UTF-8 or GBK) or .xlsx to look up")
        parser.add_argument(
            "--output",
            type=Path,
            help="where to write the result (default: FILE-lookup.csv/.xlsx beside FILE)",
        )
        parser.add_argument(
            "--crs",
            default="wgs84",
            help=f"coordinate system of lon/lat columns: {', '.join(CHINESE_CRS)} (default wgs84)",
        )
        parser.add_argument(
            "--at",
            type=datetime.date.fromisoformat,
            help="YYYY-MM-DD: the grids each row was in on that date (published layouts)",
        )

    def handle(self, *args, file: Path, output: Path | None, crs: str, at=None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        output = output or file.with_name(f"{file.stem}-lookup{file.suffix}")
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent}: no such directory for --output")
        try:
            table = table_read(data=file.read_bytes(), filename=file.name)
            with tqdm(total=len(table.rows), unit="row", desc="lookup", disable=None) as bar:

                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                result = batch_lookup(table=table, crs=crs, progress=progress)
            if at is not None:
                _as_of(table, result, at=at, crs=crs)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        output.write_bytes(table_write(result.table))
        self.stdout.write(
            f"{len(table.rows):,} rows: {result.matched:,} matched, "
            f"{len(result.unmatched):,} not → {output}"
        )
        for row, reason in result.unmatched[:UNMATCHED_PRINTED]:
            self.stdout.write(f"  row {row}: {reason}")
        if len(result.unmatched) > UNMATCHED_PRINTED:
            more = len(result.unmatched) - UNMATCHED_PRINTED
            self.stdout.write(f"  … and {more:,} more (see the 匹配结果 column)")


def _point(header: list[str], row: list[str], crs: str) -> tuple[float, float] | None:
    """The row's point in WGS84, by coordinates or by its address (as batch_lookup finds it)."""
    lowered = [h.lower() for h in header]
    lon_i = next((lowered.index(n) for n in LON_COLUMNS if n in lowered), None)
    lat_i = next((lowered.index(n) for n in LAT_COLUMNS if n in lowered), None)
    if lon_i is not None and lat_i is not None:
        try:
            lon, lat = float(row[lon_i]), float(row[lat_i])
        except ValueError:
            return None
        if not lonlat_valid(lon, lat):
            return None
        return to_wgs84(lon, lat, crs=crs)
    addr_i = next((lowered.index(n) for n in ADDRESS_COLUMNS if n in lowered), None)
    text = row[addr_i].strip() if addr_i is not None else ""
    found = address_candidates(q=text, limit=1) if text else None
    return (
        (found.candidates[0].lon, found.candidates[0].lat) if found and found.candidates else None
    )


def _as_of(table: Table, result: BatchResult, *, at: datetime.date, crs: str) -> None:
    """Rewrite the grid and micro-grid columns of `result` with the layout in effect on `at`."""
    grid_i = len(table.header) + ADDED_COLUMNS.index("网格编码")
    micro_i = len(table.header) + ADDED_COLUMNS.index("微网格编码")
    for row, out in zip(table.rows, result.table.rows, strict=True):
        point = _point(table.header, row, crs)
        found = grid_as_of(lon=point[0], lat=point[1], at=at) if point else None
        if found is None:
            continue  # no published layout there: the live answer stands
        for i, unit in ((grid_i, found.grid), (micro_i, found.microgrid)):
            out[i], out[i + 1] = (unit["code"], unit["name"]) if unit else ("", "")

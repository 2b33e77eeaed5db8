"""python manage.py lookup FILE: the batch lookup of a CSV/XLSX from the command line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.chinese_crs import CHINESE_CRS
from geo.errors import DomainError
from layers.services.lookup_batch import batch_lookup, table_read, table_write

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

    def handle(self, *args, file: Path, output: Path | None, crs: str, **options):
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

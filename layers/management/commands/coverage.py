"""python manage.py coverage --out report.xlsx: every analysis of the city (or one district or
street) as a workbook, or as one CSV per sheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.domain import default_walk_m, walk_distance_check
from geo.errors import DomainError
from layers.analysis import analysis_area
from layers.analysis.coverage import BY, LEVELS, MODES, levels_parse
from layers.analysis.report import FORMATS, REPORT_STEPS, report_sheets, sheet_csv, sheets_xlsx


class Command(BaseCommand):
    help = (
        "Write the analyses leadership asks for (docs/design.md) to a workbook (.xlsx: one sheet "
        "each) or to CSV files (.csv: one file per sheet, named OUT-<sheet>.csv): headline "
        "figures, station coverage per division and per station level, the uncovered buildings, "
        "organisation coverage of compounds, grid load and unit pairing. Example: "
        "python manage.py coverage --distance 500 --by community --out report.xlsx"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", type=Path, required=True, help="the .xlsx or .csv to write (by its extension)"
        )
        parser.add_argument(
            "--distance",
            type=float,
            default=None,
            help="walking distance in metres (default GRIDATLAS_WALK_10MIN_M, 500; the life "
            "circles are 300, 500 and 1000)",
        )
        parser.add_argument(
            "--by", default="community", choices=BY, help="rows of the coverage sheet"
        )
        parser.add_argument(
            "--mode",
            default="straight",
            choices=MODES,
            help="straight: straight line × GRIDATLAS_WALK_DETOUR_FACTOR (default); network: "
            "along the roads (needs python manage.py load_roads FILE)",
        )
        parser.add_argument(
            "--level",
            default=None,
            help=f"station levels that count, comma-separated: {', '.join(LEVELS)} (default all)",
        )
        parser.add_argument("--district", help="only this district (6-digit code)")
        parser.add_argument("--street", help="only this street (9-digit code)")

    def handle(self, *args, out: Path, distance, by, mode, level, district, street, **options):
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"--out {out}: give a .xlsx or .csv file name")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --out")
        try:
            distance_m = walk_distance_check(
                default_walk_m() if distance is None else distance, name="--distance"
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        try:
            levels = levels_parse(level)
        except DomainError as exc:
            raise CommandError(f"--level: {exc.message}") from None
        try:
            sheets = self._sheets(distance_m, by, mode, levels, district, street)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        written = self._write(out, fmt, sheets)
        for path in written:
            self.stdout.write(f"wrote {path}")

    def _sheets(self, distance_m, by, mode, levels, district, street) -> list:
        area = analysis_area(district_code=district, street_code=street)
        with tqdm(total=len(REPORT_STEPS), unit="step", desc="analyses", disable=None) as bar:

            def progress(step: str) -> None:
                bar.update(REPORT_STEPS.index(step) - bar.n)  # the steps before it are done
                bar.set_postfix_str(step)

            sheets = report_sheets(
                distance_m=distance_m,
                mode=mode,
                by=by,
                levels=levels,
                area=area,
                progress=progress,
            )
            bar.update(len(REPORT_STEPS) - bar.n)
        return sheets

    def _write(self, out: Path, fmt: str, sheets: list) -> list[Path]:
        if fmt == "xlsx":
            out.write_bytes(sheets_xlsx(sheets))
            return [out]
        paths = []
        for sheet in sheets:
            path = out.with_name(f"{out.stem}-{sheet.name.replace(' ', '_')}.csv")
            path.write_bytes(sheet_csv(sheet))
            paths.append(path)
        return paths

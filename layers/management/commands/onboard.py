"""python manage.py onboard DIR_OR_ZIP [--county CODE|NAME] [--dry-run] [--json] [--yes]"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.errors import DomainError
from layers.io.code_map import code_map_parse
from layers.io.level_detect import ONBOARD_LAYERS
from layers.services.onboard import district_onboard

# Exit statuses: 1 when a file's errors refused the onboarding (nothing written).
EXIT_REFUSED = 1


class Command(BaseCommand):
    help = (
        "Onboard a district from its own files: every file of the folder or zip recognised as a "
        "layer (by its headers, the shape of its codes, what lies in what; the report says how), "
        "the local system's codes turned into official ones against the county, and all files "
        "imported in order (district, streets, communities, grids, micro-grids, compounds, "
        "buildings, stations, units) in ONE transaction: any file's errors roll everything back. "
        "Then the boundary rules are checked over the district. Without --yes (or with "
        "--dry-run) it checks and reports only. Example: python manage.py onboard zhangwan.zip "
        "--county 张湾区 --yes"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the district's folder, or a .zip of it")
        parser.add_argument(
            "--county",
            help="the county of the files, 6-digit code or name (420303, 张湾区); default: the "
            "district file's",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="do everything, then roll back (the default)"
        )
        parser.add_argument("--yes", action="store_true", help="write, if nothing is refused")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--as",
            dest="given",
            action="append",
            default=[],
            metavar="FILE=LAYER",
            help=f"the layer of a file the report could not tell ({', '.join(ONBOARD_LAYERS)})",
        )
        parser.add_argument(
            "--code-map",
            help="codes the names do not give: 'HG-3=420303001002,…', or a .json/.csv file",
        )

    def handle(self, *args, path, county, dry_run, yes, json: bool, given, code_map, **options):
        try:
            report = district_onboard(
                path=path,
                county=county,
                dry_run=dry_run or not yes,
                given=_given(given),
                code_map=code_map_parse(code_map, allow_path=True) if code_map else None,
                progress=_progress_bar(),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(_json_text(report.as_dict()) if json else report.as_text())
        if report.failed_file is not None:
            raise CommandError(
                f"{report.failed_file.name} refused: nothing written", returncode=EXIT_REFUSED
            )


def _given(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, layer = pair.rpartition("=")
        if not sep or not name:
            raise CommandError(f"--as {pair}: give FILE=LAYER, e.g. --as 网格.gpkg=grids")
        out[name] = layer
    return out


def _progress_bar():
    """Steps on stderr (a bar when it is a terminal, nothing in a pipe's log)."""
    bar = tqdm(unit="step", desc="onboard", file=sys.stderr, disable=None)

    def progress(step: str, done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(step)
        bar.refresh()

    return progress


def _json_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)

"""python manage.py coverage_map: the offline HTML report map of station coverage."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.errors import DomainError
from layers.services.report_map import report_map_html


class Command(BaseCommand):
    help = (
        "Write a self-contained HTML map (Leaflet, inlined: opens with no internet) of "
        "the communities coloured by station coverage, the stations and the uncovered buildings."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="the .html file to write")
        parser.add_argument(
            "--distance",
            type=float,
            default=None,
            help="walking distance in metres (default GRIDATLAS_WALK_10MIN_M, 500)",
        )
        parser.add_argument("--mode", choices=["straight", "network"], default="straight")
        parser.add_argument(
            "--max-buildings",
            type=int,
            default=3000,
            help="uncovered buildings drawn, largest first",
        )

    def handle(self, *args, out: Path, distance, mode, max_buildings, **options):
        distance_m = settings.GRIDATLAS_WALK_10MIN_M if distance is None else distance
        if not 0 < distance_m <= 10_000:
            raise CommandError("--distance must be between 0 and 10000 metres")
        if out.suffix.lower() not in (".html", ".htm"):
            raise CommandError(f"{out}: write the map to an .html file")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory")
        try:
            html = report_map_html(distance_m=distance_m, mode=mode, max_buildings=max_buildings)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        out.write_text(html, encoding="utf-8")
        self.stdout.write(f"report map ({distance_m:.0f} m, {mode}) → {out} ({len(html):,} bytes)")

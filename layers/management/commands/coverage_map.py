"""python manage.py coverage_map: the offline HTML report map of station coverage."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.domain import default_walk_m, walk_distance_check
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
        try:
            distance_m = walk_distance_check(
                default_walk_m() if distance is None else distance, name="--distance"
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
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

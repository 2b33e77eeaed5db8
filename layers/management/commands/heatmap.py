"""python manage.py heatmap: a heatmap of the city as a GeoTIFF (EPSG:3857)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.domain import default_walk_m, walk_distance_check
from geo.errors import DomainError
from layers.analysis.coverage import MODES
from layers.analysis.heatmap import KINDS, heatmap_raster, heatmap_write


class Command(BaseCommand):
    help = (
        "Write a heatmap of the city as a single-band float32 GeoTIFF in EPSG:3857 (DEFLATE). "
        "uncovered: households per cell in buildings farther than --distance from every "
        "service station (straight line × GRIDATLAS_WALK_DETOUR_FACTOR); load: each grid's "
        "households / GRIDATLAS_GRID_HOUSEHOLDS_MAX painted over its cells (1.0 = the top of "
        "the band; no grid = nodata). Cells are --cell ground metres square."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=KINDS, default="uncovered", help="what to map")
        parser.add_argument(
            "--distance",
            type=float,
            help="walking distance in metres for 'uncovered' (default GRIDATLAS_WALK_10MIN_M, "
            "the 10-minute walk)",
        )
        parser.add_argument(
            "--cell",
            type=float,
            default=settings.GRIDATLAS_HEATMAP_CELL_M,
            help="cell size in ground metres (default GRIDATLAS_HEATMAP_CELL_M, %(default)g)",
        )
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="straight",
            help="how 'uncovered' measures the walk: the straight line × "
            "GRIDATLAS_WALK_DETOUR_FACTOR, or along the loaded road network (default straight)",
        )
        parser.add_argument(
            "--out",
            type=Path,
            help="the .tif to write (default heatmap-KIND-DISTANCEm.tif here)",
        )

    def handle(self, *args, kind, distance, cell, mode, out: Path | None, **opts):
        if not cell > 0:
            raise CommandError("--cell must be more than 0 metres")
        try:
            distance = walk_distance_check(
                default_walk_m() if distance is None else distance, name="--distance"
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        out = out or Path(f"heatmap-{kind}-{distance:g}m.tif")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --out")
        steps = ["raster", "write"]
        with tqdm(total=len(steps), desc="heatmap", unit="step", disable=None) as bar:
            try:
                bar.set_postfix_str("loading and rasterising")
                heatmap = heatmap_raster(kind=kind, distance_m=distance, cell_m=cell, mode=mode)
                bar.update()
                bar.set_postfix_str("writing")
                # The raster just made is in this process's cache: writing does not redo it.
                heatmap_write(kind=kind, distance_m=distance, cell_m=cell, mode=mode, path=out)
                bar.update()
            except DomainError as exc:
                raise CommandError(exc.message) from None
        rows, cols = heatmap.raster.shape
        self.stdout.write(
            f"{kind}: {cols}×{rows} cells of {cell:g} m, {heatmap.total:,.0f} households, "
            f"max {heatmap.raster.max:,.2f} ({heatmap.unit}) → {out}"
        )

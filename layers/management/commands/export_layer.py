"""python manage.py export_layer LAYER --format FMT [--crs CRS] [--street CODE]: one layer to a
file that `import_layer` reads back unchanged."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.codes import LEVELS
from geo.errors import DomainError
from layers.catalogue import COLUMNS
from layers.selectors.layer_rows import Scope
from layers.services.layer_export import CRS_HELP, FORMATS, ExportRequest, layer_export


class Command(BaseCommand):
    help = (
        "Write one layer (every feature, or those of a district, street or community) to a "
        "Shapefile (zipped, with .prj and a UTF-8 .cpg), GeoPackage, GeoJSON, KML, CSV (WKT and "
        "a label point) or XLSX, with the column names import_layer reads back. Personal data "
        "(workers' names and phones) is included: the command line is for administrators."
    )

    def add_arguments(self, parser):
        parser.add_argument("layer", choices=list(COLUMNS), help="the layer to export")
        parser.add_argument(
            "--format", dest="fmt", required=True, choices=list(FORMATS), help="the file format"
        )
        parser.add_argument("--crs", default="wgs84", help=f"{CRS_HELP} (default wgs84)")
        for level in ("district", "street", "community"):
            digits = LEVELS[level].digits
            parser.add_argument(
                f"--{level}", metavar="CODE", help=f"only the {level} with this {digits}-digit code"
            )
        parser.add_argument(
            "--output",
            type=Path,
            help="the file to write (default: LAYER[-SCOPE]-CRS.EXT in the current directory; "
            "a Shapefile is one .shp.zip, which GDAL and QGIS open as it is)",
        )

    def handle(self, *args, layer: str, fmt: str, crs: str, output: Path | None, **options):
        try:
            scope = Scope.parse(
                district=options["district"],
                street=options["street"],
                community=options["community"],
            )
            request = ExportRequest.parse(layer=layer, fmt=fmt, crs=crs, scope=scope)
            target = (output or Path(request.filename)).resolve()
            if not target.name.endswith("." + request.fmt.extension):
                raise CommandError(
                    f"--output for --format {fmt} must end in .{request.fmt.extension}"
                    + (" (GDAL and QGIS open a zipped Shapefile as it is)" if fmt == "shp" else "")
                )
            if not target.parent.is_dir():
                raise CommandError(f"{target.parent}: no such directory for --output")
            self._export(request, target)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{layer} → {target} ({target.stat().st_size:,} bytes)")

    def _export(self, request: ExportRequest, target: Path) -> None:
        with tqdm(unit="row", desc=f"export {request.layer}", disable=None) as bar:
            layer_export(request=request, target=target, personal=True, progress=bar.update)

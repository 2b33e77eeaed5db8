"""python manage.py load_roads FILE [--replace] [--layer NAME] [--name-field F] [--kind-field F]
[--srid N]: the road network that network-mode walking distances run on."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.errors import DomainError
from layers.models import Road
from layers.services.roads import roads_load


class Command(BaseCommand):
    help = (
        "Load road lines from a GeoJSON, GeoPackage or Shapefile (anything GDAL reads), turned "
        "into lon/lat, in one transaction: a bad feature leaves the roads as they were."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the vector file (.geojson, .gpkg, .shp…)")
        parser.add_argument(
            "--replace", action="store_true", help="delete the roads loaded before (default: add)"
        )
        parser.add_argument("--layer", help="the layer to read when the file has several")
        parser.add_argument(
            "--name-field", help="the road name column (default: name or 名称 when present)"
        )
        parser.add_argument(
            "--kind-field",
            help="the road class column (default: kind, highway, fclass or 类型 when present); "
            f"values {', '.join(Road.Kind.values)} or OpenStreetMap highway tags",
        )
        parser.add_argument(
            "--srid",
            type=int,
            help="EPSG code of the file's coordinates, when it declares none (e.g. 4326, 4547); "
            "overrides a declared one",
        )

    def handle(self, *args, file: Path, replace, layer, name_field, kind_field, srid, **options):
        with tqdm(
            unit="road", desc="reading", disable=None if options["verbosity"] else True
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                n = roads_load(
                    path=file,
                    replace=replace,
                    layer=layer,
                    name_field=name_field,
                    kind_field=kind_field,
                    srid=srid,
                    progress=progress,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
        total = Road.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Loaded {n:,} roads from {file} ({total:,} in all)."))

"""python manage.py import_layer LAYER FILE [--crs …] [--encoding …] [--field-map …] [--county …]
[--code-map …] [--dry-run]"""

import json

from django.core.management.base import BaseCommand, CommandError

from geo.errors import BadRequest
from layers.catalogue import COLUMNS
from layers.io.code_map import code_map_parse
from layers.io.fieldmap import field_map_parse
from layers.permissions import SYSTEM
from layers.services.layer_import import layer_import


class Command(BaseCommand):
    help = (
        "Import a layer from a Shapefile (.zip, folder or .shp), GeoPackage, GeoJSON, KML, or a "
        "CSV/XLSX with longitude/latitude or WKT columns. A validation report is printed first; "
        "a file with any error writes nothing. Features already there are updated by their "
        "natural key (code), so re-importing a file is harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument("layer", choices=sorted(COLUMNS), help="the layer to import into")
        parser.add_argument("file", help="the file (a Shapefile may be a .zip or a folder)")
        parser.add_argument(
            "--crs",
            help="the coordinates' system when the file does not say or says wrongly: an EPSG "
            "code (EPSG:4490 CGCS2000, EPSG:4547 CGCS2000 Gauss-Krüger CM 114E, EPSG:4526 "
            "3-degree zone 38 with prefix), or gcj02 (AMap, Tencent), bd09 (Baidu), wgs84",
        )
        parser.add_argument(
            "--encoding",
            help="attribute text encoding (utf-8, gbk, gb18030); detected when omitted",
        )
        parser.add_argument(
            "--field-map",
            help="map headers to columns: 名称=name,BM=code (source header = column), or a "
            ".json file holding such an object",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the report, write nothing"
        )
        parser.add_argument(
            "--make-valid",
            action="store_true",
            help="repair invalid geometries with ST_MakeValid's result (reported as warnings)",
        )
        parser.add_argument(
            "--no-dissolve",
            dest="dissolve",
            action="store_false",
            help="refuse rows sharing a division's code (duplicate_key) instead of dissolving "
            "them into one feature",
        )
        parser.add_argument(
            "--no-parcelise",
            dest="parcelise",
            action="store_false",
            help="leave imported grids and micro-grids freehand (no parcels built; the editor "
            "cannot edit them until manage.py parcelise_layout runs)",
        )
        parser.add_argument(
            "--county",
            help="the county whose official codes a file in a local system's codes (SQ, SQ-3, "
            "SQ-3-2) is matched against, by 6-digit code or name: --county 420303 or "
            "--county 张湾区",
        )
        parser.add_argument(
            "--code-map",
            help="official codes for local ones, winning over matching by name: "
            "SQ-3=420303001002,SQ-4=420303001003, or a .json object or .csv (local,official) file",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, layer, file, crs, encoding, field_map, dry_run, make_valid, **opts):
        bar = _Bar(disable=opts["verbosity"] == 0 or opts["json"])
        try:
            report = layer_import(
                layer=layer,
                path=file,
                crs=crs,
                encoding=encoding,
                field_map=field_map_parse(field_map, allow_path=True),
                dry_run=dry_run,
                make_valid=make_valid,
                county=opts["county"],
                code_map=code_map_parse(opts["code_map"], allow_path=True),
                dissolve=opts["dissolve"],
                parcelise=opts["parcelise"],
                progress=bar.update,
                user=SYSTEM,  # the operator at the command line may import everything
            )
        except BadRequest as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
        else:
            self.stdout.write(report.as_text())
        if report.errors:
            raise CommandError(
                f"{report.error_count} error(s) in {file}: nothing was written. Fix the rows "
                "listed above (or declare --crs / --encoding / --field-map) and run again."
            )


class _Bar:
    """One tqdm bar per stage (read, validate, stage, write), on stderr."""

    def __init__(self, *, disable: bool):
        self.disable = disable
        self.bar = None
        self.stage = None

    def update(self, stage: str, done: int, total: int) -> None:
        if self.disable:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.bar = tqdm(total=total, desc=stage, unit="rows")
            self.stage = stage
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

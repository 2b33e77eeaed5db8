"""python manage.py build_district_corpus OUT_DIR [--county 420303] [--size small|full]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fixtures.district_corpus import SIZES, corpus_build


class Command(BaseCommand):
    help = (
        "Write the boundary files a district's own system publishes (fixtures/district_corpus): "
        "real street and community names of the county from the national list, generated "
        "geometry around its place, local letter codes (HG, HG-3, HG-3-2), Chinese headers, "
        "multi-part features, slivers, a retired code, a GBK Shapefile without .cpg and one in "
        "Gauss-Krüger metres; no micro-grids, buildings or stations. The input of `manage.py "
        "onboard`. Example: python manage.py build_district_corpus var/zhangwan --size full"
    )

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path, help="folder to write (created)")
        parser.add_argument(
            "--county", default="420303", help="6-digit county code (default 420303 张湾区)"
        )
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="small",
            help="small: 3 streets, ~10 communities, ~30 grids (tests); full: every street and "
            "community of the county, 2–3 grids each",
        )
        parser.add_argument("--seed", type=int, default=15, help="same seed, same files")
        parser.add_argument(
            "--centre",
            metavar="LON,LAT",
            help="where to put it, for a county the shipped 2016 lists do not place",
        )
        parser.add_argument("--manifest", type=Path, help="also write what was built as JSON")

    def handle(self, *args, out_dir, county, size, seed, centre, manifest, **options):
        try:
            where = tuple(float(v) for v in centre.split(",")) if centre else None
            built = corpus_build(out_dir=out_dir, county=county, size=size, seed=seed, centre=where)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if manifest:
            manifest.write_text(json.dumps(built.as_dict(), ensure_ascii=False, indent=1))
        counts = ", ".join(f"{n} {level}" for level, n in built.features.items())
        self.stdout.write(f"{built.county_name} ({built.county}), {size}: {counts} in {out_dir}")
        for level, name in built.files.items():
            self.stdout.write(f"  {name}: {level}, {built.rows[level]} rows")

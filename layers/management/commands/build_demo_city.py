"""python manage.py build_demo_city --scale small|city --seed N [--with-defects] [--replace]"""

import json
import time
from pathlib import Path

import pghistory
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from pyproj import Transformer

from fixtures.demo_city import DEMO_CENTRE, DEMO_METRIC_SRID, SCALES, city_load, city_plan
from fixtures.demo_city.defects import defects_apply
from fixtures.demo_city.load import CityNotEmpty, city_is_empty
from fixtures.demo_city.sample import plan_dump, plan_read
from geo.srid import STORAGE_SRID


class Command(BaseCommand):
    help = (
        "Generate the deterministic Wuhan-like demo city (real district, street and community "
        "names and codes; generated compounds, buildings, grids, stations and units) and load "
        "it in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="tiny (2 communities), small (12, for tests), city (1,430)",
        )
        parser.add_argument("--seed", type=int, default=42, help="same seed, same city")
        parser.add_argument(
            "--with-defects",
            action="store_true",
            help="plant known rule violations (overlap, gap, split building, "
            "code clash, micro-grid outside its grid) and list them",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--replace",
            action="store_true",
            help="delete the city in the database first (layers and their history)",
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a city",
        )
        parser.add_argument("--defects-out", help="write the planted defects as JSON here")
        parser.add_argument(
            "--dump-sample",
            metavar="PATH",
            help="also write the generated city as a frozen sample (JSON)",
        )
        parser.add_argument(
            "--from-sample",
            metavar="PATH",
            help="load a frozen sample (e.g. fixtures/sample/tiny_city.json) instead of generating",
        )

    def handle(
        self,
        *args,
        scale,
        seed,
        with_defects,
        replace,
        if_empty,
        defects_out,
        dump_sample,
        from_sample,
        **opts,
    ):
        if if_empty and not city_is_empty():
            self.stdout.write("The database already holds a city; leaving it as it is.")
            return
        t0 = time.perf_counter()
        # Wuhan's demo, in Wuhan's zone, whatever city the instance serves otherwise.
        centre = Transformer.from_crs(STORAGE_SRID, DEMO_METRIC_SRID, always_xy=True).transform(
            *DEMO_CENTRE
        )
        if from_sample:
            try:
                plan, srid = plan_read(Path(from_sample))
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"cannot read the sample {from_sample}: {exc}") from exc
            if srid != DEMO_METRIC_SRID:
                raise CommandError(
                    f"the sample is in EPSG:{srid} but the demo city is built in "
                    f"EPSG:{DEMO_METRIC_SRID}: regenerate it with --dump-sample"
                )
            scale = plan.scale
        else:
            self.stdout.write(f"Generating the demo city at scale {scale} (seed {seed})…")
            plan = city_plan(
                scale=scale,
                seed=seed,
                centre=centre,
                srid=DEMO_METRIC_SRID,
                progress=opts["verbosity"] > 0,
            )
            if with_defects:
                defects_apply(plan)
        if dump_sample:
            plan_dump(plan, Path(dump_sample), srid=DEMO_METRIC_SRID)
        t1 = time.perf_counter()
        try:
            with pghistory.context(command="build_demo_city", scale=scale, seed=seed):
                counts = city_load(
                    plan=plan,
                    replace=replace,
                    progress=lambda m: self.stdout.write(f"  loading {m}…"),
                )
        except CityNotEmpty as exc:
            raise CommandError(f"{exc} (or --if-empty to keep it).") from exc
        # Low-zoom tiles: generalised boundaries and pre-rendered composites (tiles app).
        call_command("generalize_tiles", verbosity=0)
        t2 = time.perf_counter()
        self.stdout.write(
            self.style.SUCCESS(
                f"Built the {scale}-scale city in {t2 - t0:.1f} s (generate {t1 - t0:.1f} s, "
                f"load {t2 - t1:.1f} s): " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            )
        )
        if plan.defects:
            self.stdout.write("Planted defects:")
            for d in plan.defects:
                self.stdout.write(f"  {d['rule']}: {', '.join(d['codes'])}")
            if defects_out:
                with open(defects_out, "w", encoding="utf-8") as f:
                    json.dump(plan.defects, f, ensure_ascii=False, indent=1)

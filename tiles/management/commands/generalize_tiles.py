"""python manage.py generalize_tiles — recompute the low-zoom generalised boundaries."""

import time

from django.core.management.base import BaseCommand

from tiles.generalize import generalized_refresh
from tiles.prerender import low_zooms_prerender


class Command(BaseCommand):
    help = (
        "Simplify streets, communities and grids as coverages for the low-zoom tile bands "
        "(neighbours keep shared edges), then pre-render the low-zoom composite tiles. Run "
        "after a bulk import; edits fall back to exact geometry for the features they touch "
        "until the next run."
    )

    def handle(self, *args, **opts):
        t0 = time.perf_counter()
        counts = generalized_refresh(progress=opts["verbosity"] > 0)
        t1 = time.perf_counter()
        tiles = low_zooms_prerender()
        self.stdout.write(
            self.style.SUCCESS(
                f"Generalised in {t1 - t0:.1f} s: "
                + ", ".join(f"{n:,} {layer}" for layer, n in counts.items())
                + f"; pre-rendered {tiles} low-zoom tiles in {time.perf_counter() - t1:.1f} s"
            )
        )

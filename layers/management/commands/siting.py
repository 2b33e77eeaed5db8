"""python manage.py siting: propose K new service-station sites (maximal covering, greedy)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.domain import default_walk_m, walk_distance_check
from geo.errors import DomainError
from layers.analysis import analysis_area
from layers.analysis.coverage import LEVELS
from layers.analysis.siting import CANDIDATE_KINDS, sites_csv, sites_geojson, siting_propose

STEPS = ("coverage", "candidates", "solve", "describe")


class Command(BaseCommand):
    help = (
        "Propose K new party-mass service station sites that together reach the most "
        "households no station reaches today within --distance (walking metres, estimated as "
        "the straight line × GRIDATLAS_WALK_DETOUR_FACTOR). Greedy maximal covering: each site "
        "adds the most uncovered households, and the K together reach at least 63% (1 − 1/e) "
        "of what the best K could. Prints the sites; --out writes them as .geojson or .csv."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--k",
            type=int,
            default=settings.GRIDATLAS_SITING_DEFAULT_K,
            help="how many sites (default GRIDATLAS_SITING_DEFAULT_K, %(default)s)",
        )
        parser.add_argument(
            "--distance",
            type=float,
            help="walking distance in metres (default GRIDATLAS_WALK_10MIN_M, the 10-minute walk)",
        )
        parser.add_argument(
            "--candidates",
            choices=CANDIDATE_KINDS,
            default="buildings",
            help="where a site may go: a building's point, or a lattice node (default buildings)",
        )
        parser.add_argument(
            "--spacing",
            type=float,
            help="lattice spacing in metres (default GRIDATLAS_HEATMAP_CELL_M, "
            f"{settings.GRIDATLAS_HEATMAP_CELL_M:g})",
        )
        parser.add_argument(
            "--level",
            action="append",
            choices=LEVELS,
            help="count only stations of this level as existing (repeatable; default all)",
        )
        parser.add_argument("--district", help="only this district's households (6-digit code)")
        parser.add_argument("--street", help="only this street's households (9-digit code)")
        parser.add_argument("--out", type=Path, help="write the sites to this .geojson or .csv")

    def handle(self, *args, **opts):
        out: Path | None = opts["out"]
        if out is not None:
            if out.suffix.lower() not in (".geojson", ".json", ".csv"):
                raise CommandError("--out must end in .geojson (or .json) or .csv")
            if not out.parent.is_dir():
                raise CommandError(f"{out.parent}: no such directory for --out")
        try:
            distance = walk_distance_check(
                default_walk_m() if opts["distance"] is None else opts["distance"],
                name="--distance",
            )
            area = analysis_area(district_code=opts["district"], street_code=opts["street"])
            with tqdm(total=len(STEPS), desc="siting", unit="step", disable=None) as bar:

                def progress(step: str) -> None:
                    bar.update(STEPS.index(step) - bar.n)
                    bar.set_postfix_str(step)

                proposal = siting_propose(
                    k=opts["k"],
                    distance_m=distance,
                    candidates=opts["candidates"],
                    spacing_m=opts["spacing"],
                    levels=tuple(opts["level"]) if opts["level"] else None,
                    area=area,
                    progress=progress,
                )
                bar.update(len(STEPS) - bar.n)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self._print(proposal)
        if out is not None:
            if out.suffix.lower() == ".csv":
                out.write_text(sites_csv(proposal), encoding="utf-8-sig")  # BOM: Excel reads UTF-8
            else:
                text = json.dumps(sites_geojson(proposal), ensure_ascii=False, indent=1)
                out.write_text(text, encoding="utf-8")
            self.stdout.write(f"→ {out}")

    def _print(self, proposal) -> None:
        before = proposal.uncovered_households
        self.stdout.write(
            f"{before:,} households in {proposal.uncovered_buildings:,} buildings beyond "
            f"{proposal.distance_m:g} m today; {proposal.candidate_count:,} candidate "
            f"{proposal.candidates}"
        )
        for s in proposal.sites:
            near = (
                f"{s.nearest_station_walk_m:,.0f} m walk to {s.nearest_station_name}"
                if s.nearest_station_id is not None
                else "no station yet"
            )
            self.stdout.write(
                f"{s.rank:>3}. {s.lon:.6f},{s.lat:.6f}  +{s.households_added:,} households "
                f"(total {s.households_cumulative:,})  {s.community_name or '(no community)'}; "
                f"{near}"
            )
        reached = proposal.sites[-1].households_cumulative if proposal.sites else 0
        share = f"{100 * reached / before:.1f}%" if before else "—"
        self.stdout.write(f"the {len(proposal.sites)} sites reach {reached:,} of them ({share})")

"""python manage.py propose_grids: propose grid layouts for one community, or micro-grid layouts
for one of its grids with --grid (nothing is saved)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.domain import grid_band, microgrid_band
from geo.errors import DomainError
from layers.selectors.parcel_graph import grids_propose, microgrids_propose, proposal_outlines


class Command(BaseCommand):
    help = (
        "Propose grid layouts for a community: its parcels grouped into contiguous grids of "
        "GRIDATLAS_GRID_HOUSEHOLDS_MIN–MAX households, compounds kept whole where the band "
        "allows; with --grid, micro-grids of GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN–MAX for that "
        "grid's parcels. Prints each alternative's metrics, best first; --out writes the "
        "proposed polygons (unions of their parcels) as GeoJSON. Nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("community_code", help="the community's 12-digit code")
        parser.add_argument("--alternatives", type=int, default=3, help="how many (default 3)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--out", type=Path, help="write the proposals to this .geojson")
        parser.add_argument(
            "--grid", help="propose micro-grids for this grid (15-digit code) of the community"
        )

    def handle(self, *args, **opts):
        out: Path | None = opts["out"]
        if out is not None and not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --out")
        if opts["alternatives"] < 1:
            raise CommandError("--alternatives must be at least 1")
        grid = opts["grid"]
        try:
            if grid:
                proposals = microgrids_propose(
                    community_code=opts["community_code"],
                    grid_code=grid,
                    alternatives=opts["alternatives"],
                    seed=opts["seed"],
                )
            else:
                proposals = grids_propose(
                    community_code=opts["community_code"],
                    alternatives=opts["alternatives"],
                    seed=opts["seed"],
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self._heading(opts["community_code"], grid))
        noun = "micro-grids" if grid else "grids"
        for p in proposals:
            m = p.metrics
            self.stdout.write(
                f"alternative {p.rank}: {m.groups} {noun}, {m.groups_in_band} in band, "
                f"worst {m.max_deviation} households outside, {m.compounds_split} compounds "
                f"split, contiguous {'yes' if m.contiguous else 'NO'}, score {p.score:.2f}"
            )
            for g in p.grids:
                self.stdout.write(
                    f"  {noun[:-1]} {g.number}: {g.households} households, "
                    f"{g.building_count} buildings, {len(g.parcel_ids)} parcels"
                )
            for problem in p.problems:
                self.stdout.write(f"  problem: {problem}")
        if out is not None:
            out.write_text(json.dumps(self._geojson(proposals), ensure_ascii=False), "utf-8")
            self.stdout.write(f"wrote {out}")

    @staticmethod
    def _heading(community_code: str, grid: str | None) -> str:
        if grid:
            lo, hi = microgrid_band()
            return f"grid {grid} of community {community_code}, band {lo}–{hi} households"
        lo, hi = grid_band()
        return f"community {community_code}, band {lo}–{hi} households"

    @staticmethod
    def _geojson(proposals) -> dict:
        features = []
        for p in proposals:
            outlines = proposal_outlines(proposal=p)
            features += [
                {
                    "type": "Feature",
                    "geometry": outlines.get(grid.number),
                    "properties": {
                        "alternative": p.rank,
                        "grid": grid.number,
                        "households": grid.households,
                        "building_count": grid.building_count,
                        "parcel_ids": grid.parcel_ids,
                    },
                }
                for grid in p.grids
            ]
        return {"type": "FeatureCollection", "features": features}

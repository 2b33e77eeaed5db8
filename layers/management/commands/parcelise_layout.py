"""python manage.py parcelise_layout COMMUNITY_CODE [--dry-run]: turn a community's freehand
grids and micro-grids into parcels (layers/services/layout_parcelise.py) and print the faces,
gaps and overlaps found."""

from django.core.management.base import BaseCommand, CommandError

from geo.errors import DomainError
from layers.services.layout_parcelise import layout_parcelise

KIND_LABELS = {
    "gap": "gap (no grid)",
    "overlap": "overlap (grids)",
    "microgrid_gap": "gap (no micro-grid)",
    "microgrid_overlap": "overlap (micro-grids)",
}


class Command(BaseCommand):
    help = (
        "Cut a community whose grids (and micro-grids) are freehand polygons into parcels by "
        "all its edges at once (community, grids, micro-grids, parcels, compounds), give each "
        "face owned by one grid to it, and derive the grids from their parcels from then on. "
        "Faces owned by no grid (gaps) or by several (overlaps) are listed with area and place "
        "and left without a grid, so the rule check reports them. --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("community_code", help="the community's 12-digit code")
        parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")

    def handle(self, *args, **opts):
        try:
            r = layout_parcelise(community_code=opts["community_code"], dry_run=opts["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        w = self.stdout.write
        w(f"community {r.community}{' (dry run: nothing written)' if r.dry_run else ''}")
        w(f"  faces {r.faces} (slivers merged into a neighbour: {r.slivers_merged})")
        w(f"  faces given to exactly one grid: {r.assigned}")
        w(f"  parcels before {r.parcels_before}")
        if not r.dry_run:
            w(
                f"  parcels after {r.parcels_after}: kept {r.parcels_kept}, created "
                f"{r.parcels_created}, deleted {r.parcels_deleted}"
            )
        w(f"  gaps and overlaps: {len(r.problems)}")
        for p in r.problems:
            owners = ", ".join(p.codes) or "-"
            w(
                f"    {KIND_LABELS[p.kind]:<24} in {p.parent}  {p.area_m2:10.1f} m²  "
                f"at ({p.lon:.6f}, {p.lat:.6f})  {owners}"
            )

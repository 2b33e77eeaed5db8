"""python manage.py check_boundaries: the boundary rules of docs/design.md over the whole city (or
one district, street or community, and some levels), counts by rule, the violations as GeoJSON,
and the notices (what the rules cannot judge where a level is not loaded) counted apart."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.errors import DomainError
from layers.rules import CHECK_LEVELS, RULES
from layers.selectors.violations import (
    CheckScope,
    notices_by_kind,
    severity_split,
    violations_by_rule,
    violations_checked,
    violations_feature_collection,
)

# Exit statuses: 1 when --fail-on-violations finds some, 2 for a wrong command line (as argparse).
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2


class Command(BaseCommand):
    help = (
        "Check the boundary rules (docs/design.md) over the whole city, imported layouts included, "
        "or over one district, street or community, and print the number of violations of each "
        "rule, then the notices (a community with no grid in a district that has grids, a grid "
        "whose households are unknown: what the rules cannot judge where a level is not loaded; "
        "never counted as violations) under their own heading. "
        f"Rules: {', '.join(RULES)}. Levels: {', '.join(CHECK_LEVELS)}. "
        "With --out, write the violations as a GeoJSON FeatureCollection (RFC 7946, EPSG:4326; "
        "properties rule, level, codes, message, area_m2). "
        f"Exit status: 0 when done, notices or not; {EXIT_VIOLATIONS} with --fail-on-violations "
        "when there is any violation (for CI: the tables and --out are still written first); "
        f"{EXIT_USAGE} for an unknown district, street, community, rule or level. "
        "Example: python manage.py check_boundaries --district 420102 "
        "--level street,community,grid --out violations.geojson --fail-on-violations"
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--district", help="only violations naming a feature of this district (6-digit code)"
        )
        where.add_argument(
            "--street", help="only violations naming a feature of this street (9-digit code)"
        )
        where.add_argument(
            "--community",
            help="only violations naming a feature of this community (12-digit code)",
        )
        parser.add_argument(
            "--rule",
            action="extend",
            nargs="+",
            metavar="RULE",
            help="only these rules (repeat, or separate by commas); default all: "
            + ", ".join(RULES),
        )
        parser.add_argument(
            "--level",
            action="extend",
            nargs="+",
            metavar="LEVEL",
            help="check these levels only: the rules of their features (repeat, or separate by "
            "commas; a district without micro-grids: street,community,grid); default all: "
            + ", ".join(CHECK_LEVELS),
        )
        parser.add_argument("--out", type=Path, help="write the violations to this .geojson file")
        parser.add_argument(
            "--fail-on-violations",
            action="store_true",
            help=f"exit with status {EXIT_VIOLATIONS} when there is any violation",
        )

    def handle(self, *args, rule, level, out, fail_on_violations, **options):
        if out is not None and not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --out", returncode=EXIT_USAGE)
        try:
            scope = CheckScope.parse(
                rules=_listed(rule),
                levels=_listed(level),
                district_code=options["district"],
                street_code=options["street"],
                community_code=options["community"],
            )
        except DomainError as exc:
            raise CommandError(exc.message, returncode=EXIT_USAGE) from None
        with tqdm(total=len(scope.rules), unit="rule", desc="rules", disable=None) as bar:

            def progress(done: str) -> None:
                bar.update(1)
                bar.set_postfix_str(done)

            violations, notices = severity_split(violations_checked(scope=scope, on_rule=progress))
        self._table(violations_by_rule(violations, rules=scope.rules), scope)
        self._notices(notices_by_kind(notices))
        if out is not None:
            collection = violations_feature_collection(violations)
            out.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
            self.stdout.write(f"wrote {len(violations)} violations to {out}")
        if fail_on_violations and violations:
            raise CommandError(f"{len(violations)} boundary violations", returncode=EXIT_VIOLATIONS)

    def _table(self, counts: dict[str, int], scope: CheckScope) -> None:
        where = (
            f"community {scope.community_code}"
            if scope.community_code
            else f"street {scope.street_code}"
            if scope.street_code
            else f"district {scope.district_code}"
            if scope.district_code
            else "the whole city"
        )
        levels = "" if scope.levels == CHECK_LEVELS else f" (levels {', '.join(scope.levels)})"
        self.stdout.write(f"Boundary rules over {where}{levels}:")
        width = max(len(r) for r in (*counts, "total"))
        self.stdout.write(f"  {'rule':<{width}}  {'violations':>10}")
        for rule, n in counts.items():
            self.stdout.write(f"  {rule:<{width}}  {n:>10}")
        self.stdout.write(f"  {'total':<{width}}  {sum(counts.values()):>10}")

    def _notices(self, counts: dict[str, int]) -> None:
        """The notices by kind, after the violations; nothing when there are none."""
        if not counts:
            return
        self.stdout.write("Notices (not violations: what the rules cannot judge here):")
        width = max(len(k) for k in (*counts, "total"))
        self.stdout.write(f"  {'notice':<{width}}  {'count':>10}")
        for kind, n in counts.items():
            self.stdout.write(f"  {kind:<{width}}  {n:>10}")
        self.stdout.write(f"  {'total':<{width}}  {sum(counts.values()):>10}")


def _listed(values: list[str] | None) -> list[str]:
    """Names given by repeating an option or separated by commas."""
    return [name for item in values or () for name in item.split(",")]

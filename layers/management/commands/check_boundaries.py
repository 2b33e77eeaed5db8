"""python manage.py check_boundaries: the boundary rules of docs/design.md over the whole city (or
one street or community), counts by rule, and the violations as GeoJSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.errors import DomainError
from layers.rules import RULES
from layers.selectors.violations import (
    CheckScope,
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
        "or over one street or community, and print the number of violations of each rule. "
        f"Rules: {', '.join(RULES)}. "
        "With --out, write the violations as a GeoJSON FeatureCollection (RFC 7946, EPSG:4326; "
        "properties rule, level, codes, message, area_m2). "
        f"Exit status: 0 when done; {EXIT_VIOLATIONS} with --fail-on-violations when there is "
        f"any violation (for CI: the table and --out are still written first); {EXIT_USAGE} for "
        "an unknown street, community or rule. --street and --community filter the whole-city "
        "check by code prefix (the rule SQL cannot scope yet), so they take as long. "
        "Example: python manage.py check_boundaries --street 420102001 --rule overlap gap "
        "--out violations.geojson --fail-on-violations"
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group()
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
        parser.add_argument("--out", type=Path, help="write the violations to this .geojson file")
        parser.add_argument(
            "--fail-on-violations",
            action="store_true",
            help=f"exit with status {EXIT_VIOLATIONS} when there is any violation",
        )

    def handle(self, *args, street, community, rule, out, fail_on_violations, **options):
        if out is not None and not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --out", returncode=EXIT_USAGE)
        rules = [r for item in rule or () for r in item.split(",")]
        try:
            scope = CheckScope.parse(rules=rules, street_code=street, community_code=community)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=EXIT_USAGE) from None
        with tqdm(total=len(scope.rules), unit="rule", desc="rules", disable=None) as bar:

            def progress(done: str) -> None:
                bar.update(1)
                bar.set_postfix_str(done)

            violations = violations_checked(scope=scope, on_rule=progress)
        self._table(violations_by_rule(violations, rules=scope.rules), scope)
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
            else "the whole city"
        )
        self.stdout.write(f"Boundary rules over {where}:")
        width = max(len(r) for r in (*counts, "total"))
        self.stdout.write(f"  {'rule':<{width}}  {'violations':>10}")
        for rule, n in counts.items():
            self.stdout.write(f"  {rule:<{width}}  {n:>10}")
        self.stdout.write(f"  {'total':<{width}}  {sum(counts.values()):>10}")

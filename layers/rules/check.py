"""Runs the boundary rules over the nested layers and returns every violation with the rule, the
features and where (a geometry the map can highlight)."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils.translation import gettext_lazy

from geo.domain import band_of
from geo.sql import sql_compose
from geo.srid import metric_srid

SQL_DIR = Path(__file__).resolve().parent / "sql"

# Parent relations checked by the containment, overlap, gap and code rules: child table, parent
# table, the child's parent column. Identifiers come from here only.
RELATIONS = {
    "street": ("layers_street", "layers_district", "district_id"),
    "community": ("layers_community", "layers_street", "street_id"),
    "grid": ("layers_grid", "layers_community", "community_id"),
    "microgrid": ("layers_microgrid", "layers_grid", "grid_id"),
}
UNITS = {"grid": "layers_grid", "microgrid": "layers_microgrid"}
# For the levels whose children are grids or micro-grids: the parcel columns naming the child and
# the parent. Their rules take the parcel fast paths (the *_units.sql files).
PARCEL_COLUMNS = {
    "grid": {"pchild": "grid_id", "pparent": "community_id"},
    "microgrid": {"pchild": "micro_grid_id", "pparent": "grid_id"},
}
OUTSIDE_FILES = {"grid": "outside_parent_units.sql", "microgrid": "outside_parent_microgrid.sql"}
# Code lengths by table (format constraints in the database), for skipping what a scope cannot
# match.
CODE_LENGTHS = {
    "layers_district": 6,
    "layers_street": 9,
    "layers_community": 12,
    "layers_grid": 15,
    "layers_building": 16,
    "layers_microgrid": 18,
}
RULES = (
    "outside_parent",
    "overlap",
    "gap",
    "split_building",
    "load_band",
    "code_parent",
    "derivation",
)
# The rules' names as the check report and the editor show them.
RULE_LABELS = {
    "outside_parent": gettext_lazy("Outside its parent"),
    "overlap": gettext_lazy("Overlap between siblings"),
    "gap": gettext_lazy("Gap in the parent"),
    "split_building": gettext_lazy("Split building"),
    "load_band": gettext_lazy("Households out of band"),
    "code_parent": gettext_lazy("Code not under its parent"),
    "derivation": gettext_lazy("Polygon differs from its parcels"),
}
# Messages in the request's language (gettext at format time); {level} is a level's name.
MESSAGES = {
    "outside_parent": gettext_lazy("{level} {0} reaches {area:.0f} m² outside its parent {1}"),
    "overlap": gettext_lazy("{level} {0} overlaps {1} by {area:.0f} m²"),
    "gap": gettext_lazy("{area:.0f} m² of {0} is covered by no {level}"),
    "split_building": gettext_lazy("building {0} is split between {level}: {rest}"),
    "load_band": gettext_lazy(
        "{level} {0} has {households} households, outside the band {lo}–{hi}"
    ),
    "code_parent": gettext_lazy("{level} code {0} does not start with its parent's code {1}"),
    "derivation": gettext_lazy(
        "{level} {0} is derived from its parcels but its polygon differs from their union by "
        "{area:.0f} m²: re-derive it from the parcels, or mark it freehand"
    ),
}
LEVEL_NAMES = {
    "street": gettext_lazy("street"),
    "community": gettext_lazy("community"),
    "grid": gettext_lazy("grid"),
    "microgrid": gettext_lazy("micro-grid"),
}


@dataclass(frozen=True)
class Violation:
    rule: str
    level: str  # street, community, grid, microgrid
    codes: tuple[str, ...]
    message: str
    area_m2: float | None
    geom: GEOSGeometry | None  # EPSG:4326, what the map highlights

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "level": self.level,
            "codes": list(self.codes),
            "message": self.message,
            "area_m2": self.area_m2,
        }


def _run(file: str, *, level: str, params: dict, **slots) -> list[Violation]:
    with connection.cursor() as cur:
        cur.execute(sql_compose(SQL_DIR / file, **slots), params)
        rows = cur.fetchall()
    out = []
    for rule, codes, area, geom, *extra in rows:
        fmt = dict(
            level=str(LEVEL_NAMES[level]),
            area=area or 0.0,
            rest=", ".join(codes[1:]),
            households=extra[0] if extra else None,
            lo=params.get("households_min"),
            hi=params.get("households_max"),
        )
        out.append(
            Violation(
                rule=rule,
                level=level,
                codes=tuple(codes),
                message=str(MESSAGES[rule]).format(*codes, **fmt),
                area_m2=area,
                geom=GEOSGeometry(geom) if geom is not None else None,
            )
        )
    return out


def _bands(level: str) -> dict:
    return band_of(level).as_sql_params("households")


def boundary_violations(
    *, rules: tuple[str, ...] = RULES, scope: str | None = None
) -> list[Violation]:
    """Every violation in the city, rule by rule; with `scope` (a street or community code) only
    those of the features whose codes start with it — the rows are filtered in the SQL, so a
    community is checked in a fraction of the city's time."""
    scope_like = f"{scope}%" if scope else "%"
    params = {
        "scope_like": scope_like,
        "metric_srid": metric_srid(),
        "tolerance_m": settings.GRIDATLAS_BOUNDARY_TOLERANCE_M,
        "min_area_m2": settings.GRIDATLAS_MIN_VIOLATION_AREA_M2,
    }
    with transaction.atomic():
        # The overlays' cost estimates are huge (a union per parent, ST_Dump's 1000 rows), so
        # PostgreSQL compiles each statement with JIT: ~0.6 s of LLVM for a query that runs in
        # milliseconds. SET LOCAL ends with this transaction (or the caller's, inside a commit).
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            if scope:
                # A scope's rows are few: starting parallel workers (~25 ms each time, for a
                # seq scan the planner picks over the code index) costs more than they save.
                cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return _violations(rules, params, scope_like)


def _violations(rules: tuple[str, ...], params: dict, scope_like: str) -> list[Violation]:
    out: list[Violation] = []

    def run(file: str, level: str, filtered: str, **kw) -> None:
        # Codes have fixed lengths: a table whose codes are shorter than the scope cannot match
        # it (a community's check skips the street level's parents), so its query is not run.
        if len(scope_like) - 1 <= CODE_LENGTHS[filtered]:
            out.extend(_run(file, level=level, **kw))

    for level, (child, parent, fk) in RELATIONS.items():
        slots = {"child": child, "parent": parent, "fk": fk}
        # Grids and micro-grids derived from parcels take fast paths that give the same
        # violations (see the headers of the *_units.sql and *_microgrid.sql files).
        cols = PARCEL_COLUMNS.get(level, {})
        units = "_units" if cols else ""
        if "outside_parent" in rules:
            file = OUTSIDE_FILES.get(level, "outside_parent.sql")
            extra = {"pchild": cols["pchild"]} if cols else {}
            run(file, level, child, params=params, **slots, **extra)
        if "overlap" in rules:
            run(f"overlap{units}.sql", level, child, params=params, child=child, fk=fk)
        if "gap" in rules:
            run(f"gap{units}.sql", level, parent, params=params, **slots, **cols)
        if "code_parent" in rules:
            run("code_parent.sql", level, child, params={"scope_like": scope_like}, **slots)
    for level, table in UNITS.items():
        if "split_building" in rules:
            run("split_building.sql", level, "layers_building", params=params, unit=table)
        if "load_band" in rules:
            bands = {**_bands(level), "scope_like": scope_like}
            run("load_band.sql", level, table, params=bands, unit=table)
        if "derivation" in rules:
            pchild = PARCEL_COLUMNS[level]["pchild"]
            run("derivation.sql", level, table, params=params, unit=table, pchild=pchild)
    return out

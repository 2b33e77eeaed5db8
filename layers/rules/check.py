"""Runs the boundary rules over the nested layers and returns every violation with the rule, the
features and where (a geometry the map can highlight).

Rules apply where their level is in use (docs/design.md, "Levels in use"): a district loaded
without micro-grids or buildings is not a city of gaps and empty grids. What the rules cannot
judge there is a notice (severity NOTICE): a community not divided into grids, a grid whose
households are unknown. Notices never block a publish or an import; `boundary_violations` returns
them only when asked (`notices=True`: the check report).
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils.translation import gettext_lazy

from geo.codes import LEVELS
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
# The levels a check can be limited to (`levels=`), each with the rules of its features.
CHECK_LEVELS = tuple(RELATIONS)
# Where a level is in use, for the gap rule (docs/design.md, "Levels in use"; the gap files'
# headers). use_len: the parent code's prefix naming the area in which one child puts every
# parent under the whole rule (micro-grids: the community, so a grid left without micro-grids in
# a community that has them is a gap). notice_len: the area in which a parent with no child at
# all, while others there have children, is a 'not_divided' notice (streets: the city;
# communities and grids: the district). parcels_divide: a community with parcels is laid out.
DISTRICT_LEN, COMMUNITY_LEN = LEVELS["district"].digits, LEVELS["community"].digits
GAP_USE = {
    "street": {"use_len": None, "notice_len": 0, "parcels_divide": False},
    "community": {"use_len": None, "notice_len": DISTRICT_LEN, "parcels_divide": False},
    "grid": {"use_len": None, "notice_len": DISTRICT_LEN, "parcels_divide": True},
    "microgrid": {"use_len": COMMUNITY_LEN, "notice_len": None, "parcels_divide": False},
}
VIOLATION, NOTICE = "violation", "notice"
# Kinds of row a rule returns that are notices, not violations (the rule SQL names them).
NOTICE_KINDS = {"not_divided", "households_unknown"}
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
# The notices' names as the check report shows them, by kind.
NOTICE_LABELS = {
    "not_divided": gettext_lazy("Not divided at this level"),
    "households_unknown": gettext_lazy("Households unknown"),
}
# Messages in the request's language (gettext at format time), by kind (a rule's own key, or a
# variant the rule SQL names); {level} is a level's name.
MESSAGES = {
    "outside_parent": gettext_lazy("{level} {0} reaches {area:.0f} m² outside its parent {1}"),
    "overlap": gettext_lazy("{level} {0} overlaps {1} by {area:.0f} m²"),
    "gap": gettext_lazy("{area:.0f} m² of {0} is covered by no {level}"),
    "split_building": gettext_lazy("building {0} is split between {level}: {rest}"),
    "load_band": gettext_lazy(
        "{level} {0} has {households} households, outside the band {lo}–{hi}"
    ),
    "load_band_reported": gettext_lazy(
        "{level} {0} has {households} households as reported by its source (no count derived "
        "from buildings), outside the band {lo}–{hi}"
    ),
    "households_unknown": gettext_lazy(
        "{level} {0}: households unknown (no count derived from buildings, none reported), so "
        "its band is not checked: load the buildings and parcels, or give households_reported"
    ),
    "not_divided": gettext_lazy(
        "{0} has no {level} at all, though other parts of its area have them: its gaps are not "
        "checked until its {level} layout is loaded"
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
    severity: str = VIOLATION  # or NOTICE: reported apart, never blocking
    kind: str = ""  # the message's kind when it is not the rule's own (NOTICE_KINDS, …)

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
        names = [col.name for col in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    out = []
    for row in rows:
        rule, codes, area, geom = row["rule"], row["codes"], row["area_m2"], row["geom"]
        kind = row.get("kind", rule)
        fmt = dict(
            level=str(LEVEL_NAMES[level]),
            area=area or 0.0,
            rest=", ".join(codes[1:]),
            households=row.get("households"),
            lo=params.get("households_min"),
            hi=params.get("households_max"),
        )
        out.append(
            Violation(
                rule=rule,
                level=level,
                codes=tuple(codes),
                message=str(MESSAGES[kind]).format(*codes, **fmt),
                area_m2=area,
                geom=GEOSGeometry(geom) if geom is not None else None,
                severity=NOTICE if kind in NOTICE_KINDS else VIOLATION,
                kind="" if kind == rule else kind,
            )
        )
    return out


def _bands(level: str) -> dict:
    return {
        **band_of(level).as_sql_params("households"),
        "community_len": COMMUNITY_LEN,
    }


def boundary_violations(
    *,
    rules: tuple[str, ...] = RULES,
    scope: str | None = None,
    levels: tuple[str, ...] = CHECK_LEVELS,
    notices: bool = False,
) -> list[Violation]:
    """Every violation in the city, rule by rule; with `scope` (a district, street or community
    code) only those of the features whose codes start with it — the rows are filtered in the
    SQL, so a community is checked in a fraction of the city's time. `levels`: only the rules of
    these levels' features (CHECK_LEVELS). With `notices`, the notices too (severity NOTICE);
    without, violations only, which is what a gate wants."""
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
        found = _violations(rules, params, scope_like, levels)
    return found if notices else [v for v in found if v.severity == VIOLATION]


def _violations(
    rules: tuple[str, ...],
    params: dict,
    scope_like: str,
    levels: tuple[str, ...] = CHECK_LEVELS,
) -> list[Violation]:
    out: list[Violation] = []

    def run(file: str, level: str, filtered: str, **kw) -> None:
        # Codes have fixed lengths: a table whose codes are shorter than the scope cannot match
        # it (a community's check skips the street level's parents), so its query is not run.
        if len(scope_like) - 1 <= CODE_LENGTHS[filtered]:
            out.extend(_run(file, level=level, **kw))

    # Every level's relations first, then the units' own rules: the order reports list them in.
    for level in (lv for lv in RELATIONS if lv in levels):
        _relation_rules(run, level, rules, params, scope_like)
    for level in (lv for lv in UNITS if lv in levels):
        _unit_rules(run, level, rules, params, scope_like)
    return out


def _relation_rules(run, level: str, rules: tuple[str, ...], params: dict, scope_like: str):
    """The rules between a level's features and their parents and siblings."""
    child, parent, fk = RELATIONS[level]
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
        gap_params = {**params, **GAP_USE[level]}
        run(f"gap{units}.sql", level, parent, params=gap_params, **slots, **cols)
    if "code_parent" in rules:
        run("code_parent.sql", level, child, params={"scope_like": scope_like}, **slots)


def _unit_rules(run, level: str, rules: tuple[str, ...], params: dict, scope_like: str):
    """The rules of a grid or micro-grid itself: buildings, load, derivation."""
    table = UNITS[level]
    if "split_building" in rules:
        run("split_building.sql", level, "layers_building", params=params, unit=table)
    pchild = PARCEL_COLUMNS[level]["pchild"]
    if "load_band" in rules:
        bands = {**_bands(level), "scope_like": scope_like}
        run("load_band.sql", level, table, params=bands, unit=table, pchild=pchild)
    if "derivation" in rules:
        run("derivation.sql", level, table, params=params, unit=table, pchild=pchild)

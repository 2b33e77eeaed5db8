"""The set-based half of an import: rows staged in a temporary table with COPY, parents resolved
by code in one UPDATE each, then one UPDATE of the features already there (matched by natural key)
and one INSERT of the rest.

Why not the ORM: 150,000 buildings through save() and full_clean() take many minutes; one
statement each way takes seconds, and the model rules full_clean would apply (code format, valid
geometry, inside the parent) are checked set-based before writing (layers.io.validate and the
.sql files here), while the CHECK constraints and triggers still guard every row.

Identifiers in the composed SQL come only from the column registry (layers.io.columns) and the
models' metadata, never from the file (its headers only pick registry entries).
"""

from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.conf import settings
from django.db import connection, models
from psycopg import sql

from geo.sql import sql_compose, sql_text
from geo.srid import metric_srid
from layers.io.columns import LayerColumns

SQL_DIR = Path(__file__).resolve().parent / "sql"
STAGING = "ga_import_rows"
COPY_BATCH_ROWS = 5000
PG_TYPES = {"int": "bigint", "date": "date", "text": "text", "choice": "text"}
# Columns a layer's import sets whatever the file says (the derivation triggers zero totals on
# insert; an imported grid layer is freehand until the parcelling service turns it into parcels).
FIXED = {
    "grids": {"geom_source": "freehand"},
    "microgrids": {"geom_source": "freehand"},
}
# Addresses are unique by their normalised text, so that is what a re-import matches on.
KEY_OVERRIDE = {"addresses": ("normalized",)}
EXTRA_STAGED = {"addresses": ("normalized",)}


@dataclass
class ForeignKey:
    column: str  # canonical column naming the related row, e.g. "community_code"
    attname: str  # the model's column, e.g. "community_id"
    table: str  # related table
    lookup: str  # related column matched: "code" or "name"
    nullable: bool


@dataclass
class Plan:
    spec: LayerColumns
    model: type[models.Model]
    direct: list[str] = field(default_factory=list)  # canonical == model column
    fks: list[ForeignKey] = field(default_factory=list)
    has_geom: bool = True

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def plan_make(*, spec: LayerColumns, model) -> Plan:
    plan = Plan(spec, model, has_geom=spec.geometry is not None)
    for col in spec.columns:
        if col.derived:
            continue
        if "__" in col.source:
            name, lookup = col.source.split("__")
            f = model._meta.get_field(name)
            plan.fks.append(
                ForeignKey(col.name, f.column, f.related_model._meta.db_table, lookup, f.null)
            )
        else:
            plan.direct.append(col.name)
    return plan


def staging_fill(*, plan: Plan, rows: list[tuple], progress=None) -> None:
    """A fresh temporary table of the rows: _row, direct and FK columns, geom, FK ids."""
    kinds = {c.name: c.kind for c in plan.spec.columns}
    names = [*plan.direct, *(fk.column for fk in plan.fks), *EXTRA_STAGED.get(plan.spec.layer, ())]
    cols = [sql.SQL("_row int")]
    cols += [
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(PG_TYPES[kinds.get(n, "text")]))
        for n in names
    ]
    cols.append(sql.SQL("geom geometry"))
    cols += [sql.SQL("{} bigint").format(sql.Identifier(f"{fk.column}__id")) for fk in plan.fks]
    raw = connection.connection
    with raw.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING)))
        cur.execute(
            sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
                sql.Identifier(STAGING), sql.SQL(", ").join(cols)
            )
        )
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(STAGING),
            sql.SQL(", ").join(sql.Identifier(n) for n in ["_row", *names, "geom"]),
        )
        with cur.copy(copy_sql) as copy:
            for i, row in enumerate(rows, start=1):
                copy.write_row(row)
                if progress and i % COPY_BATCH_ROWS == 0:
                    progress("stage", i, len(rows))
        if progress:
            progress("stage", len(rows), len(rows))
        for fk in plan.fks:
            cur.execute(
                sql.SQL("UPDATE {s} SET {id} = r.id FROM {t} r WHERE r.{lk} = {s}.{c}").format(
                    s=sql.Identifier(STAGING),
                    id=sql.Identifier(f"{fk.column}__id"),
                    t=sql.Identifier(fk.table),
                    lk=sql.Identifier(fk.lookup),
                    c=sql.Identifier(fk.column),
                )
            )
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(STAGING)))


def staged_names(plan: Plan) -> list[str]:
    return [*plan.direct, *(fk.column for fk in plan.fks), *EXTRA_STAGED.get(plan.spec.layer, ())]


def unmatched(*, plan: Plan) -> list[tuple[int, str, str, str]]:
    """(row, canonical column, value, related table) for every name that matched nothing."""
    out = []
    with connection.cursor() as cur:
        for fk in plan.fks:
            cur.execute(
                sql.SQL(
                    "SELECT _row, {c} FROM {s} WHERE {c} IS NOT NULL AND {id} IS NULL ORDER BY _row"
                )
                .format(
                    c=sql.Identifier(fk.column),
                    s=sql.Identifier(STAGING),
                    id=sql.Identifier(f"{fk.column}__id"),
                )
                .as_string(connection.connection)
            )
            out += [(r, fk.column, v, fk.table) for r, v in cur.fetchall()]
    return out


def outside_parent(*, plan: Plan) -> list[tuple]:
    """Rows reaching outside their parent (layers/io/sql/outside_parent.sql)."""
    parent = plan.spec.parent
    fk = next((f for f in plan.fks if f.column == parent), None)
    if fk is None or not plan.has_geom or plan.spec.geometry != "polygon":
        return []
    params = {
        "metric_srid": metric_srid(),
        "tolerance_m": settings.GRIDATLAS_BOUNDARY_TOLERANCE_M,
        "min_area_m2": settings.GRIDATLAS_MIN_VIOLATION_AREA_M2,
    }
    text = sql_compose(
        SQL_DIR / "outside_parent.sql", staging=STAGING, fk_id=f"{fk.column}__id", parent=fk.table
    )
    with connection.cursor() as cur:
        cur.execute(text, params)
        return cur.fetchall()


def _target_values(plan: Plan, *, inserting: bool) -> list[tuple[str, sql.Composable]]:
    """(model column, expression over staging row s) for every column the import writes."""
    out = []
    for name in plan.direct:
        f = plan.model._meta.get_field(plan.spec.column(name).source)
        value = sql.SQL("s.{}").format(sql.Identifier(name))
        if f.has_default() and not callable(f.default):
            value = sql.SQL("coalesce({}, {})").format(value, sql.Literal(f.default))
        elif f.blank and not f.null:
            value = sql.SQL("coalesce({}, '')").format(value)
        out.append((f.column, value))
    for fk in plan.fks:
        out.append((fk.attname, sql.SQL("s.{}").format(sql.Identifier(f"{fk.column}__id"))))
    fixed = dict(FIXED.get(plan.spec.layer, {}))
    if plan.has_geom and "geom_source" in fixed and not inserting:
        # A grid still derived from parcels whose imported shape is the derived one (a round
        # trip through export) stays derived; a different shape makes it freehand.
        same = sql.SQL(
            "(t.geom_source = 'parcels' AND t.geom IS NOT NULL AND "
            "ST_Area(ST_SymDifference(t.geom, s.geom)::geography) <= {})"
        ).format(sql.Literal(settings.GRIDATLAS_MIN_VIOLATION_AREA_M2))
        out.append(("geom", sql.SQL("CASE WHEN {} THEN t.geom ELSE s.geom END").format(same)))
        out.append(
            (
                "geom_source",
                sql.SQL("CASE WHEN {} THEN t.geom_source ELSE {} END").format(
                    same, sql.Literal(fixed.pop("geom_source"))
                ),
            )
        )
    elif plan.has_geom:
        out.append(("geom", sql.SQL("s.geom")))
    for name in EXTRA_STAGED.get(plan.spec.layer, ()):
        out.append((name, sql.SQL("s.{}").format(sql.Identifier(name))))
    for name, value in fixed.items():
        out.append((name, sql.Literal(value)))
    out.append(("updated_at", sql.SQL("now()")))
    if inserting:
        out.append(("created_at", sql.SQL("now()")))
        for f in plan.model._meta.concrete_fields:
            if f.name in ("households", "building_count") and "households" not in plan.direct:
                out.append((f.column, sql.Literal(0)))
    return out


def _key_match(plan: Plan) -> sql.Composable:
    parts = []
    for name in KEY_OVERRIDE.get(plan.spec.layer, plan.spec.key):
        fk = next((f for f in plan.fks if f.column == name), None)
        if fk:
            left, right = sql.Identifier(fk.attname), sql.Identifier(f"{fk.column}__id")
            op = "IS NOT DISTINCT FROM" if fk.nullable else "="
        else:
            f = plan.model._meta.get_field(
                plan.spec.column(name).source if name in plan.direct else name
            )
            left, right, op = sql.Identifier(f.column), sql.Identifier(name), "="
        parts.append(sql.SQL("t.{} {} s.{}").format(left, sql.SQL(op), right))
    return sql.SQL(" AND ").join(parts)


# Statement triggers that derive totals from the rows a statement touched (migration 0002). They
# hand the touched ids to ga_refresh_parcels / ga_refresh_units, and a parcel's new total
# recomputes its grid's polygon: fine for an edit, many minutes for 150,000 buildings. A bulk
# import turns them off inside its own transaction (the row triggers, history included, stay on)
# and derives the totals once (bulk_totals.sql).
BULK_DERIVED = {
    "layers_building": {
        "layers_building": ("ga_building_ins", "ga_building_upd"),
        "layers_parcel": ("ga_parcel_upd",),
    },
}


def rows_write(*, plan: Plan, bulk: bool = False) -> tuple[int, int, int]:
    """Update the features already there (by natural key), insert the rest: (created, updated,
    unchanged).

    `bulk`: derive the totals once after writing (see BULK_DERIVED). ALTER TABLE takes a lock
    that holds other writers of those tables until this transaction ends, and the triggers are
    on again before it commits, so no other session ever writes without them."""
    triggers = BULK_DERIVED.get(plan.table, {}) if bulk else {}
    with connection.cursor() as cur:
        # Every history trigger first asks pgtrigger whether it is ignored, reading a setting
        # that is normally unset: the error it catches is a subtransaction rolled back per row,
        # and thousands of those in one transaction slow every later row (40,000 buildings: 24 s
        # instead of 4). An empty ignore list, for this transaction only, answers without one.
        cur.execute(
            "SELECT set_config('pgtrigger.ignore', '{}', true) "
            "WHERE coalesce(current_setting('pgtrigger.ignore', true), '') = ''"
        )
        if not triggers:
            return _upsert(plan)
        # ALTER TABLE refuses while deferred FK checks are pending on the table: run them first.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _triggers_set(cur, triggers, enabled=False)
        counts = _upsert(plan)
        cur.execute(sql_text(SQL_DIR / "bulk_totals.sql"))
        _triggers_set(cur, triggers, enabled=True)
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return counts


def _triggers_set(cur, triggers: dict[str, tuple[str, ...]], *, enabled: bool) -> None:
    state = sql.SQL("ENABLE" if enabled else "DISABLE")
    for table, names in triggers.items():
        for name in names:
            stmt = sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(
                sql.Identifier(table), state, sql.Identifier(name)
            )
            cur.execute(stmt.as_string(connection.connection))


# The most metres one degree spans, in any direction and at any latitude (a degree of longitude at
# the equator, 111.32 km; of latitude near a pole, 111.69 km): a distance in degrees times this
# bounds the distance on the ground from above, so a tolerance turned into degrees by it is never
# looser than the one in metres.
MAX_M_PER_DEG = 111_700.0


def staged_geometries_kept(*, plan: Plan) -> int:
    """Replace each staged geometry that is the stored one within
    GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M by the stored one; return how many.

    Why: an export to a Gauss-Krüger zone (or GCJ-02) and back goes through a projection and its
    inverse, which are not exact: vertices come back nanometres away, never bit-for-bit, and an
    exact comparison would rewrite every feature (history, updated_at, a parcel-derived grid made
    freehand) for nothing. "Within tolerance" is vertex by vertex, in order, once both sides
    have their rings oriented alike (a Shapefile stores outer rings clockwise; reversing a ring
    keeps its first vertex): so a real move of one vertex by more than the tolerance, or a vertex
    added or removed, is still a change. Compared in GEOS (shapely.equals_exact) rather than SQL:
    linear in the vertices, where ST_HausdorffDistance is quadratic (30 s for one 20,000-vertex
    district outline), and PostGIS has no tolerant vertex-wise equality."""
    if not plan.has_geom:
        return 0
    pairs = sql.SQL(
        "SELECT s._row, ST_AsBinary(t.geom), ST_AsBinary(s.geom) FROM {s} AS s JOIN {t} AS t "
        "ON {m} WHERE NOT (t.geom = s.geom) AND ST_GeometryType(t.geom) = ST_GeometryType(s.geom) "
        "AND ST_NPoints(t.geom) = ST_NPoints(s.geom)"
    ).format(s=sql.Identifier(STAGING), t=sql.Identifier(plan.table), m=_key_match(plan))
    tolerance_deg = settings.GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M / MAX_M_PER_DEG
    kept: list[int] = []
    # A server-side cursor read in batches: memory stays flat in the row count.
    with connection.connection.cursor(name="ga_import_geometry_pairs") as pending:
        pending.execute(pairs)
        while batch := pending.fetchmany(COPY_BATCH_ROWS):
            rows, stored, staged = zip(*batch, strict=True)
            same = shapely.equals_exact(
                shapely.orient_polygons(shapely.from_wkb([bytes(g) for g in stored])),
                shapely.orient_polygons(shapely.from_wkb([bytes(g) for g in staged])),
                tolerance=tolerance_deg,
            )
            kept += [int(r) for r, ok in zip(rows, same, strict=True) if ok]
    if not kept:
        return 0
    keep = sql.SQL(
        "UPDATE {s} AS s SET geom = t.geom FROM {t} AS t WHERE {m} AND s._row = ANY(%s)"
    ).format(s=sql.Identifier(STAGING), t=sql.Identifier(plan.table), m=_key_match(plan))
    with connection.cursor() as cur:
        cur.execute(keep.as_string(connection.connection), [kept])
        return cur.rowcount


def _upsert(plan: Plan) -> tuple[int, int, int]:
    """(created, updated, unchanged). Rows equal to what is stored are not written at all, so a
    re-import of the same file leaves no history and no new updated_at; a geometry equal within
    the tolerance counts as equal (staged_geometries_kept)."""
    staged_geometries_kept(plan=plan)
    match = _key_match(plan)
    table, staging = sql.Identifier(plan.table), sql.Identifier(STAGING)
    upd = _target_values(plan, inserting=False)
    compared = [(c, v) for c, v in upd if c != "updated_at"]
    differs = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c, _ in compared),
        sql.SQL(", ").join(v for _, v in compared),
    )
    update = sql.SQL("UPDATE {t} AS t SET {sets} FROM {s} AS s WHERE {m} AND {d}").format(
        t=table,
        sets=sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), v) for c, v in upd),
        s=staging,
        m=match,
        d=differs,
    )
    matched = sql.SQL(
        "SELECT count(*) FROM {s} AS s WHERE EXISTS (SELECT 1 FROM {t} AS t WHERE {m})"
    )
    ins = _target_values(plan, inserting=True)
    insert = sql.SQL(
        "INSERT INTO {t} ({cols}) SELECT {vals} FROM {s} AS s "
        "WHERE NOT EXISTS (SELECT 1 FROM {t} AS t WHERE {m}) ORDER BY s._row"
    ).format(
        t=table,
        cols=sql.SQL(", ").join(sql.Identifier(c) for c, _ in ins),
        vals=sql.SQL(", ").join(v for _, v in ins),
        s=staging,
        m=match,
    )
    with connection.cursor() as cur:
        cur.execute(matched.format(s=staging, t=table, m=match).as_string(connection.connection))
        existing = cur.fetchone()[0]
        cur.execute(update.as_string(connection.connection))
        updated = cur.rowcount
        cur.execute(insert.as_string(connection.connection))
        created = cur.rowcount
    return created, updated, existing - updated

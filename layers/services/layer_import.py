"""Import a layer from a file: read, map columns, bring coordinates to STORAGE_SRID, validate,
and write it in one transaction (all or nothing), updating the features already there by their
natural key so that re-importing a file is idempotent.

Who may import what is asked here, not by the callers (layers.permissions.import_authorise), so
the upload page, the command line (user=SYSTEM) and any later writer pass the same gate: a
planner's file must keep to their streets row by row (_scope_check), else nothing is written and
the report tells nothing of the features it touched elsewhere.

Imports of one layer run one at a time: the transaction first takes a PostgreSQL advisory lock
on the layer, so two imports of the same file never both insert a row neither saw.

The report comes first: nothing is written while it holds an error. A dry run writes inside the
transaction only to learn what would be created and updated and what the boundary rules would
say, then rolls back.
"""

import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pghistory
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from geo.city_profile import city_profile_forget
from geo.codes import LEVELS
from geo.errors import BadRequest
from geo.sql import sql_compose
from layers.catalogue import COLUMNS, LAYERS
from layers.io import writer
from layers.io.code_resolve import codes_resolved
from layers.io.columns import LayerColumns
from layers.io.crs import crs_resolve, geometries_to_storage
from layers.io.dissolve import features_dissolved
from layers.io.fieldmap import columns_resolve
from layers.io.readers import Source, source_read
from layers.io.validate import (
    MAX_LISTED_ISSUES,
    ImportReport,
    codes_check,
    geometries_check,
    geometries_shaped,
    values_clean,
)
from layers.models import LayoutRevision
from layers.permissions import SYSTEM, ImportScope, import_authorise
from layers.rules import boundary_violations
from layers.rules.check import RELATIONS
from layers.rules.compare import violations_deduplicated, violations_new
from layers.services.import_parcels import import_parcels_build

Progress = Callable[[str, int, int], None] | None
# The rules that block the import of a boundary layer (catalogue `boundary_rules`) when the new
# data breaks them (a gap is reported, not blocking: a community's grids are often imported one
# street at a time).
CHECKED_RULES = ("outside_parent", "overlap", "gap", "code_parent", "derivation")
WARNING_RULES = {"gap"}
# Parents checked one by one; a file touching more is checked over their common prefix.
PARENT_SCOPES_MAX = 20
# pg_advisory_xact_lock(namespace, hashtext(layer)): the first key keeps our locks apart from
# any other user of advisory locks in the same database ("GA" in ASCII).
IMPORT_LOCK_NAMESPACE = 0x4741


def layer_spec(layer: str) -> LayerColumns:
    if layer not in COLUMNS:
        raise BadRequest(f"unknown layer {layer!r}: use one of {', '.join(COLUMNS)}")
    return COLUMNS[layer]


def layer_import(
    *,
    layer: str,
    path: Path,
    crs: str | None = None,
    encoding: str | None = None,
    field_map: dict[str, str] | None = None,
    dry_run: bool = True,
    make_valid: bool = False,
    county: str | None = None,
    code_map: dict[str, str] | None = None,
    dissolve: bool = True,
    parcelise: bool = True,
    user=SYSTEM,
    source_name: str | None = None,
    progress: Progress = None,
) -> ImportReport:
    """Validate `path` as `layer` and, unless `dry_run` or the report has errors, write it.

    Geometries are stored in STORAGE_SRID; `crs` overrides what the file declares ("EPSG:4547",
    "gcj02", "bd09", …). `county`: the county (6-digit code or name) whose official codes a file
    with a local system's codes is matched against (layers.io.code_resolve); `code_map`: {local
    code: official code}, which wins over matching. `user`: who
    imports — request.user from the web, SYSTEM (every street) from the command line; None or an
    anonymous user is refused. `dissolve`: rows sharing a division's code become one feature
    (else they are refused as duplicates); `parcelise`: a grid or micro-grid import builds the
    parcels of the communities it touched (layers.services.import_parcels). Raises Forbidden
    when the user may not import this layer at all (before the file is read), BadRequest when
    the file cannot be read; everything else is an issue in the returned report.
    """
    spec = layer_spec(layer)
    scope = import_authorise(user=user, layer=layer)
    model = apps.get_model(spec.model)
    report = ImportReport(layer=layer, source=source_name or Path(path).name, dry_run=dry_run)
    src = source_read(path=Path(path), encoding=encoding)
    report.fmt, report.encoding, report.rows = src.fmt, src.encoding, len(src.frame)
    _progress(progress, "read", report.rows, report.rows)
    frame = _mapped(src, spec, field_map or {}, report)
    if frame is None:
        return report
    frame = values_clean(frame=frame, spec=spec, model=model, report=report)
    # Geometry first: several rows of one code are one feature (dissolved), and codes a file
    # gives in a local system's letters are replaced by official ones, grids in reading order.
    wkb = _geometries(src, frame, spec, crs, make_valid, report)
    frame, wkb = features_dissolved(
        frame=frame, wkb=wkb, spec=spec, report=report, dissolve=dissolve
    )
    frame = codes_resolved(
        frame=frame, wkb=wkb, spec=spec, report=report, county=county, code_map=code_map
    )
    _parents_from_codes(frame, spec)
    _model_required(frame, spec, model, report)
    codes_check(frame=frame, spec=spec, report=report)
    _layer_rules(frame, spec, report)
    _progress(progress, "validate", report.rows, report.rows)
    if report.errors:
        return report
    plan = writer.plan_make(spec=spec, model=model)
    rows = _staged_rows(frame, plan, wkb)
    context = {"command": "import_layer", "layer": layer, "source": report.source}
    if user is not None and getattr(user, "pk", None):
        context["user"] = user.pk
    with transaction.atomic(), pghistory.context(**context):
        _layer_lock(layer)
        _write(plan=plan, rows=rows, frame=frame, report=report, progress=progress, scope=scope)
        if parcelise and not dry_run and not report.errors:
            import_parcels_build(layer=layer, codes=list(frame.get("code", ())), report=report)
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
            # Districts or streets elsewhere move the city profile (geo/city_profile.py).
            transaction.on_commit(city_profile_forget)
    return report


def _progress(progress: Progress, stage: str, done: int, total: int) -> None:
    if progress:
        progress(stage, done, total)


def _mapped(src: Source, spec, field_map, report: ImportReport) -> pd.DataFrame | None:
    """The file's columns under their canonical names (text), with `_row`; None when the
    columns are wrong (a file-level error is in the report)."""
    geom_name = src.frame.geometry.name
    headers = [str(c) for c in src.frame.columns if c != geom_name]
    mapping = columns_resolve(spec=spec, headers=headers, field_map=field_map)
    report.columns, report.ignored_columns = mapping.sources, mapping.ignored
    report.notes += mapping.notes
    derived = [c.name for c in spec.columns if c.derived and c.name in mapping.sources]
    if derived:
        report.notes.append(
            f"{', '.join(derived)} ignored: derived from the buildings, never typed in"
        )
    if mapping.missing_required:
        expected = ", ".join(
            f"{c.name} ({'/'.join(c.aliases[:3])})" for c in spec.columns if c.required
        )
        report.add(
            None,
            "",
            "wrong_columns",
            f"no column for {', '.join(mapping.missing_required)}; {spec.layer} need {expected}; "
            f"the file has {', '.join(headers) or 'no columns'}",
            repair="rename the headers or map them: --field-map HEADER=column",
        )
        return None
    if report.rows == 0:
        report.add(None, "", "empty", "the file holds no features")
        return None
    frame = pd.DataFrame({name: src.frame[h].to_numpy() for name, h in mapping.sources.items()})
    for col in spec.columns:
        if col.name not in frame:
            frame[col.name] = None
    frame["_row"] = np.arange(1, len(frame) + 1)
    return frame


def _parents_from_codes(frame: pd.DataFrame, spec: LayerColumns) -> None:
    """A blank parent column is read from the code's prefix (a code names its ancestry)."""
    level = LAYERS[spec.layer].code_level
    if level and spec.parent and LEVELS[level].parent:
        cut = LEVELS[LEVELS[level].parent].digits
        derived = frame["code"].map(
            lambda c: c[:cut] if c and len(c) == LEVELS[level].digits else None
        )
        frame[spec.parent] = frame[spec.parent].where(frame[spec.parent].notna(), derived)
    if spec.layer == "stations":
        street = frame["community_code"].map(lambda c: c[:STREET_DIGITS] if c else None)
        frame["street_code"] = frame["street_code"].where(frame["street_code"].notna(), street)


def _model_required(frame, spec: LayerColumns, model, report: ImportReport) -> None:
    """Columns the table needs although the registry does not mark them required."""
    for col in spec.columns:
        if col.required or col.derived or "__" in col.source:
            continue
        f = model._meta.get_field(col.source)
        if f.null or f.blank or f.has_default():
            continue
        for i in np.flatnonzero(frame[col.name].isna().to_numpy()):
            report.add(
                frame["_row"].iat[i], _key(frame, spec, i), "missing_value", f"{col.name} is empty"
            )


def _key(frame, spec: LayerColumns, i: int) -> str:
    return "/".join(str(frame[k].iat[i]) for k in spec.key if frame[k].iat[i] is not None)


def _keys(frame, spec: LayerColumns) -> pd.Series:
    """Every row's natural key as text, for the report (vectorised: 150,000 rows)."""
    parts = [frame[k].fillna("").astype(str) for k in spec.key]
    return parts[0].str.cat(parts[1:], sep="/") if len(parts) > 1 else parts[0]


def _layer_rules(frame, spec: LayerColumns, report: ImportReport) -> None:
    """The rules a station or a worker row keeps (the models' CHECK constraints and clean())."""
    from layers.models import Worker

    rows = frame["_row"]
    if spec.layer == "stations":
        for i, level in enumerate(frame["level"]):
            need = {"community": "community_code", "xiaoqu": "compound_code"}.get(level)
            if need and frame[need].iat[i] is None:
                report.add(
                    rows.iat[i],
                    _key(frame, spec, i),
                    "missing_parent",
                    f"a {level} station needs its {need}",
                )
    if spec.layer == "workers":
        attach = {"grid_code": "grid", "microgrid_code": "micro_grid", "building_code": "building"}
        for i, role in enumerate(frame["role"]):
            given = {a for c, a in attach.items() if frame[c].iat[i] is not None}
            allowed = Worker.ALLOWED_ATTACHMENTS.get(role, set())
            if len(given) != 1 or (role and not given <= allowed):
                report.add(
                    rows.iat[i],
                    _key(frame, spec, i),
                    "attachment",
                    f"give exactly one of grid_code, microgrid_code, building_code; a "
                    f"{role} is attached to {' or '.join(sorted(allowed)) or '?'}",
                )


def _geometries(src: Source, frame, spec, crs, make_valid, report) -> list:
    if spec.geometry is None:
        return [None] * len(frame)
    geoms = src.frame.geometry
    present = geoms[~geoms.isna() & ~geoms.is_empty]
    bounds = present.total_bounds if len(present) else np.array([np.nan] * 4)
    try:
        plan = crs_resolve(declared=crs, embedded=src.crs, bounds=bounds)
    except BadRequest as exc:
        report.add(None, "", "crs", exc.message)
        return [None] * len(frame)
    report.crs = plan.label
    report.notes += plan.notes
    stored = geometries_to_storage(geoms.reset_index(drop=True), plan)
    keys = _keys(frame, spec)
    checked = geometries_check(
        geoms=stored,
        rows=frame["_row"],
        keys=keys,
        spec=spec,
        nullable=spec.layer == "units",
        repair=make_valid,
        report=report,
    )
    return geometries_shaped(
        checked, single=spec.layer == "buildings", rows=frame["_row"], keys=keys, report=report
    )


def _staged_rows(frame, plan: writer.Plan, wkb: list) -> list[tuple]:
    if plan.spec.layer == "addresses":
        frame["normalized"] = frame["text"].map(lambda t: unicodedata.normalize("NFKC", t or ""))
    names = writer.staged_names(plan)
    columns = [frame["_row"].tolist()] + [frame[n].tolist() for n in names] + [wkb]
    return [tuple(None if _blank(v) else v for v in row) for row in zip(*columns, strict=True)]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _layer_lock(layer: str) -> None:
    """Serialise imports of `layer` until this transaction ends (dry runs too, so their counts
    are those a write would give)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [IMPORT_LOCK_NAMESPACE, layer]
        )


def _write(
    *, plan, rows, frame, report: ImportReport, progress: Progress, scope: ImportScope
) -> None:
    writer.staging_fill(plan=plan, rows=rows, progress=progress)
    if not _scope_check(plan=plan, frame=frame, scope=scope, report=report):
        return
    for row, column, value, table in writer.unmatched(plan=plan):
        what = table.removeprefix("layers_")
        report.add(
            row,
            value,
            "unmatched_parent",
            f"{column} {value}: no such {what} in GridAtlas",
            repair=f"import the {what} first, or correct {column}",
        )
    for row, parent, area, x, y in writer.outside_parent(plan=plan):
        report.add(
            row,
            _row_key(frame, plan.spec, row),
            "outside_parent",
            f"reaches {area:.0f} m² outside its parent {parent}, near ({x:.6f}, {y:.6f})",
            repair="redraw it inside, or correct the parent code",
        )
    if report.errors:
        return
    layer = LAYERS[plan.spec.layer]
    level = layer.code_level if layer.boundary_rules else None
    scopes = _parent_scopes(level, plan) if level else []
    if level in LAYOUT_LEVELS and _scheduled_refuse(scopes, report):
        return
    before = _violations_over(scopes)
    _progress(progress, "write", 0, len(rows))
    bulk = len(rows) >= settings.GRIDATLAS_IMPORT_BULK_MIN_ROWS
    report.created, report.updated, report.unchanged = writer.rows_write(plan=plan, bulk=bulk)
    _progress(progress, "write", len(rows), len(rows))
    if level:
        _new_violations(before, scopes, frame, plan.spec, report)


STREET_DIGITS = LEVELS["street"].digits

# The streets a stored feature of each table lies in (alias t), for rows an import would
# replace: its old location counts as much as its new one. Coded tables: the code's first
# {street_digits} digits (a code names its ancestry). Points also where they lie (covers: a
# point on a shared edge is in both streets).
STORED_STREETS = {
    "layers_community": "SELECT left(t.code, {street_digits})",
    "layers_grid": "SELECT left(t.code, {street_digits})",
    "layers_microgrid": "SELECT left(t.code, {street_digits})",
    "layers_xiaoqu": "SELECT left(t.code, {street_digits})",
    "layers_building": "SELECT left(t.code, {street_digits})",
    "layers_address": (
        "SELECT left(b.code, {street_digits}) FROM layers_building b WHERE b.id = t.building_id "
        "UNION ALL SELECT st.code FROM layers_street st WHERE ST_Covers(st.geom, t.geom)"
    ),
    "layers_servicestation": (
        "SELECT st.code FROM layers_street st WHERE st.id = t.street_id "
        "UNION ALL SELECT st.code FROM layers_street st WHERE ST_Covers(st.geom, t.geom)"
    ),
    "layers_pairing": (
        "SELECT left(c.code, {street_digits}) FROM layers_community c WHERE c.id = t.community_id"
    ),
    "layers_worker": (
        "SELECT left(u.code, {street_digits}) FROM ("
        "SELECT code FROM layers_grid WHERE id = t.grid_id "
        "UNION ALL SELECT code FROM layers_microgrid WHERE id = t.micro_grid_id "
        "UNION ALL SELECT code FROM layers_building WHERE id = t.building_id) u"
    ),
}


def _rows_streets(plan: writer.Plan) -> list[tuple[int, str]]:
    """(row, street code) for every street each staged row touches: the codes it carries (its
    own and its parents'), where a point lies, and the stored feature it would replace."""
    staging = sql.Identifier(writer.STAGING)
    coded = [c for c in ("code",) if c in plan.direct]
    coded += [fk.column for fk in plan.fks if fk.lookup == "code"]
    parts = [
        sql.SQL("SELECT s._row, left(s.{c}, 9) FROM {s} s WHERE s.{c} IS NOT NULL").format(
            c=sql.Identifier(c), s=staging
        )
        for c in coded
    ]
    if plan.spec.geometry == "point":
        parts.append(
            sql.SQL(
                "SELECT s._row, st.code FROM {s} s JOIN layers_street st "
                "ON ST_Covers(st.geom, s.geom) WHERE s.geom IS NOT NULL"
            ).format(s=staging)
        )
    stored = STORED_STREETS.get(plan.table)
    if stored:
        parts.append(
            sql.SQL(
                "SELECT s._row, x.street FROM {s} s JOIN {t} t ON {m} "
                "CROSS JOIN LATERAL ({stored}) x(street)"
            ).format(
                s=staging,
                t=sql.Identifier(plan.table),
                m=writer._key_match(plan),
                stored=sql.SQL(stored).format(street_digits=sql.Literal(STREET_DIGITS)),
            )
        )
    if not parts:
        return []
    with connection.cursor() as cur:
        cur.execute(sql.SQL(" UNION ").join(parts).as_string(connection.connection))
        return cur.fetchall()


def _scope_check(*, plan, frame, scope: ImportScope, report: ImportReport) -> bool:
    """Every row inside the user's streets, or the whole file is refused (an error per row,
    naming only the row and its key from the file: nothing of the street it reached)."""
    if scope.streets is None:
        return True
    touched: dict[int, set] = {}
    for row, street in _rows_streets(plan):
        touched.setdefault(int(row), set()).add(street)
    outside = [
        i
        for i, row in enumerate(frame["_row"].tolist())
        if not touched.get(int(row)) or not touched[int(row)] <= scope.streets
    ]
    if not outside:
        return True
    yours = ", ".join(sorted(scope.streets))
    report.add(
        None,
        "",
        "outside_your_streets",
        f"{len(outside)} row(s) reach outside the streets assigned to you ({yours}): the file "
        "is refused whole and nothing was compared or written",
        repair="remove those rows, or ask an administrator to import them",
    )
    for i in outside[:MAX_LISTED_ISSUES]:
        report.add(
            frame["_row"].iat[i],
            _key(frame, plan.spec, i),
            "outside_your_streets",
            "not in a street assigned to you (by its codes, where it lies, or the feature it "
            "would replace)",
        )
    return False


def _row_key(frame, spec, row: int) -> str:
    # By the file's row number, not position: dissolved rows left the frame.
    return _key(frame, spec, int(np.flatnonzero(frame["_row"].to_numpy() == int(row))[0]))


def _common_prefix(codes: list[str]) -> str:
    codes = [c for c in codes if c]
    prefix = codes[0] if codes else ""
    for c in codes[1:]:
        while not c.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


# Grids and micro-grids make a community's layout: a publish waiting for its date would restore
# its whole layout on that day and undo an import made in between (layers/services/layouts.py).
LAYOUT_LEVELS = ("grid", "microgrid")


def _scheduled_refuse(scopes: list[str], report: ImportReport) -> bool:
    """True (with an error per community) when a community the file touches has a layout
    publish waiting for its date, or one that failed to take effect."""
    digits = LEVELS["community"].digits
    prefixes = {s[:digits] for s in scopes}
    pending = LayoutRevision.objects.filter(applied_at=None, cancelled_at=None)
    pending = [
        r
        for r in pending.select_related("community").order_by("community__code")
        if any(r.community.code.startswith(p) for p in prefixes)
    ]
    for r in pending:
        report.add(
            None,
            r.community.code,
            "scheduled_publish_pending",
            f"community {r.community.code} has layout revision {r.number} scheduled to take "
            f"effect on {r.effective_date.isoformat()}: on that day it restores that layout and "
            "would undo this import",
            repair="cancel the scheduled publish in the editor's versions list, or import after "
            "it has taken effect",
        )
    return bool(pending)


def _parent_scopes(level: str, plan: writer.Plan) -> list[str]:
    """The parents the file touches, each checked whole (all its children as they will be after
    the write: the database's and the file's): the parent each row names (its code's prefix when
    the column is blank) and the parent of the stored feature a row replaces. Past
    PARENT_SCOPES_MAX parents, their common prefix (one check over a street, a district or the
    city that covers them all)."""
    child, parent, fk = RELATIONS[level]
    fk_id = next(f"{f.column}__id" for f in plan.fks if f.column == plan.spec.parent)
    text = sql_compose(
        writer.SQL_DIR / "touched_parents.sql",
        staging=writer.STAGING,
        fk_id=fk_id,
        child=child,
        fk=fk,
        parent=parent,
    )
    with connection.cursor() as cur:
        cur.execute(text)
        parents = sorted(code for (code,) in cur.fetchall())
    if len(parents) > PARENT_SCOPES_MAX:
        return [_common_prefix(parents)]
    return parents


def _violations_over(scopes: list[str]) -> list:
    found = [v for s in scopes for v in boundary_violations(rules=CHECKED_RULES, scope=s or None)]
    return violations_deduplicated(found)


def _new_violations(before: list, scopes: list[str], frame, spec, report: ImportReport) -> None:
    """The boundary rules the new data breaks: violations after writing that were not there
    before, or that grew (layers.rules.compare; a city's own old violations are not the
    import's fault, but making one worse is)."""
    rows = dict(zip(frame["code"], frame["_row"], strict=True))
    for v in violations_new(before=before, after=_violations_over(scopes)):
        severity = "warning" if v.rule in WARNING_RULES else "error"
        row = next((rows[c] for c in v.codes if c in rows), None)
        report.add(row, v.codes[0], v.rule, v.message, severity=severity)

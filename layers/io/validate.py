"""The validation report of an import, and the checks that need only the file (no database).

Every issue names the row (the feature's number in the file, from 1), its key, the rule, a
message a planner can act on, and where one exists a proposed repair. The database checks
(unmatched parents, outside the parent, the boundary rules) add to the same report in
layers.services.layer_import.
"""

from collections import Counter
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.db import models

from geo.codes import LEVELS, code_regex
from geo.geometry import geometry_problems
from geo.params import INT4_MAX
from geo.srid import STORAGE_SRID, metric_srid
from layers.catalogue import LAYERS
from layers.io.columns import LayerColumns

# Issues listed per rule: past it a rule's issues are only counted (ImportReport.unlisted), so a
# file wrong on every one of 150,000 rows gives a report a page and a person can hold.
MAX_LISTED_ISSUES = 1000
# The import's rule name for each problem of geo.geometry.geometry_problems (the message is the
# models' own).
GEOMETRY_RULES = {
    "empty": "missing_geometry",
    "wrong_crs": "outside_china",
    "invalid": "invalid_geometry",
    "sliver": "sliver",
}


@dataclass
class Issue:
    row: int | None  # feature number in the file, from 1; None: the whole file
    key: str
    rule: str
    message: str
    repair: str = ""
    severity: str = "error"  # "error" blocks the import; "warning" does not


@dataclass
class ImportReport:
    layer: str
    source: str
    fmt: str = ""
    crs: str = ""
    encoding: str = ""
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    code_map: dict[str, str] = field(default_factory=dict)  # source → official (code_resolve)
    issues: list[Issue] = field(default_factory=list)  # at most MAX_LISTED_ISSUES per rule
    unlisted: dict[str, int] = field(default_factory=dict)  # rule → issues past the cap
    unlisted_errors: int = 0  # how many of the unlisted are errors (the rest are warnings)
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # matched by key and equal to what is stored: not written
    dissolved: int = 0  # rows merged into an earlier row of the same code (layers.io.dissolve)
    slivers_dropped: int = 0  # polygon parts under GRIDATLAS_IMPORT_SLIVER_M2, dropped
    # Community code → what building its parcels at import did ("parcelised: …" or why not).
    parcels: dict[str, str] = field(default_factory=dict)
    dry_run: bool = True
    written: bool = False
    _listed: Counter = field(default_factory=Counter, repr=False, compare=False)

    @property
    def errors(self) -> list[Issue]:
        """The listed errors; error_count counts the unlisted ones too."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity != "error"]

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.unlisted_errors

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + sum(self.unlisted.values()) - self.unlisted_errors

    def add(self, row, key, rule, message, repair="", severity="error") -> None:
        if self._listed[rule] < MAX_LISTED_ISSUES:
            self._listed[rule] += 1
            self.issues.append(Issue(row, str(key or ""), rule, message, repair, severity))
            return
        self.unlisted[rule] = self.unlisted.get(rule, 0) + 1
        self.unlisted_errors += severity == "error"

    def as_dict(self) -> dict:
        out = asdict(self)
        del out["_listed"]
        out["error_count"] = self.error_count
        out["warning_count"] = self.warning_count
        return out

    def as_text(self) -> str:
        lines = [
            f"{self.layer} from {self.source} ({self.fmt}, {self.crs}, text {self.encoding}): "
            f"{self.rows} rows",
            "columns: " + ", ".join(f"{h} → {c}" for c, h in self.columns.items()),
        ]
        if self.ignored_columns:
            lines.append("ignored columns: " + ", ".join(self.ignored_columns))
        lines += [f"note: {n}" for n in self.notes]
        for i in self.issues:
            where = f"row {i.row}" if i.row else "file"
            repair = f" Repair: {i.repair}" if i.repair else ""
            lines.append(f"{i.severity.upper()} {where} {i.key} [{i.rule}] {i.message}{repair}")
        lines += [
            f"… and {n} more [{rule}] not listed (the first {MAX_LISTED_ISSUES} are)"
            for rule, n in self.unlisted.items()
        ]
        verb = "would create" if not self.written else "created"
        lines.append(
            f"{self.error_count} errors, {self.warning_count} warnings; "
            f"{verb} {self.created}, {'would update' if not self.written else 'updated'} "
            f"{self.updated}, unchanged {self.unchanged}"
            + ("" if self.written else "; nothing written")
        )
        return "\n".join(lines)


def _choices(model_field: models.Field) -> dict[str, str]:
    """value and label (case-insensitive) → value, so 商品房 and commercial both import."""
    out = {}
    for value, label in model_field.choices or ():
        out[str(value).lower()] = value
        out[str(label).lower()] = value
    return out


def values_clean(
    *, frame: pd.DataFrame, spec: LayerColumns, model, report: ImportReport
) -> pd.DataFrame:
    """The canonical columns, typed: ints, dates and choices parsed; blanks as None. Bad cells
    become issues. `frame` holds the canonical columns as text; `_row` the file row numbers."""
    out = frame.copy()
    for col in spec.columns:
        if col.name not in out or col.derived:
            continue
        text = out[col.name].map(_text_or_none)
        # map() turns the None of a numeric column back into NaN (a blank int in a GeoPackage).
        text = text.astype(object).where(text.notna(), None)
        out[col.name] = text
        if col.required:
            for i in np.flatnonzero(text.isna().to_numpy()):
                report.add(out["_row"].iat[i], "", "missing_value", f"{col.name} is empty")
        if col.kind == "int":
            # Object, not the float64 pandas makes of ints with a blank: COPY wants 320, not 320.0.
            out[col.name] = pd.Series(_ints(out, col.name, report), index=out.index, dtype=object)
        elif col.kind == "date":
            parsed = pd.to_datetime(text, errors="coerce")
            for i in np.flatnonzero((parsed.isna() & text.notna()).to_numpy()):
                report.add(
                    out["_row"].iat[i],
                    "",
                    "bad_value",
                    f"{col.name} {text.iat[i]!r} is not a date (use YYYY-MM-DD)",
                )
            out[col.name] = [d.date() if pd.notna(d) else None for d in parsed]
        elif col.kind == "choice":
            out[col.name] = _choice(out, col.name, model._meta.get_field(col.source), report)
    # One blank everywhere downstream: None (pandas turns None into NaN in mixed columns).
    for name in out.columns.drop("_row"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def _text_or_none(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]  # a code or count that a spreadsheet stored as a float
    return text or None


def _ints(out: pd.DataFrame, name: str, report: ImportReport) -> list:
    values = []
    for i, v in enumerate(out[name]):
        if v is None:
            values.append(None)
            continue
        try:
            n = int(float(v))
            # The columns are PostgreSQL integers: a larger count is a typo, not a 500.
            if n < 0 or n != float(v) or n > INT4_MAX:
                raise ValueError
            values.append(n)
        except ValueError:
            report.add(
                out["_row"].iat[i], "", "bad_value", f"{name} {v!r} is not a whole number ≥ 0"
            )
            values.append(None)
    return values


def _choice(out: pd.DataFrame, name: str, model_field, report: ImportReport) -> list:
    allowed = _choices(model_field)
    values = []
    for i, v in enumerate(out[name]):
        value = allowed.get(v.lower()) if v is not None else None
        if v is not None and value is None:
            labels = ", ".join(f"{val} ({lab})" for val, lab in model_field.choices)
            report.add(out["_row"].iat[i], "", "bad_value", f"{name} {v!r} is not one of {labels}")
        values.append(value)
    return values


def codes_check(*, frame: pd.DataFrame, spec: LayerColumns, report: ImportReport) -> None:
    """Malformed codes, parent codes that the code does not extend, duplicate keys."""
    level = LAYERS[spec.layer].code_level  # geo.codes level, for format and parent checks
    rows = frame["_row"]
    if level and "code" in frame:
        codes = frame["code"].fillna("").astype(str)
        bad = ~codes.str.fullmatch(code_regex(level).strip("^$"))
        lvl = LEVELS[level]
        for i in np.flatnonzero((bad & (codes != "")).to_numpy()):
            report.add(
                rows.iat[i],
                codes.iat[i],
                "bad_code",
                f"a {lvl.label} code is {lvl.digits} digits, e.g. {lvl.example}",
            )
        parent = spec.parent
        if parent and lvl.parent and parent in frame:
            cut = LEVELS[lvl.parent].digits
            given = frame[parent].fillna("").astype(str)
            clash = (given != "") & ~bad & (codes.str[:cut] != given)
            for i in np.flatnonzero(clash.to_numpy()):
                report.add(
                    rows.iat[i],
                    codes.iat[i],
                    "code_parent",
                    f"code {codes.iat[i]} does not start with its parent's code {given.iat[i]}",
                    repair=f"renumber under {given.iat[i]} or correct {parent}",
                )
    key = [k for k in spec.key if k in frame]
    if key:
        dup = frame.duplicated(subset=key, keep=False) & frame[key].notna().all(axis=1)
        for i in np.flatnonzero(dup.to_numpy()):
            value = "/".join(str(frame[k].iat[i]) for k in key)
            first = rows[dup & (frame[key] == frame[key].iloc[i]).all(axis=1)].tolist()
            report.add(
                rows.iat[i],
                value,
                "duplicate_key",
                f"{'/'.join(key)} {value} appears in rows {', '.join(map(str, first))}",
                repair="keep one row per key, or give the others new codes",
            )


def parts_layer(spec: LayerColumns) -> bool:
    """A division layer (MultiPolygons): rows of one code are dissolved into one feature and parts
    under GRIDATLAS_IMPORT_SLIVER_M2 dropped (layers.io.dissolve). A building is one polygon,
    and a point is a point: those keep every row and refuse slivers (issue 15)."""
    return spec.geometry == "polygon" and spec.layer != "buildings"


def geometries_check(
    *,
    geoms: gpd.GeoSeries,
    rows: pd.Series,
    keys: pd.Series,
    spec: LayerColumns,
    nullable: bool,
    repair: bool,
    report: ImportReport,
) -> gpd.GeoSeries:
    """Missing, wrong-type, out-of-China and invalid geometries (with the reason and the result
    of ST_MakeValid as the proposed repair; applied when `repair`). Returns the geometries in the
    form the layer stores: Polygon for buildings, MultiPolygon for divisions, Point for points."""
    values = _flattened(geoms.values.copy(), report)
    want = spec.geometry
    for i in np.flatnonzero(shapely.is_missing(values) | shapely.is_empty(values)):
        if not nullable:
            report.add(rows.iat[i], keys.iat[i], "missing_geometry", "the feature has no geometry")
        values[i] = None
    types = shapely.get_type_id(values)
    ok_type = (types == 0) if want == "point" else np.isin(types, (3, 6))
    for i in np.flatnonzero(~ok_type & (types >= 0)):
        report.add(
            rows.iat[i],
            keys.iat[i],
            "wrong_geometry_type",
            f"a {values[i].geom_type} where {spec.layer} need {want}s",
        )
        values[i] = None
    _not_finite(values, rows, keys, report)
    # The models' own check (geo.geometry), so a feature the admin refuses is refused here with
    # the same reason, and one it accepts passes.
    for i, problem in enumerate(geometry_problems(values)):
        if problem is None:
            continue
        if problem.code == "invalid":
            values[i] = _invalid(
                values[i], rows.iat[i], keys.iat[i], repair, report, problem, parts_layer(spec)
            )
            continue
        if problem.code == "sliver" and parts_layer(spec):
            continue  # the part is dropped with a note once the rows are dissolved
        report.add(rows.iat[i], keys.iat[i], GEOMETRY_RULES[problem.code], problem.message)
        values[i] = None
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)


def _not_finite(values, rows, keys, report: ImportReport) -> None:
    """Features with an infinite or NaN coordinate (1e30 metres projected from a Gauss-Krüger
    zone, say) are an error on their row and dropped: GEOS cannot even repair them."""
    coords, index = shapely.get_coordinates(values, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    for i in bad:
        report.add(
            rows.iat[i],
            keys.iat[i],
            "outside_china",
            "the coordinates are not finite numbers once projected (far outside any map): "
            "wrong coordinate system? check --crs and the x/y columns",
        )
        values[i] = None


def _flattened(values, report: ImportReport):
    """The geometries in 2D. A PolygonZ Shapefile (heights from a survey) or an M-measured line
    is ordinary data, but the tables hold 2D geometry: Z and M are dropped, and the report says
    so."""
    present = ~shapely.is_missing(values)
    extra = present.copy()
    extra[present] = shapely.has_z(values[present]) | shapely.has_m(values[present])
    if extra.any():
        values[extra] = shapely.force_2d(values[extra])
        report.notes.append(
            f"{int(extra.sum())} feature(s) had 3D (Z) or measured (M) coordinates: they are "
            "read as 2D, heights and measures dropped."
        )
    return values


def _area_m2(geom) -> float:
    return float(
        gpd.GeoSeries([geom], crs=f"EPSG:{STORAGE_SRID}").to_crs(metric_srid()).area.iloc[0]
    )


def _invalid(geom, row, key, repair: bool, report: ImportReport, problem, slivers_dropped: bool):
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    polygonal = shapely.get_type_id(fixed) in (3, 6)
    proposal = (
        f"ST_MakeValid gives a {fixed.geom_type} of {shapely.get_num_geometries(fixed)} part(s), "
        f"{_area_m2(fixed):.0f} m²"
        if polygonal and not fixed.is_empty
        else "redraw the outline"
    )
    if repair and polygonal and not fixed.is_empty:
        (again,) = geometry_problems([fixed])
        if again is not None and not (again.code == "sliver" and slivers_dropped):
            report.add(row, key, GEOMETRY_RULES[again.code], f"once repaired: {again.message}")
            return None
        report.add(
            row,
            key,
            "invalid_geometry",
            f"{problem.message} Repaired.",
            repair=proposal,
            severity="warning",
        )
        return fixed
    report.add(
        row,
        key,
        "invalid_geometry",
        problem.message,
        repair=proposal + ("; run with --make-valid to apply it" if polygonal else ""),
    )
    return None


def geometries_shaped(geoms: gpd.GeoSeries, *, single: bool, rows, keys, report) -> list:
    """Polygon for single-part layers (buildings), MultiPolygon for divisions, as EWKB hex."""
    values = geoms.values
    out = []
    for i, g in enumerate(values):
        if g is None:
            out.append(None)
            continue
        if single and g.geom_type == "MultiPolygon":
            if len(g.geoms) != 1:
                report.add(
                    rows.iat[i],
                    keys.iat[i],
                    "multipart",
                    f"a footprint of {len(g.geoms)} parts: split it into one building each",
                )
                out.append(None)
                continue
            g = g.geoms[0]
        elif not single and g.geom_type == "Polygon":
            g = shapely.MultiPolygon([g])
        out.append(g)
    arr = shapely.set_srid(np.array(out, dtype=object), STORAGE_SRID)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))

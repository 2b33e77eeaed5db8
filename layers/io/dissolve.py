"""Real files as they come (issue 15): several rows of one code are one feature, and parts too
small to be a boundary are digitising leftovers.

- **Dissolve**: a division drawn as several polygons is often exported one row per polygon
  under the same code. Those rows become one feature: the first row, its geometry the union of
  all of theirs (GEOS `union_all`, so parts that touch merge), each other attribute taken from
  the first row that gives it. Parts that disagree (another name, another parent) are an error
  naming the rows: which one is right is the planner's call, not ours. `dissolve=False` keeps
  the rows apart, and the duplicate-key check refuses them as before.
- **Slivers**: a part under GRIDATLAS_IMPORT_SLIVER_M2 (area in the metric CRS) is dropped with
  a note; a feature left with no part is an error, never silently removed.

Only division layers (layers.io.validate.parts_layer): a building is one polygon and a point a
point, so their repeated keys stay a `duplicate_key` error. Geometries come and go as EWKB hex
aligned with the frame by position; `_row` keeps the file's row numbers, so after a dissolve
the frame's positions and its row numbers no longer agree.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.conf import settings

from geo.srid import STORAGE_SRID, metric_srid
from layers.io.columns import LayerColumns
from layers.io.validate import MAX_LISTED_ISSUES, ImportReport, parts_layer


def features_dissolved(
    *,
    frame: pd.DataFrame,
    wkb: list,
    spec: LayerColumns,
    report: ImportReport,
    dissolve: bool = True,
) -> tuple[pd.DataFrame, list]:
    """`frame` and its geometries with the rows sharing a key merged into one (unless not
    `dissolve`) and sliver parts dropped (module docstring). Other layers pass unchanged."""
    if not parts_layer(spec):
        return frame, wkb
    geoms = np.array(shapely.from_wkb(wkb), dtype=object)
    if dissolve:
        frame, geoms = _dissolved(frame, geoms, spec, report)
    geoms = _slivers_dropped(frame, geoms, spec, report)
    geoms = shapely.set_srid(geoms, STORAGE_SRID)
    return frame, list(shapely.to_wkb(geoms, hex=True, include_srid=True))


def _dissolved(frame: pd.DataFrame, geoms: np.ndarray, spec: LayerColumns, report: ImportReport):
    key = [k for k in spec.key if k in frame]
    shared = frame.duplicated(subset=key, keep=False) & frame[key].notna().all(axis=1)
    if not shared.any():
        return frame, geoms
    frame = frame.copy()
    keep = np.ones(len(frame), dtype=bool)
    notes = []
    groups = frame[shared].groupby(key, sort=False).indices  # key → positions among `shared`
    where = np.flatnonzero(shared.to_numpy())
    for value, positions in groups.items():
        at = where[positions]  # positions in the file's order, the first one kept
        code = value if isinstance(value, str) else "/".join(map(str, value))
        _attributes_merged(frame, at, code, spec, report)
        geoms[at[0]] = _union(geoms[at])
        keep[at[1:]] = False
        rows = ", ".join(str(r) for r in frame["_row"].iloc[at])
        parts = "" if geoms[at[0]] is None else f" of {len(geoms[at[0]].geoms)} part(s)"
        notes.append(f"{code}: {len(at)} polygons (rows {rows}) dissolved into one feature{parts}")
    report.dissolved = int((~keep).sum())
    _notes_add(report, notes)
    report.notes.append(
        f"{len(groups)} code(s) given on several rows: {len(groups) + report.dissolved} rows "
        f"dissolved into {len(groups)} features (import with --no-dissolve to refuse them)"
    )
    return frame[keep].reset_index(drop=True), geoms[keep]


def _attributes_merged(frame, at, code: str, spec: LayerColumns, report: ImportReport) -> None:
    """The kept row (at[0]) takes each attribute from the first of the rows that gives one; rows
    giving different values are an error on the kept row, naming the rows and the values."""
    rows = frame["_row"].iloc[at].tolist()
    for col in spec.columns:
        if col.derived or col.name in spec.key or col.name not in frame:
            continue
        values = frame[col.name].iloc[at].tolist()
        given = {}
        for row, v in zip(rows, values, strict=True):
            if v is not None:
                given.setdefault(v, []).append(row)
        if len(given) > 1:
            which = "; ".join(
                f"{v} in row{'s' if len(r) > 1 else ''} {', '.join(map(str, r))}"
                for v, r in given.items()
            )
            report.add(
                rows[0],
                code,
                "dissolve_conflict",
                f"rows {', '.join(map(str, rows))} share {code} but not {col.name}: {which}",
                repair=f"give the parts one {col.name}, or give the other rows codes of their own",
            )
        elif given:
            frame.iat[at[0], frame.columns.get_loc(col.name)] = next(iter(given))


def _union(parts: np.ndarray):
    """One MultiPolygon of the rows' geometries; None when a row has none (its error is in the
    report already)."""
    if any(g is None for g in parts):
        return None
    merged = shapely.union_all(parts)
    polygons = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon"]
    return shapely.MultiPolygon(polygons)


def _slivers_dropped(frame, geoms: np.ndarray, spec: LayerColumns, report: ImportReport):
    """Each MultiPolygon without its parts under GRIDATLAS_IMPORT_SLIVER_M2 (areas in the metric
    CRS); a feature with no part left is an error and keeps no geometry."""
    min_m2 = settings.GRIDATLAS_IMPORT_SLIVER_M2
    parts, owner = shapely.get_parts(geoms, return_index=True)
    if not len(parts):
        return geoms
    areas = gpd.GeoSeries(parts, crs=f"EPSG:{STORAGE_SRID}").to_crs(metric_srid()).area.to_numpy()
    small = areas < min_m2
    if not small.any():
        return geoms
    geoms = geoms.copy()
    notes = []
    for i in np.unique(owner[small]):
        mine = owner == i
        key = "/".join(str(frame[k].iat[i]) for k in spec.key)
        row = frame["_row"].iat[i]
        if small[mine].all():
            near = shapely.point_on_surface(geoms[i])
            report.add(
                row,
                key,
                "sliver",
                f"every part is under {min_m2:g} m² (the largest {areas[mine].max():.2f} m², near "
                f"({near.x:.6f}, {near.y:.6f})): a sliver, not a boundary",
                repair="redraw the feature, or delete its row",
            )
            geoms[i] = None
            continue
        dropped = areas[mine & small]
        geoms[i] = shapely.MultiPolygon(list(parts[mine & ~small]))
        report.slivers_dropped += len(dropped)
        sizes = ", ".join(f"{a:.2f}" for a in sorted(dropped))
        notes.append(
            f"{key} (row {row}): {len(dropped)} sliver part(s) under {min_m2:g} m² dropped "
            f"({sizes} m²)"
        )
    _notes_add(report, notes)
    return geoms


def _notes_add(report: ImportReport, notes: list[str]) -> None:
    """The first MAX_LISTED_ISSUES notes, then how many more (a report a person can hold)."""
    report.notes += notes[:MAX_LISTED_ISSUES]
    if len(notes) > MAX_LISTED_ISSUES:
        report.notes.append(f"… and {len(notes) - MAX_LISTED_ISSUES} more like these")

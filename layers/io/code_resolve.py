"""Official codes for a file that carries a local system's codes (`SQ`, `SQ-3`, `SQ-3-2`): the
file's code is kept as `source_code`, the official one is found from the name in the national
division list (districts, streets, communities) or generated in reading order (grids,
micro-grids, compounds). Issue 15.

The rule: never certain and wrong. A code is assigned only by an explicit `--code-map` entry
(which wins), by the stored feature that already carries the same source code (so importing the
same file again updates rather than duplicates), by a unique exact or variant match of the name
(geo.division_list.name_match), or by generation under a known parent. Anything else is an error
row (rule `code_match`) listing the candidates and the repair, and the row's code is cleared so
that it is not also refused as malformed.

Parents named by a local code or by name (`所属街道` = `SQ` or `花果街道`) are looked up among the
features GridAtlas already stores at the parent level, within the county when one is given
(layers.io.stored_codes). A file whose codes are official passes through unchanged, except
that an official code the 2023 list no longer has (`retired`, e.g. 330103 下城区) is refused for
a feature not yet stored, with the current division of that name as the repair
(layers.io.division_checks).
"""

from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.codes import LEVELS
from geo.division_list import (
    DivisionEntry,
    city_name,
    counties_named,
    name_match,
    name_normal,
)
from geo.srid import STORAGE_SRID, metric_srid
from layers.catalogue import LAYERS
from layers.io.code_assign import codes_generated
from layers.io.columns import LayerColumns
from layers.io.division_checks import (
    LIST,
    county_resolve,
    is_official,
    official_mask,
    retired_refuse,
)
from layers.io.stored_codes import NAME_LEVEL, StoredLevel, children_stored
from layers.io.validate import ImportReport

# Numbered in reading order under their parent (layers.io.code_assign). Not buildings, yet: a
# building code that is not official stays refused as malformed (bad_code).
GENERATED_LEVELS = ("grid", "microgrid", "xiaoqu")
MAX_SHOWN = 3  # candidates named in a message
KEPT_TWICE = "give each its own code: correct --code-map, or the rows' source codes"
NOUNS = {
    "district": "districts",
    "street": "streets",
    "community": "communities",
    "grid": "grids",
    "microgrid": "micro-grids",
    "xiaoqu": "compounds",
    "building": "buildings",
}


class _Refused(Exception):
    def __init__(self, message: str, repair: str = ""):
        super().__init__(message)
        self.message, self.repair = message, repair


@dataclass
class _Run:
    """One file's resolution: its codes and parents as lists (by position), what was done."""

    frame: pd.DataFrame
    spec: LayerColumns
    level: str
    report: ImportReport
    county: DivisionEntry | None
    code_map: dict[str, str]
    codes: list = field(default_factory=list)
    parents: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    blocked: set = field(default_factory=set)  # rows refused already
    done: Counter = field(default_factory=Counter)  # how codes were found
    parents_done: Counter = field(default_factory=Counter)
    _stored: dict = field(default_factory=dict)

    def stored(self, level: str, prefix: str = "") -> StoredLevel:
        if (level, prefix) not in self._stored:
            self._stored[level, prefix] = StoredLevel(level, prefix)
        return self._stored[level, prefix]

    def refuse(self, i: int, refused: _Refused) -> None:
        key = self.codes[i] or self.sources[i] or ""
        self.report.add(
            self.frame["_row"].iat[i], key, "code_match", refused.message, refused.repair
        )
        if not is_official(self.codes[i], self.level):
            self.codes[i] = None  # refused once, not again as a malformed code
        self.blocked.add(i)

    def assign(self, i: int, code: str, how: str) -> None:
        source = self.codes[i]
        self.sources[i], self.codes[i] = source, code
        self.report.code_map[source] = code
        self.done[how] += 1


def codes_resolved(
    *,
    frame: pd.DataFrame,
    wkb: list,
    spec: LayerColumns,
    report: ImportReport,
    county: str | None = None,
    code_map: dict[str, str] | None = None,
) -> pd.DataFrame:
    """`frame` with official codes in `code` and its parent column, the file's own codes in
    `source_code` (see the module docstring). Issues go into `report`, the mapping into
    `report.code_map`; `wkb` (EWKB hex, aligned with `frame`) places grids in reading order."""
    level = LAYERS[spec.layer].code_level
    entry = county_resolve(county)
    if level is None or "code" not in frame:
        return frame
    parent_col = spec.parent if LEVELS[level].parent and spec.parent in frame else None
    _official_mapped(frame, level, report, code_map or {})
    retired_refuse(frame, level, report, entry)
    local = frame["code"].notna() & ~official_mask(frame["code"], level)
    parents_local = pd.Series(False, index=frame.index)
    if parent_col:
        parent_level = LEVELS[level].parent
        parents_local = frame[parent_col].notna() & ~official_mask(frame[parent_col], parent_level)
    if not local.any() and not parents_local.any():
        return frame
    if "source_code" not in frame:
        frame["source_code"] = pd.Series(None, index=frame.index, dtype=object)
    run = _Run(frame, spec, level, report, entry, code_map or {})
    run.codes, run.sources = frame["code"].tolist(), frame["source_code"].tolist()
    run.parents = frame[parent_col].tolist() if parent_col else [None] * len(frame)
    if parent_col:
        _parents_resolve(run, parent_col)
    rows = [i for i in range(len(frame)) if local.iat[i] and i not in run.blocked]
    if level == "district":
        _districts(run, rows)
    elif level in NAME_LEVEL:
        _named(run, rows)
    elif level in GENERATED_LEVELS:
        _generated(run, rows, wkb)
    # Object columns with None for blanks, as values_clean leaves them (pandas 3 would infer a
    # string column and turn None into NaN).
    frame["code"] = pd.Series(run.codes, index=frame.index, dtype=object)
    frame["source_code"] = pd.Series(run.sources, index=frame.index, dtype=object)
    if parent_col:
        frame[parent_col] = pd.Series(run.parents, index=frame.index, dtype=object)
    report.notes += _notes(run, parent_col)
    return frame


def _official_mapped(frame, level: str, report: ImportReport, code_map: dict[str, str]) -> None:
    """An official code the code map names (a retired one, most often: the map is its repair)
    is replaced like a local code: the file's code kept as `source_code`."""
    if not code_map:
        return
    codes = frame["code"]
    hits = codes.isin(list(code_map)) & official_mask(codes, level)
    if not hits.any():
        return
    if "source_code" not in frame:
        frame["source_code"] = pd.Series(None, index=frame.index, dtype=object)
    for i in np.flatnonzero(hits.to_numpy()):
        given = codes.iat[i]
        frame.iat[i, frame.columns.get_loc("source_code")] = given
        frame.iat[i, frame.columns.get_loc("code")] = code_map[given]
        report.code_map[given] = code_map[given]
    report.notes.append(f"{int(hits.sum())} official code(s) replaced as the code map says")


# --- parents ----------------------------------------------------------------------------------
def _parents_resolve(run: _Run, col: str) -> None:
    """Each parent value that is not an official code, looked up once (see _parent_lookup); a
    blank parent of a hierarchical local code (SQ-3-2) is the stored parent whose source code is
    its prefix (SQ-3), when exactly one is."""
    parent_level = LEVELS[run.level].parent
    found: dict[str, tuple[str, str] | _Refused] = {}
    for i, value in enumerate(run.parents):
        if value is None:
            _parent_from_prefix(run, i, parent_level)
            continue
        if is_official(value, parent_level):
            continue
        if value not in found:
            try:
                found[value] = _parent_lookup(run, parent_level, col, value)
            except _Refused as refused:
                found[value] = refused
        if isinstance(found[value], _Refused):
            run.refuse(i, found[value])
            run.parents[i] = None
            continue
        run.parents[i], how = found[value]
        run.parents_done[how] += 1


def _parent_from_prefix(run: _Run, i: int, parent_level: str) -> None:
    code = run.codes[i]
    if not code or is_official(code, run.level) or "-" not in code:
        return
    hits = run.stored(parent_level, _county_prefix(run)).with_source(code.rsplit("-", 1)[0])
    if len(hits) == 1:
        run.parents[i] = hits[0][0]
        run.parents_done["the prefix of the row's own code"] += 1


def _county_prefix(run: _Run) -> str:
    return run.county.code if run.county else ""


def _parent_lookup(run: _Run, level: str, col: str, value: str) -> tuple[str, str]:
    """(official code, how) of the parent a file names by `value`: --code-map, else the stored
    feature with that source code, else the stored feature of that name (within the county),
    else for districts, streets and communities the national list's division of that name
    (the writer then reports a parent not imported yet). _Refused when none or several."""
    label, where = LEVELS[level].label, _within_text(run)
    mapped = _mapped(run, value, level, None)
    if mapped:
        return mapped, "--code-map"
    stored = run.stored(level, _county_prefix(run))
    for hits, how in ((stored.with_source(value), "source code"), (stored.named(value), "name")):
        if len(hits) == 1:
            return hits[0][0], how
        if hits:
            raise _Refused(
                f"{col} {value!r} is the {how} of {len(hits)} {NOUNS[level]}{where}: "
                + _listed(hits),
                repair=f"give the code instead, or map it: --code-map {value}={hits[0][0]}",
            )
    listed = _listed_division(run, level, value)
    if listed:
        return listed, "name in the national list"
    raise _Refused(
        f"{col} {value!r}: no {label} in GridAtlas has this source code or name{where}",
        repair=f"import the {NOUNS[level]} first, or map it: "
        f"--code-map {value}={LEVELS[level].example}",
    )


def _listed_division(run: _Run, level: str, name: str) -> str | None:
    """The code of the one division of the list that `name` designates (None when unsure)."""
    if level == "district":
        found = [e for e in counties_named(name) if not run.county or e.code == run.county.code]
        return found[0].code if len(found) == 1 else None
    if level in NAME_LEVEL and run.county:
        m = name_match(name, level=NAME_LEVEL[level], within=run.county.code)
        return m.code if m.status in ("exact", "variant") else None
    return None


def _within_text(run: _Run) -> str:
    return f" in {run.county.code} {run.county.name}" if run.county else ""


def _listed(hits) -> str:
    return ", ".join(f"{code} {name}" for code, name in hits[:MAX_SHOWN])


def _mapped(run: _Run, value: str, level: str, parent: str | None) -> str | None:
    """The --code-map entry for `value`, checked: the level's format, under its parent."""
    code = run.code_map.get(value)
    if code is None:
        return None
    lvl = LEVELS[level]
    if not is_official(code, level):
        raise _Refused(
            f"--code-map {value}={code}: a {lvl.label} code is {lvl.digits} digits",
            repair=f"map it to an official code, e.g. --code-map {value}={lvl.example}",
        )
    if parent and not code.startswith(parent):
        raise _Refused(
            f"--code-map {value}={code} does not start with its parent's code {parent}",
            repair=f"map it to a code under {parent}, or correct the parent column",
        )
    return code


# --- the rows' own codes ----------------------------------------------------------------------
def _districts(run: _Run, rows: list[int]) -> None:
    """A district's code from its name (narrowed to `--county` when given)."""
    names = run.frame["name"].tolist()
    for i in rows:
        source, name = run.codes[i], names[i] or ""
        try:
            mapped = _mapped(run, source, "district", None)
            stored = run.stored("district").with_source(source)
            if mapped or len(stored) == 1:
                run.assign(i, mapped or stored[0][0], "code_map" if mapped else "stored")
                continue
            named = counties_named(name) if name else []
            found = [e for e in named if not run.county or e.code == run.county.code]
            if len(found) != 1:
                raise _county_refused(source, name, found or named, run.county)
        except _Refused as refused:
            run.refuse(i, refused)
            continue
        same = name_normal(name) == name_normal(found[0].name)
        run.assign(i, found[0].code, "exact" if same else "variant")


def _county_refused(source: str, name: str, found, county) -> _Refused:
    """`found`: the counties of that name (several), or those elsewhere than `county`."""
    shown = ", ".join(f"{e.code} {city_name(e.code) or ''}{e.name}" for e in found[:MAX_SHOWN])
    if found and county:
        return _Refused(
            f"{name!r} is not --county {county.code} {county.name}: {LIST} has {shown}",
            repair=f"correct --county or 名称, or map it: --code-map {source}={county.code}",
        )
    if found:
        return _Refused(
            f"{name!r} names {len(found)} counties in {LIST}: {shown}",
            repair=f"give the county: --county {found[0].code}, or map it: "
            f"--code-map {source}={found[0].code}",
        )
    return _Refused(
        f"{name!r} is no county in {LIST}",
        repair="write the name as in the official list, or map it: "
        f"--code-map {source}={LEVELS['district'].example}",
    )


def _named(run: _Run, rows: list[int]) -> None:
    """A street's or community's code from its name, within its parent (or the county)."""
    names = run.frame["name"].tolist()
    list_level = NAME_LEVEL[run.level]
    for i in rows:
        source, name, parent = run.codes[i], names[i] or "", run.parents[i]
        within = parent or _county_prefix(run)
        try:
            mapped = _mapped(run, source, run.level, parent)
            if mapped:
                run.assign(i, mapped, "code_map")
                continue
            stored = [
                hit
                for hit in run.stored(run.level, _county_prefix(run) or within).with_source(source)
                if hit[0].startswith(within)
            ]
            if len(stored) == 1:
                run.assign(i, stored[0][0], "stored")
                continue
            if not within:
                raise _Refused(
                    f"cannot tell which county {name or source} is in",
                    repair="give the county: --county 420303 (or 张湾区), "
                    f"or fill {run.spec.parent}",
                )
            try:
                match = name_match(name, level=list_level, within=within)
            except ValueError as exc:
                raise _Refused(str(exc)) from None
            if match.status not in ("exact", "variant"):
                raise _match_refused(run, source, name, match)
        except _Refused as refused:
            run.refuse(i, refused)
            continue
        run.assign(i, match.code, match.status)


def _match_refused(run: _Run, source: str, name: str, match) -> _Refused:
    shown = "; ".join(f"{code} {cand}" for code, cand, _ in match.candidates[:MAX_SHOWN])
    label = LEVELS[run.level].label
    if match.status == "ambiguous":
        message = f"{name!r} names {len(match.candidates)} or more divisions: {shown}"
    else:
        message = f"no {label} named {name!r} in {LIST}" + (
            f"; the closest: {shown}" if shown else ""
        )
    example = match.candidates[0][0] if match.candidates else LEVELS[run.level].example
    return _Refused(
        message,
        repair=f"write 名称 as in the official list, or map it: --code-map {source}={example}",
    )


def _generated(run: _Run, rows: list[int], wkb: list) -> None:
    """Codes generated under each parent in reading order (layers.io.code_assign): a stored
    feature with the same source code keeps its code, a --code-map entry is kept as given, and
    no new code takes one the parent already has."""
    groups: dict[str, list[int]] = {}
    for i in rows:
        if run.parents[i] is None:
            parent_level = LEVELS[LEVELS[run.level].parent].label
            run.refuse(
                i,
                _Refused(
                    f"no {parent_level} to number it under",
                    repair=f"fill {run.spec.parent} (its official code, source code or name)",
                ),
            )
            continue
        groups.setdefault(run.parents[i], []).append(i)
    stored = children_stored(run.level, list(groups))
    official_in_file = {c for c in run.codes if is_official(c, run.level)}  # taken too
    placeable = [i for i in rows if wkb[i] is not None and i not in run.blocked]
    metric = dict(zip(placeable, _metric([wkb[i] for i in placeable]), strict=True))
    for parent, idx in groups.items():
        _generated_under(run, parent, idx, stored[parent], official_in_file, metric)


def _generated_under(run, parent: str, idx: list[int], stored, official: set, metric) -> None:
    taken = {code for code, _ in stored} | {c for c in official if c.startswith(parent)}
    keep, how = _kept(run, parent, idx, stored)
    placeable = _placeable(run, idx, metric, keep)
    try:
        placed = codes_generated(
            parent,
            run.level,
            {i: metric[i] for i in placeable},
            taken=taken,
            keep={i: c for i, c in keep.items() if i in placeable},
        )
    except ValueError as exc:  # more features than free serials
        for i in (i for i in idx if i not in run.blocked):
            run.refuse(i, _Refused(f"no code generated under {parent}: {exc}"))
        return
    placed.update({i: c for i, c in keep.items() if i not in placed and i not in run.blocked})
    for i, code in sorted(placed.items()):
        run.assign(i, code, how.get(i, "generated"))


def _placeable(run, idx: list[int], metric: dict, keep: dict) -> list[int]:
    """The rows reading order can number (they have a geometry); the others without a code of
    their own are refused."""
    for i in idx:
        if i not in metric and i not in run.blocked and i not in keep:
            run.refuse(i, _Refused("no geometry, so no place in the reading order to number it"))
    return [i for i in idx if i in metric and i not in run.blocked]


def _kept(run, parent: str, idx: list[int], stored) -> tuple[dict, dict]:
    """The rows whose code is given: by --code-map, else by the stored feature under `parent`
    with the same source code; a code two rows would hold is refused for both."""
    by_source = {source: code for code, source in stored if source}
    keep, how = {}, {}
    for i in idx:
        try:
            mapped = _mapped(run, run.codes[i], run.level, parent)
        except _Refused as refused:
            run.refuse(i, refused)
            continue
        if mapped or run.codes[i] in by_source:
            keep[i] = mapped or by_source[run.codes[i]]
            how[i] = "code_map" if mapped else "kept"
    holders: dict[str, list[int]] = {}
    for i, code in keep.items():
        holders.setdefault(code, []).append(i)
    for code, same in holders.items():
        rows = ", ".join(str(run.frame["_row"].iat[j]) for j in same)
        for j in same if len(same) > 1 else ():
            del keep[j]
            run.refuse(j, _Refused(f"rows {rows} would all be {code}", repair=KEPT_TWICE))
    return keep, how


def _metric(ewkb_hex: list) -> list:
    """Geometries from EWKB hex (STORAGE_SRID) in the metric CRS: reading order is in metres."""
    if not ewkb_hex:
        return []
    stored = gpd.GeoSeries(shapely.from_wkb(list(ewkb_hex)), crs=f"EPSG:{STORAGE_SRID}")
    return list(stored.to_crs(metric_srid()).to_numpy())


# --- the report -------------------------------------------------------------------------------
def _notes(run: _Run, parent_col: str | None) -> list[str]:
    notes = []
    if run.parents_done:
        ways = ", ".join(f"{n} by {how}" for how, n in run.parents_done.most_common())
        notes.append(f"{parent_col} resolved on {sum(run.parents_done.values())} rows ({ways})")
    done, noun = run.done, NOUNS[run.level]
    if not done:
        return notes
    parts = []
    if done["exact"] or done["variant"]:
        parts.append(
            f"{done['exact'] + done['variant']} {noun} matched by name ({done['exact']} exact, "
            f"{done['variant']} by variant)"
        )
    if done["generated"]:
        parts.append(f"{done['generated']} {run.level} codes generated in reading order")
    if done["kept"] or done["stored"]:
        parts.append(
            f"{done['kept'] + done['stored']} {noun} kept the code stored with the same source code"
        )
    if done["code_map"]:
        parts.append(f"{done['code_map']} {noun} given their code by --code-map")
    notes.append("; ".join(parts) + "; source codes kept (source_code)")
    return notes

"""Which file of a district's folder is which layer, for `manage.py onboard` (issue 15).

Three kinds of evidence, in this order, and the report says which decided:
1. **headers**: the layers whose required columns the file's headers give (layers.io.fieldmap);
   a header only a few layers use (网格编号, 街道编码) counts more than 编码 or 名称;
2. **code shapes**: official codes by their length (9 digits: a street), a local system's by
   their parts (`HG` a street, `HG-3` a community, `HG-3-2` a grid, `HG-3-2-1` a micro-grid);
3. **nesting**: a file whose features lie inside another file's features is the level below it
   (decides between layers the first two leave open, then confirms every decision: a community
   file that does not lie in the streets is in the wrong coordinate system or not communities).

Nothing is asked when the answer is clear; when it is not, the folder is refused with what is
open and how to say it (`--as FILE=LAYER`). Pure: files in, decisions out, no database.
"""

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from geo.codes import LEVELS
from geo.errors import BadRequest
from geo.srid import STORAGE_SRID
from layers.catalogue import COLUMNS, LAYERS
from layers.io.fieldmap import columns_resolve
from layers.io.onboard_files import FileRead

# The layers onboarding imports, in the order they are imported (parents first).
ONBOARD_LAYERS = (
    "districts",
    "streets",
    "communities",
    "grids",
    "microgrids",
    "compounds",
    "buildings",
    "stations",
    "units",
)
# The layer whose features contain a layer's features (nesting evidence and its check).
CONTAINER = {
    "streets": "districts",
    "communities": "streets",
    "grids": "communities",
    "microgrids": "grids",
    "compounds": "communities",
    "buildings": "communities",
}
# A local system's code: letters, then one number per level below the street (HG, HG-3, HG-3-2).
LOCAL_CODE = re.compile(r"[A-Za-z]+((?:[-_.][0-9]+)*)")
LOCAL_LEVELS = ("street", "community", "grid", "microgrid")
SHAPE_AGREES = 0.8  # share of a file's codes that must have one level's shape
NESTED = 0.9  # share of a file's features inside the container file: nests
NOT_NESTED = 0.5  # below it, a decided file does not lie where its level should: refused
# A header given by fewer layers than this counts as specific to them (网格编号: grids, and
# micro-grids naming their grid; 编码: every layer).
SPECIFIC_BELOW = 3


@dataclass
class FileLevel:
    """A file's decided layer, the columns proposed for it and how it was decided."""

    name: str
    path: Path
    layer: str
    field_map: dict[str, str]  # canonical column → the file's header
    how: list[str] = field(default_factory=list)
    rows: int = 0
    file: FileRead | None = field(default=None, repr=False, compare=False)


@dataclass
class _Seen:
    file: FileRead
    candidates: dict[str, dict[str, str]]  # layer → its column mapping
    shapes: dict[str, tuple[str | None, float, str]]  # layer → (code level, share, example)
    scores: dict[str, int]


def levels_recognised(files: list[FileRead], *, given: dict[str, str] | None = None):
    """The layer of every map file in `files` (skipped ones left out), in import order.
    `given`: {file name: layer} from `--as`, which wins. BadRequest (with `open`: what is
    undecided) when a file's layer cannot be told, or two files claim one layer."""
    given = given or {}
    for name, layer in given.items():
        if layer not in ONBOARD_LAYERS:
            raise BadRequest(f"--as {name}={layer}: use one of {', '.join(ONBOARD_LAYERS)}")
    seen = [_seen(f) for f in files if f.source is not None]
    names = {s.file.name for s in seen}
    if unknown := sorted(set(given) - names):
        raise BadRequest(f"--as names {', '.join(unknown)}, not a map file of the folder")
    decided: dict[str, FileLevel] = {}
    open_: list[_Seen] = []
    for s in seen:
        level = _decided(s, given.get(s.file.name))
        if level is None:
            open_.append(s)
        else:
            _claim(decided, level)
    for s in open_:
        _claim(decided, _by_nesting(s, decided))
    _nesting_confirmed(decided)
    return [decided[layer] for layer in ONBOARD_LAYERS if layer in decided]


def _seen(f: FileRead) -> _Seen:
    frame = f.source.frame
    headers = [str(c) for c in frame.columns if c != frame.geometry.name]
    polygonal = frame.geom_type.dropna().str.contains("Polygon").mean() > 0.5
    candidates, shapes, scores = {}, {}, {}
    for layer in ONBOARD_LAYERS:
        spec = COLUMNS[layer]
        if (spec.geometry == "polygon") != polygonal:
            continue
        mapping = columns_resolve(spec=spec, headers=headers, field_map={})
        if mapping.missing_required:
            continue
        candidates[layer] = mapping.sources
        scores[layer] = sum(_specific(h) for h in mapping.sources.values())
        if "code" in mapping.sources:
            values = frame[mapping.sources["code"]].tolist()
            shapes[layer] = code_shape(values, level=LAYERS[layer].code_level)
    return _Seen(f, candidates, shapes, scores)


def code_shape(values: list, *, level: str | None = None) -> tuple[str | None, float, str]:
    """The code level most of `values` have the shape of, the share that have it, an example.
    With `level`: the share that may be of that level (a 15-digit code is a grid's or a
    compound's: the shape cannot tell them apart, so it counts for both)."""
    votes: Counter = Counter()
    example: dict[str, str] = {}
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    for text in texts:
        for lvl in _shape_levels(text):
            votes[lvl] += 1
            example.setdefault(lvl, text)
    if not votes:
        return None, 0.0, ""
    if level is not None and votes[level]:
        return level, votes[level] / len(texts), example[level]
    top, n = votes.most_common(1)[0]
    return top, n / len(texts), example[top]


def _shape_levels(text: str) -> list[str]:
    if text.isascii() and text.isdigit():
        return [lvl for lvl, spec in LEVELS.items() if spec.digits == len(text)]
    m = LOCAL_CODE.fullmatch(text)
    if m:
        depth = m.group(1).count("-") + m.group(1).count("_") + m.group(1).count(".")
        return [LOCAL_LEVELS[depth]] if depth < len(LOCAL_LEVELS) else []
    return []


@functools.cache
def _header_layers() -> Counter:
    counts: Counter = Counter()
    for layer in ONBOARD_LAYERS:
        names = set()
        for col in COLUMNS[layer].columns:
            names |= {n.strip().lower() for n in (col.name, *col.aliases)}
        counts.update(names)
    return counts


def _specific(header: str) -> bool:
    return _header_layers()[header.strip().lower()] < SPECIFIC_BELOW


def _decided(s: _Seen, given: str | None) -> FileLevel | None:
    """The file's layer when headers and code shapes tell it; None when they leave it open."""
    if given:
        mapping = s.candidates.get(given)
        if mapping is None:
            spec = COLUMNS[given]
            headers = [str(c) for c in s.file.source.frame.columns]
            mapping = columns_resolve(spec=spec, headers=headers, field_map={}).sources
        return _level(s, given, mapping, ["given by --as"])
    if not s.candidates:
        raise BadRequest(_no_layer_message(s), file=s.file.name)
    agree = [
        layer
        for layer, (lvl, share, _) in s.shapes.items()
        if lvl == LAYERS[layer].code_level and share >= SHAPE_AGREES
    ]
    if len(agree) > 1:
        best = max(s.scores[layer] for layer in agree)
        agree = [layer for layer in agree if s.scores[layer] == best]
    if len(agree) == 1:
        layer = agree[0]
        return _level(
            s, layer, s.candidates[layer], [_headers_said(s, layer), _shape_said(s, layer)]
        )
    if not agree and len(s.candidates) == 1:
        layer = next(iter(s.candidates))
        return _level(s, layer, s.candidates[layer], [_headers_said(s, layer) + " (only layer)"])
    best = max(s.scores.values())
    top = [layer for layer, n in s.scores.items() if n == best]
    if not agree and best > 0 and len(top) == 1:
        layer = top[0]
        return _level(s, layer, s.candidates[layer], [_headers_said(s, layer)])
    return None


def _level(s: _Seen, layer: str, mapping: dict[str, str], how: list[str]) -> FileLevel:
    return FileLevel(
        s.file.name,
        s.file.path,
        layer,
        dict(mapping),
        how,
        rows=len(s.file.source.frame),
        file=s.file,
    )


def _headers_said(s: _Seen, layer: str) -> str:
    mapping = s.candidates[layer]
    shown = ", ".join(f"{h} → {c}" for c, h in mapping.items() if _specific(h)) or ", ".join(
        f"{h} → {c}" for c, h in mapping.items()
    )
    return f"headers: {shown}"


def _shape_said(s: _Seen, layer: str) -> str:
    level, share, example = s.shapes[layer]
    return f"codes: {share:.0%} shaped like {LEVELS[level].label} codes (e.g. {example})"


def _no_layer_message(s: _Seen) -> str:
    frame = s.file.source.frame
    headers = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    return (
        f"{s.file.name}: its headers ({headers or 'none'}) give no layer's required columns "
        "(a code and a name for a division): rename them, or say which layer it is with "
        f"--as {s.file.name}=LAYER (one of {', '.join(ONBOARD_LAYERS)})"
    )


def _claim(decided: dict[str, FileLevel], level: FileLevel) -> None:
    other = decided.get(level.layer)
    if other is not None:
        raise BadRequest(
            f"{other.name} and {level.name} both look like {level.layer}: say which is which, "
            f"e.g. --as {level.name}=LAYER",
            files=[other.name, level.name],
        )
    decided[level.layer] = level


def _by_nesting(s: _Seen, decided: dict[str, FileLevel]) -> FileLevel:
    """The one open candidate layer the file nests as: inside its container's file, around the
    file of the level below, not already taken."""
    fits = [layer for layer in s.candidates if _nests_as(s, layer, decided)]
    # A level missing from the folder could be this file too (its grids, when the communities
    # are not there, lie in the streets as communities would): then nesting cannot tell.
    missing = [
        layer
        for layer in s.candidates
        if layer not in decided
        and CONTAINER.get(layer) in s.candidates
        and CONTAINER[layer] not in decided
    ]
    if len(fits) == 1 and not missing:
        how = [_headers_said(s, fits[0]), "nesting: the only layer it can be, lying where it does"]
        return _level(s, fits[0], s.candidates[fits[0]], how)
    open_ = sorted(set(fits) | set(missing)) or sorted(s.candidates)
    options = ", ".join(open_)
    where = (
        "and the folder lacks a level it could be"
        if missing
        else "and it lies where any of them would"
        if fits
        else "nor does what it lies in"
    )
    raise BadRequest(
        f"{s.file.name}: could be {options} (its headers and codes do not tell, {where}): "
        f"say which with --as {s.file.name}=LAYER",
        file=s.file.name,
        open=open_,
    )


def _nests_as(s: _Seen, layer: str, decided: dict[str, FileLevel]) -> bool:
    """`layer` is free, and the file lies inside the file of its container and around the
    file of the level below (each when the folder has it; at least one of them)."""
    if layer in decided:
        return False
    container = decided.get(CONTAINER.get(layer, ""))
    inner = next((d for d in decided.values() if CONTAINER.get(d.layer) == layer), None)
    if not (container or inner):
        return False
    inside = container is None or _inside_share(s, container) >= NESTED
    around = inner is None or _inside_share(inner, s) >= NESTED
    return inside and around


def _nesting_confirmed(decided: dict[str, FileLevel]) -> None:
    """Each file lies in its container's file (when both are in the folder); the share inside
    goes into how it was decided, and a file mostly outside is refused."""
    for layer, level in decided.items():
        container = decided.get(CONTAINER.get(layer, ""))
        if container is None:
            continue
        share = _inside_share(level, container)
        level.how.append(f"lies in {container.name}: {share:.0%} of its features")
        if share < NOT_NESTED:
            raise BadRequest(
                f"{level.name} looks like {layer} but only {share:.0%} of its features lie in "
                f"the {container.layer} of {container.name}: is its coordinate system right "
                f"(its .prj, or the crs)? Else say which layer it is: --as {level.name}=LAYER",
                file=level.name,
            )


def _inside_share(inner, outer) -> float:
    """The share of `inner`'s features whose point on surface lies in `outer`'s features."""
    inner_g, outer_g = _geoms(inner), _geoms(outer)
    inner_g = inner_g[~shapely.is_missing(inner_g)]
    if len(inner_g) == 0:
        return 0.0
    area = shapely.union_all(outer_g[~shapely.is_missing(outer_g)])
    shapely.prepare(area)
    return float(shapely.covers(area, shapely.point_on_surface(inner_g)).mean())


def _geoms(item) -> np.ndarray:
    """The geometries in lon/lat of a FileRead, or the file of a FileLevel or _Seen."""
    item = item.file if isinstance(item, FileLevel | _Seen) else item
    frame = item.source.frame
    if frame.crs is not None and frame.crs.to_epsg() != STORAGE_SRID:
        frame = frame.to_crs(STORAGE_SRID)
    return np.asarray(frame.geometry.to_numpy(), dtype=object)

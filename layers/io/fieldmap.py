"""Which header of a file feeds which canonical column (layers.io.columns).

By default a header matches a column by its canonical name, its Shapefile short name or one of
its aliases (Chinese and common English), case-insensitively after trimming. `--field-map`
overrides: `名称=name,BM=code` (source header = canonical name), or a JSON object, inline or
(command line only) in a file.

A file with two headers for one column (`社区编码` and `社区代码`) is read from the first that
ranks highest (canonical name, short name, then the aliases in their listed order); the others are
ignored and `ColumnMapping.notes` says which, so a planner sees which one was read.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import BadRequest
from layers.io.columns import LayerColumns


@dataclass
class ColumnMapping:
    """canonical column name → the file's header; the headers nothing reads."""

    sources: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # headers left out because another won


def field_map_parse(text: str | None, *, allow_path: bool = False) -> dict[str, str]:
    """`a=b,c=d` or a JSON object → {header: canonical}.

    `allow_path`: `text` may name a .json file holding the object — the command line only (the
    operator's own file). From the web a path is refused unread, so no server file is opened,
    and an error about a file's content never quotes it."""
    if not text:
        return {}
    text = text.strip()
    if _looks_like_path(text):
        if not allow_path:
            raise BadRequest(
                "give the field map inline, as HEADER=column pairs (名称=name,BM=code) or a JSON "
                'object ({"名称": "name"}): a file path is not read here'
            )
        try:
            content = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror or type(exc).__name__
            raise BadRequest(f"--field-map file {text} cannot be read ({reason})") from None
        return _from_json(content, quoted=False)
    if text.startswith("{"):
        return _from_json(text, quoted=True)
    out = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        if "=" not in pair:
            raise BadRequest(f"--field-map entry {pair!r} is not HEADER=column, e.g. 名称=name")
        header, _, name = pair.partition("=")
        out[header.strip()] = name.strip()
    return out


def _looks_like_path(text: str) -> bool:
    return (
        "=" not in text
        and not text.startswith("{")
        and (text.lower().endswith(".json") or "/" in text or "\\" in text)
    )


def _from_json(text: str, *, quoted: bool) -> dict[str, str]:
    """The JSON object; an error quotes the position only when the text is the user's own."""
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f" ({exc})" if quoted else ""
        raise BadRequest(f"--field-map is not valid JSON{where}") from None
    if not isinstance(mapping, dict):
        raise BadRequest('--field-map JSON must be an object: {"名称": "name"}')
    return {str(k).strip(): str(v).strip() for k, v in mapping.items()}


def _norm(header: str) -> str:
    return str(header).strip().lower()


def columns_resolve(
    *, spec: LayerColumns, headers: list[str], field_map: dict[str, str]
) -> ColumnMapping:
    """Match the file's headers to the layer's columns (see the module docstring)."""
    mapping = ColumnMapping()
    by_norm = {_norm(h): h for h in headers}
    mapping.sources.update(_explicit_sources(spec, headers, by_norm, field_map))
    taken = {_norm(h) for h in mapping.sources.values()}
    _default_sources(spec, by_norm, mapping.sources, taken)
    mapping.ignored = [h for h in headers if _norm(h) not in taken and h != "geometry"]
    mapping.missing_required = [
        c.name for c in spec.columns if c.required and c.name not in mapping.sources
    ]
    mapping.notes = _also_named(spec, by_norm, mapping, field_map)
    return mapping


def _also_named(
    spec: LayerColumns, by_norm: dict[str, str], mapping: ColumnMapping, field_map: dict[str, str]
) -> list[str]:
    """A note per column that more headers of the file name than the one read (the others are
    ignored, not merged: which wins is the rank order of _default_sources)."""
    notes = []
    ignored = {_norm(h) for h in mapping.ignored}
    for col in spec.columns:
        used = mapping.sources.get(col.name)
        if used is None:
            continue
        names = {_norm(n) for rank in range(3) for n in _names_of_rank(col, rank)}
        others = [by_norm[k] for k in sorted(names & ignored, key=list(by_norm).index)]
        if others:
            how = "as --field-map says" if col.name in field_map.values() else "ranked first"
            notes.append(
                f"{col.name} read from {used} ({how}); {', '.join(others)} also name it and "
                f"are ignored: to read another, map it with --field-map HEADER={col.name}"
            )
    return notes


def _explicit_sources(
    spec: LayerColumns, headers: list[str], by_norm: dict[str, str], field_map: dict[str, str]
) -> dict[str, str]:
    """canonical name → header, as `--field-map` says; an error names what it does not match."""
    names = {c.name for c in spec.columns}
    sources = {}
    for header, name in field_map.items():
        if name not in names:
            raise BadRequest(
                f"--field-map names column {name!r}, which {spec.layer} does not have; "
                f"its columns are {', '.join(sorted(names))}"
            )
        if _norm(header) not in by_norm:
            raise BadRequest(
                f"--field-map names header {header!r}, which the file does not have; "
                f"its headers are {', '.join(map(str, headers))}"
            )
        sources[name] = by_norm[_norm(header)]
    return sources


def _default_sources(
    spec: LayerColumns, by_norm: dict[str, str], sources: dict[str, str], taken: set[str]
) -> None:
    """The columns not yet in `sources`, each from the first header not yet `taken` that names
    it. Exact canonical names first, then short names, then aliases: a file exported by
    GridAtlas maps back exactly even where an alias of one column is the name of another."""
    for rank in range(3):
        for col in spec.columns:
            if col.name in sources:
                continue
            free = [k for k in map(_norm, _names_of_rank(col, rank)) if k not in taken]
            key = next((k for k in free if k in by_norm), None)
            if key is not None:
                sources[col.name] = by_norm[key]
                taken.add(key)


def _names_of_rank(col, rank: int) -> tuple[str, ...]:
    return (col.name,) if rank == 0 else (col.shp_name,) if rank == 1 else col.aliases

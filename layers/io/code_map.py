"""`--code-map`: the official code the operator gives for a local code (`SQ-3=420303001002`),
which wins over any match by name (layers.io.code_resolve).

Inline as `SQ-3=420303001002,SQ-4=420303001003` or a JSON object; on the command line also a
`.json` file holding such an object or a `.csv` file of `source,code` rows (a header row is
skipped). From the web a path is refused unread, as for `--field-map` (layers.io.fieldmap).
"""

import csv
import io
import json
from pathlib import Path

from geo.errors import BadRequest

INLINE_EXAMPLE = "SQ-3=420303001002,SQ-4=420303001003"


def code_map_parse(text: str | None, *, allow_path: bool = False) -> dict[str, str]:
    """{local code: official code} from `text` (see the module docstring)."""
    if not text or not text.strip():
        return {}
    text = text.strip()
    if _looks_like_path(text):
        if not allow_path:
            raise BadRequest(
                f"give the code map inline, as LOCAL=OFFICIAL pairs ({INLINE_EXAMPLE}) or a JSON "
                "object: a file path is not read here"
            )
        return _from_file(Path(text))
    if text.startswith("{"):
        return _from_json(text, where="--code-map")
    out = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        local, sep, official = pair.partition("=")
        if not sep or not local.strip() or not official.strip():
            raise BadRequest(
                f"--code-map entry {pair.strip()!r} is not LOCAL=OFFICIAL, e.g. SQ-3=420303001002"
            )
        out[local.strip()] = official.strip()
    return out


def _looks_like_path(text: str) -> bool:
    return (
        "=" not in text
        and not text.startswith("{")
        and (text.lower().endswith((".json", ".csv")) or "/" in text or "\\" in text)
    )


def _from_file(path: Path) -> dict[str, str]:
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise BadRequest(f"--code-map file {path} cannot be read ({reason})") from None
    if path.suffix.lower() == ".json":
        return _from_json(content, where=f"--code-map file {path}")
    out = {}
    for n, row in enumerate(csv.reader(io.StringIO(content)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise BadRequest(
                f"--code-map file {path}, line {n}: give two columns, the local code and the "
                "official one (SQ-3,420303001002)"
            )
        if n == 1 and not cells[1].isdigit():
            continue  # a header row (source,code)
        out[cells[0]] = cells[1]
    return out


def _from_json(text: str, *, where: str) -> dict[str, str]:
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError:
        raise BadRequest(f"{where} is not valid JSON") from None
    if not isinstance(mapping, dict):
        raise BadRequest(f'{where}: the JSON must be an object, e.g. {{"SQ-3": "420303001002"}}')
    return {str(k).strip(): str(v).strip() for k, v in mapping.items()}

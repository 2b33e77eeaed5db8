"""The files of a district's folder or zip, for `manage.py onboard` (issue 15): which are map
layers, read once each so their level can be recognised (layers.io.level_detect).

A folder as districts send it holds more than layers: a Shapefile's sidecars (.shx, .dbf, .prj,
.cpg, read with their .shp), notes (说明.txt), spreadsheets without coordinates. Those are listed
as skipped, with why, never guessed at. A zip is checked for bombs and zip slip before one byte
is unpacked (layers.io.archive_guard), as the single-file import does.
"""

import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo.errors import BadRequest
from layers.io.archive_guard import zip_check
from layers.io.readers import GEO_SUFFIXES, TABLE_SUFFIXES, Source, source_read

# A Shapefile's companions, read with its .shp; listed nowhere.
SIDECARS = {".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".qmd", ".xml", ".fix"}
LAYER_SUFFIXES = GEO_SUFFIXES | TABLE_SUFFIXES | {".zip"}


@dataclass
class FileRead:
    """One file of the folder: its name (relative to the folder), where it is, what it holds."""

    name: str
    path: Path
    source: Source | None = None  # None: skipped
    skipped: str = ""  # why it is not a layer


@contextmanager
def folder_opened(path: Path):
    """The folder to read: `path` itself, or a zip unpacked into a temporary folder (deleted on
    exit)."""
    path = Path(path)
    if not path.exists():
        raise BadRequest(f"{path}: no such folder or zip")
    if path.is_dir():
        yield path
        return
    if path.suffix.lower() != ".zip":
        raise BadRequest(f"{path.name}: give the folder of the district's files, or a .zip of it")
    zip_check(source=path, name=path.name)
    with tempfile.TemporaryDirectory(prefix="gridatlas-onboard-") as tmp:
        _unzipped(path, Path(tmp))
        yield Path(tmp)


def _unzipped(path: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"member {bad} is damaged")
            for member in zf.infolist():
                # ../../etc/passwd must not escape the temporary folder (zip slip).
                if not (dest / member.filename).resolve().is_relative_to(dest.resolve()):
                    raise BadRequest(f"zip member {member.filename!r} points outside the archive")
            zf.extractall(dest)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise BadRequest(
            f"{path.name} is not a complete zip archive ({exc}): zip the folder again"
        ) from None


def files_read(folder: Path) -> list[FileRead]:
    """Every file under `folder` (sub-folders too, in name order): map layers read, the rest
    skipped with the reason. A layer that cannot be read raises BadRequest naming it: a folder
    with a broken file is refused before anything is imported."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        suffix = path.suffix.lower()
        if suffix in SIDECARS or path.name.startswith((".", "~$")) or "__MACOSX" in path.parts:
            continue  # read with their .shp; editors' lock files; macOS zip litter
        if suffix not in LAYER_SUFFIXES:
            out.append(FileRead(name, path, skipped="not a map layer"))
            continue
        try:
            source = source_read(path=path)
        except BadRequest as exc:
            # A spreadsheet of people or notes, a .json of metadata: not layers. A .geojson,
            # .shp or .gpkg that cannot be read is a broken layer, and refuses the folder.
            if suffix in TABLE_SUFFIXES | {".json"}:
                out.append(FileRead(name, path, skipped=exc.message))
                continue
            raise BadRequest(f"{name}: {exc.message}", file=name) from None
        if len(source.frame) == 0:
            out.append(FileRead(name, path, skipped="no features"))
            continue
        if source.frame.geometry.isna().all():
            out.append(FileRead(name, path, skipped="a table without coordinates or geometry"))
            continue
        out.append(FileRead(name, path, source=source))
    return out

"""Open any file a city sends us as one GeoDataFrame, with the CRS and text encoding it declares.

Formats: Shapefile (a .zip, a folder or the .shp itself), GeoPackage, GeoJSON, KML, and CSV/XLSX
tables whose rows hold longitude/latitude columns or a WKT column. Geometry files are read with
pyogrio; tables with the batch lookup's own CSV decoding and openpyxl.

Traps:
- A Shapefile's .dbf has no reliable encoding flag. The .cpg says it when present; otherwise we
  try UTF-8 strictly and fall back to GB18030 (the superset of GBK that ArcGIS and SuperMap in
  China write), because a wrong guess in that order fails loudly instead of giving mojibake.
- A truncated zip or a folder without a .shp is refused with what to send instead.
"""

import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from django.conf import settings
from pyproj import CRS

from geo.errors import BadRequest
from geo.spreadsheet import csv_text_read
from layers.io.archive_guard import csv_reader, rows_capped, xlsx_table, zip_check
from layers.services.lookup_batch import csv_decode

GEO_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".kml"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
LON_HEADERS = ("lon", "lng", "long", "longitude", "经度", "x", "x坐标")
LAT_HEADERS = ("lat", "latitude", "纬度", "y", "y坐标")
WKT_HEADERS = ("wkt", "geometry", "geom", "the_geom", "几何", "空间信息")
STRICT_ENCODINGS = ("utf-8", "gb18030")


@dataclass
class Source:
    """What a file holds: features (geometry column possibly all None for tables without one),
    the CRS it declares (None when it declares none) and the text encoding used to read it."""

    frame: gpd.GeoDataFrame
    crs: CRS | None
    encoding: str
    fmt: str


def source_read(*, path: Path, encoding: str | None = None) -> Source:
    """Read `path` (see the module docstring for formats); BadRequest says what is wrong."""
    path = Path(path)
    if not path.exists():
        raise BadRequest(f"{path}: no such file or folder")
    with _unpacked(path) as real:
        suffix = real.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            return _table_read(real, encoding)
        if suffix not in GEO_SUFFIXES:
            raise BadRequest(
                f"{path.name}: unsupported format; send a Shapefile (.zip or folder), GeoPackage, "
                "GeoJSON, KML, CSV or XLSX"
            )
        return _geo_read(real, encoding)


@contextmanager
def _unpacked(path: Path):
    """The file to open: a zip is extracted to a temporary folder, a folder gives its .shp."""
    if path.suffix.lower() != ".zip":
        yield _shp_in(path) if path.is_dir() else path
        return
    zip_check(source=path, name=path.name)  # a zip bomb is refused before it is unpacked
    with tempfile.TemporaryDirectory(prefix="gridatlas-import-") as tmp:
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise zipfile.BadZipFile(f"member {bad} is damaged")
                _extract_safely(zf, Path(tmp))
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise BadRequest(
                f"{path.name} is not a complete zip archive ({exc}); zip the .shp, .shx, .dbf, "
                ".prj and .cpg files again and re-send it"
            ) from None
        found = [p for p in Path(tmp).rglob("*") if p.suffix.lower() in GEO_SUFFIXES]
        if not found:
            raise BadRequest(f"{path.name} holds no .shp, .gpkg, .geojson or .kml file")
        yield found[0]


def _extract_safely(zf: zipfile.ZipFile, dest: Path) -> None:
    # Names like ../../etc/passwd must not escape the temporary folder (zip slip).
    for member in zf.infolist():
        target = (dest / member.filename).resolve()
        if not target.is_relative_to(dest.resolve()):
            raise BadRequest(f"zip member {member.filename!r} points outside the archive")
    zf.extractall(dest)


def _shp_in(folder: Path) -> Path:
    shps = sorted(folder.glob("*.shp")) + sorted(folder.glob("*.SHP"))
    if len(shps) != 1:
        raise BadRequest(f"{folder}: expected one .shp file in the folder, found {len(shps)}")
    return shps[0]


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _shapefile_encoding(shp: Path) -> str:
    """The .cpg's word, else the first strict decoding of the .dbf's text that succeeds."""
    cpg = _sidecar(shp, ".cpg")
    if cpg is not None:
        word = cpg.read_text(errors="ignore").strip().lower()
        if word:
            return {"936": "gb18030", "gbk": "gb18030", "utf8": "utf-8"}.get(word, word)
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        raise BadRequest(f"{shp.name}: the .dbf file is missing; send it with the .shp")
    data = dbf.read_bytes()
    for encoding in STRICT_ENCODINGS:
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "gb18030"


def _geo_read(path: Path, encoding: str | None) -> Source:
    is_shp = path.suffix.lower() == ".shp"
    if is_shp:
        for part in (".shx", ".dbf"):
            if _sidecar(path, part) is None:
                raise BadRequest(f"{path.name}: the {part} file is missing; send it with the .shp")
        encoding = encoding or _shapefile_encoding(path)
    try:
        frame = pyogrio.read_dataframe(path, encoding=encoding if is_shp else None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise BadRequest(f"{path.name} cannot be read as a map layer ({exc})") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"{path.name}: attribute text is not {encoding} ({exc}); give the right --encoding"
        ) from None
    crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
    return Source(frame, crs, encoding or "utf-8", path.suffix.lower().lstrip("."))


def _table_read(path: Path, encoding: str | None) -> Source:
    data = path.read_bytes()
    if not data.strip():
        raise BadRequest(f"{path.name} is empty")
    if path.suffix.lower() == ".xlsx":
        max_rows = settings.GRIDATLAS_IMPORT_TABLE_MAX_ROWS
        header, rows = xlsx_table(source=path, name=path.name, max_rows=max_rows)
        encoding = "utf-8"
    elif encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadRequest(f"{path.name} is not {encoding} text ({exc})") from None
        header, rows = _csv_rows(text, path.name)
    else:
        text, encoding = csv_decode(data, path.name)
        header, rows = _csv_rows(text, path.name)
    header = [str(h).strip() for h in header]
    width = len(header)
    rows = [(list(r) + [""] * width)[:width] for r in rows if any(str(c).strip() for c in r)]
    df = pd.DataFrame(rows, columns=header, dtype=object)
    geometry = _table_geometry(df, path.name)
    frame = gpd.GeoDataFrame(df, geometry=geometry)
    return Source(frame, None, encoding.replace("-sig", ""), path.suffix.lower().lstrip("."))


def _csv_rows(text: str, name: str) -> tuple[list[str], list[list[str]]]:
    # Undo the ' that our own CSV exports put before formula-like text (geo.spreadsheet).
    # Counted while parsed, stopping at the cap + 1 (layers/io/archive_guard.py).
    capped = rows_capped(
        csv_reader(text, name=name), name=name, max_rows=settings.GRIDATLAS_IMPORT_TABLE_MAX_ROWS
    )
    records = [[csv_text_read(c) for c in r] for r in capped]
    if not records:
        return [], []
    return records[0], records[1:]


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {h.lower(): h for h in header}
    return next((lowered[n] for n in names if n in lowered), None)


def _table_geometry(df: pd.DataFrame, name: str) -> gpd.GeoSeries:
    """Points from lon/lat columns, or shapes from a WKT column; all-None when neither (the
    layers without geometry: pairings, workers). Unparseable cells become None, reported per row
    by validation."""
    header = list(df.columns)
    wkt = _find(header, WKT_HEADERS)
    lon, lat = _find(header, LON_HEADERS), _find(header, LAT_HEADERS)
    if wkt:
        texts = df.pop(wkt).astype(str).str.strip()
        geoms = [_wkt_or_none(t) for t in texts]
        return gpd.GeoSeries(geoms, index=df.index)
    if lon and lat:
        x = pd.to_numeric(df.pop(lon).astype(str).str.strip(), errors="coerce")
        y = pd.to_numeric(df.pop(lat).astype(str).str.strip(), errors="coerce")
        points = shapely.points(x.to_numpy(), y.to_numpy())
        points[x.isna().to_numpy() | y.isna().to_numpy()] = None
        return gpd.GeoSeries(points, index=df.index)
    return gpd.GeoSeries([None] * len(df), index=df.index)


def _wkt_or_none(text: str):
    if not text or text.lower() in ("none", "nan"):
        return None
    try:
        return shapely.from_wkt(text)
    except shapely.errors.GEOSException:
        return None

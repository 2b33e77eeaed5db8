"""Writing one layer to a file: Shapefile (zipped), GeoPackage, GeoJSON, KML, CSV or XLSX, in
WGS84, CGCS2000, a CGCS2000 Gauss-Krüger zone, or GCJ-02 for AMap overlays.

Columns are the canonical names of `layers.io.columns` (Shapefiles: their short names, ≤ 10
bytes), so `import_layer` reads the file back unchanged. Files are written by GDAL (pyogrio),
which also writes the .prj from the EPSG code and, with ENCODING=UTF-8, the .cpg.

Coordinate systems (`--crs` / `crs=`):
- `wgs84`, `4326`, `EPSG:4326`: what we store (the default);
- `cgcs2000`, `4490`: the same numbers (the frames differ by centimetres, see geo.srid), labelled
  EPSG:4490 so the .prj says CGCS2000;
- `EPSG:4491`–`EPSG:4554`: CGCS2000 Gauss-Krüger zones (3° and 6°, with or without the zone
  number in the false easting); `gk3:114` and `gk6:117` name a zone by its central meridian;
- `gcj02` (`amap`, `tencent`): lon/lat shifted as AMap and Tencent draw them. GCJ-02 is no CRS
  that GIS software knows, so a .prj or a GeoPackage CRS would misstate it: it is refused for
  shp/gpkg/kml, and GeoJSON/CSV/XLSX carry no CRS claim, only a note (GeoJSON `description`,
  `-gcj02` in the file name).
KML is WGS84 by definition: any other CRS is refused.
"""

import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.chinese_crs import CRS_ALIASES, gcj02_from_wgs84_many
from geo.errors import BadRequest
from geo.gk_zones import GK3_FIRST_CM, GK3_FIRST_SRID
from geo.spreadsheet import csv_cell, text_is_formula_like
from geo.srid import CGCS2000_SRID, STORAGE_SRID
from layers.catalogue import COLUMNS
from layers.selectors.layer_rows import Scope, layer_frame

# CGCS2000 Gauss-Krüger: EPSG:4491–4501 6° zones 13–23 (zone in the false easting), 4502–4512 6°
# CM 75E–135E, 4513–4533 3° zones 25–45, 4534–4554 3° CM 75E–135E.
GK_EPSG_MIN, GK_EPSG_MAX = 4491, 4554
GK6_CM_FIRST_EPSG = 4502  # the 3° CM zones are geo.gk_zones'
CRS_HELP = (
    "wgs84 (4326), cgcs2000 (4490), a CGCS2000 Gauss-Krüger zone EPSG:4491–EPSG:4554 or by "
    "central meridian gk3:114 / gk6:117, or gcj02 (AMap/Tencent lon/lat)"
)
GCJ02_NOTE = (
    "Coordinates are GCJ-02 (AMap/Tencent) lon/lat, shifted a few hundred metres from WGS84: "
    "for AMap overlays only."
)
# CSV/XLSX carry geometry as WKT at full precision: each coordinate in the shortest decimal that
# reads back as the same double (GEOS ≥ 3.12, up to 17 significant digits), so a table imports
# back bit-for-bit. Rounding to 7 decimals (~1 cm) made 4 of 297 real grids invalid on the way
# back (vertices closer than 1e-7° merge, and a narrow slit or notch crosses itself) and every
# feature "updated". WKT rather than WKB hex: people and every GIS read it, and the importer
# already does. It costs ~38 characters a vertex against ~25 rounded: an XLSX cell Excel opens
# (32,767 characters) holds ~850 vertices; GDAL writes longer cells whole and import reads them.
WKT_FULL_PRECISION = -1  # shapely.to_wkt: GEOS's round-trip ("shortest exact") digits


@dataclass(frozen=True)
class ExportCrs:
    epsg: int | None  # None: GCJ-02 lon/lat (no EPSG code exists)
    label: str  # for file names: "wgs84", "cgcs2000", "epsg4547", "gcj02"

    @property
    def gcj02(self) -> bool:
        return self.epsg is None

    @property
    def geographic(self) -> bool:
        return self.epsg in (None, STORAGE_SRID, CGCS2000_SRID)

    @classmethod
    def parse(cls, text: str | None) -> "ExportCrs":
        key = (text or "wgs84").strip().lower().replace("epsg:", "")
        if CRS_ALIASES.get(key) == "gcj02":
            return cls(None, "gcj02")
        if key in ("wgs84", str(STORAGE_SRID)):
            return cls(STORAGE_SRID, "wgs84")
        if key in ("cgcs2000", str(CGCS2000_SRID)):
            return cls(CGCS2000_SRID, "cgcs2000")
        epsg = _gk_epsg(key)
        if epsg is None:
            raise BadRequest(f"unknown CRS {text!r}: use {CRS_HELP}", crs=text)
        return cls(epsg, f"epsg{epsg}")


def _gk_epsg(key: str) -> int | None:
    # isascii(): "²".isdigit() is True and int("²") an error.
    if key.isascii() and key.isdigit() and GK_EPSG_MIN <= int(key) <= GK_EPSG_MAX:
        return int(key)
    match = re.fullmatch(r"gk([36]):(\d{2,3})", key)
    if not match:
        return None
    width, cm = int(match[1]), int(match[2])
    zone, rest = divmod(cm - GK3_FIRST_CM, width)
    first = GK3_FIRST_SRID if width == 3 else GK6_CM_FIRST_EPSG
    last = first + (135 - GK3_FIRST_CM) // width
    if rest or cm < GK3_FIRST_CM or first + zone > last:
        raise BadRequest(
            f"{key}: no CGCS2000 {width}° Gauss-Krüger zone has central meridian {cm}E "
            f"({'75, 78, … 135' if width == 3 else '75, 81, … 135'})"
        )
    return first + zone


@dataclass(frozen=True)
class Format:
    key: str
    extension: str
    content_type: str
    needs_geometry: bool = False


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("shp", "shp.zip", "application/zip", needs_geometry=True),
        Format("gpkg", "gpkg", "application/geopackage+sqlite3"),
        Format("geojson", "geojson", "application/geo+json"),
        Format("kml", "kml", "application/vnd.google-earth.kml+xml", needs_geometry=True),
        Format("csv", "csv", "text/csv; charset=utf-8"),
        Format(
            "xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    )
}


@dataclass(frozen=True)
class ExportRequest:
    """What to export, checked before any row is read."""

    layer: str
    fmt: Format
    crs: ExportCrs
    scope: Scope | None

    @classmethod
    def parse(cls, *, layer: str, fmt: str, crs: str | None, scope: Scope | None):
        if fmt not in FORMATS:
            raise BadRequest(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        spec, parsed = COLUMNS.get(layer), ExportCrs.parse(crs)
        if fmt == "kml" and parsed.epsg != STORAGE_SRID:
            raise BadRequest("KML is WGS84 by definition: export KML with crs=wgs84")
        if parsed.gcj02 and fmt in ("shp", "gpkg"):
            raise BadRequest(
                "GCJ-02 has no EPSG code, so a Shapefile .prj or a GeoPackage CRS would misstate "
                "it: export gcj02 as geojson, csv or xlsx for AMap overlays"
            )
        if spec is not None and not spec.geometry and FORMATS[fmt].needs_geometry:
            raise BadRequest(
                f"{layer} has no geometry: export it as gpkg, geojson, csv or xlsx", layer=layer
            )
        return cls(layer, FORMATS[fmt], parsed, scope)

    @property
    def filename(self) -> str:
        parts = [self.layer, self.scope.code if self.scope else "", self.crs.label]
        return "-".join(p for p in parts if p) + "." + self.fmt.extension


def _gcj02_xy(xy: np.ndarray) -> np.ndarray:
    lons, lats = gcj02_from_wgs84_many(xy[:, 0], xy[:, 1])
    return np.column_stack([lons, lats])


def _reprojected(frame: gpd.GeoDataFrame, crs: ExportCrs) -> gpd.GeoDataFrame:
    if crs.gcj02:
        out = frame.copy()
        out.geometry = shapely.transform(frame.geometry.values, _gcj02_xy)
        return out.set_crs(None, allow_override=True)
    if crs.epsg == CGCS2000_SRID:
        # Stored WGS84 numbers are taken as CGCS2000 (geo.srid): relabel, do not shift.
        return frame.set_crs(CGCS2000_SRID, allow_override=True)
    return frame.to_crs(crs.epsg) if crs.epsg != STORAGE_SRID else frame


def _with_text_geometry(frame: gpd.GeoDataFrame, crs: ExportCrs) -> pd.DataFrame:
    """CSV/XLSX columns: WKT of the geometry, then x/y of a label point (the point itself, or
    a point inside the polygon), named lon/lat in degrees and x/y in metres."""
    geoms = frame.geometry.values
    label = shapely.point_on_surface(geoms)
    x_name, y_name = ("lon", "lat") if crs.geographic else ("x", "y")
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    out["wkt"] = shapely.to_wkt(geoms, rounding_precision=WKT_FULL_PRECISION, trim=True)
    # Unrounded too: a point layer's table edited down to lon/lat imports back exactly
    # (pandas and the XLSX cell keep the double).
    out[x_name] = shapely.get_x(label)
    out[y_name] = shapely.get_y(label)
    return out


def _write_shapefile(frame: gpd.GeoDataFrame, target: Path, layer: str) -> None:
    short = {c.name: c.shp_name for c in COLUMNS[layer].columns}
    with tempfile.TemporaryDirectory(prefix="gridatlas-shp-") as tmp:
        shp = Path(tmp) / f"{layer}.shp"
        pyogrio.write_dataframe(
            frame.rename(columns=short),
            shp,
            driver="ESRI Shapefile",
            layer_options={"ENCODING": "UTF-8"},
        )
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with formula-like cells prefixed by ' (geo.spreadsheet); numbers as they
    are."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    risky = [c for c in text if frame[c].map(_formula_like).any()]
    return frame.assign(**{c: frame[c].map(csv_cell) for c in risky}) if risky else frame


def _formula_like(value) -> bool:
    return isinstance(value, str) and text_is_formula_like(value)


def _write(frame, request: ExportRequest, target: Path) -> None:
    key, layer, crs = request.fmt.key, request.layer, request.crs
    geometric = isinstance(frame, gpd.GeoDataFrame)
    if key in ("csv", "xlsx") and geometric:
        frame = _with_text_geometry(frame, crs)
    if key == "shp":
        _write_shapefile(frame, target, layer)
    elif key == "csv":
        # UTF-8 with a byte-order mark: Excel opens Chinese text correctly only with it.
        _csv_safe(frame).to_csv(target, index=False, encoding="utf-8-sig")
    elif key == "xlsx":
        # GDAL writes every text field as a shared-string cell, never a formula: no escape
        # (tests/test_output_escaping.py holds it to that).
        pyogrio.write_dataframe(frame, target, driver="XLSX", layer=layer)
    elif key == "kml":
        name_field = "name" if "name" in frame.columns else COLUMNS[layer].columns[0].name
        pyogrio.write_dataframe(
            frame, target, driver="KML", layer=layer, dataset_options={"NameField": name_field}
        )
    elif key == "geojson":
        # GDAL's full precision (15 digits), not rounded: a GeoJSON imports back exactly.
        options = {"DESCRIPTION": GCJ02_NOTE} if crs.gcj02 else {}
        with warnings.catch_warnings():  # GCJ-02 has no CRS to declare, on purpose (see above)
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            pyogrio.write_dataframe(
                frame, target, driver="GeoJSON", layer=layer, layer_options=options
            )
    else:
        pyogrio.write_dataframe(frame, target, driver="GPKG", layer=layer)


def layer_export(
    *,
    request: ExportRequest,
    target: Path,
    personal: bool,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write the layer to `target` (`request.filename` is a good name) and return it. The file
    appears whole or not at all (written beside, then renamed); `progress` gets row counts as
    they are read."""
    frame = layer_frame(
        layer=request.layer, scope=request.scope, personal=personal, progress=progress
    )
    if isinstance(frame, gpd.GeoDataFrame):
        frame = _reprojected(frame, request.crs)
    target = Path(target)
    partial = target.with_name(".partial-" + target.name)
    partial.unlink(missing_ok=True)
    try:
        _write(frame, request, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def export_dir_make() -> Path:
    """A private scratch directory for one download; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix="gridatlas-export-"))


def export_dir_remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

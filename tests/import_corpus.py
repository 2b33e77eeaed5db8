"""Real-shaped files for the import tests, built in a temporary folder (nothing checked in):
the shapes and codes of tests.factories, written the way cities send them."""

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from openpyxl import Workbook

from geo.chinese_crs import gcj02_from_wgs84
from geo.srid import STORAGE_SRID
from tests.factories import COMMUNITY_CODE, bowtie, box, lonlat

GK_ZONE_38_PREFIXED = 4526  # CGCS2000 3-degree Gauss-Krüger zone 38 (CM 114E), x with "38"
GK_CM_114E = 4547  # the same projection without the zone prefix


def shape(geos_geom):
    return shapely.from_wkb(bytes(geos_geom.wkb))


def building_frame(n: int = 3, *, start: int = 1) -> gpd.GeoDataFrame:
    """n buildings of 20 × 10 m in a row inside the factories' community (0..400 × 0..200)."""
    rows = []
    for k in range(start, start + n):
        x0 = 20 + (k - 1) * 40
        rows.append(
            {
                "楼栋编码": f"{COMMUNITY_CODE}{k:04d}",
                "名称": f"幸福家园{k}栋",
                "户数": 30 + k,
                "层数": 6,
                "geometry": shape(box(x0, 20, x0 + 20, 30)),
            }
        )
    return gpd.GeoDataFrame(rows, crs=f"EPSG:{STORAGE_SRID}")


def shapefile_zip(
    frame: gpd.GeoDataFrame,
    folder: Path,
    *,
    name="buildings",
    epsg=None,
    encoding="GBK",
    keep=(".shp", ".shx", ".dbf", ".prj"),
) -> Path:
    """A zipped Shapefile, its attribute text in `encoding`, projected to `epsg`, holding only
    the parts in `keep` (no .cpg by default: the reader must detect GBK itself)."""
    out = frame.to_crs(epsg=epsg) if epsg else frame
    shp_dir = folder / f"{name}_shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(out, shp_dir / f"{name}.shp", encoding=encoding)
    target = folder / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            if part.suffix.lower() in keep:
                zf.write(part, part.name)
    return target


def truncated(path: Path) -> Path:
    data = path.read_bytes()
    out = path.with_name("truncated_" + path.name)
    out.write_bytes(data[: len(data) // 2])
    return out


def geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    return path


def bowtie_frame() -> gpd.GeoDataFrame:
    frame = building_frame(2)
    frame.loc[1, "geometry"] = shape(bowtie(200, 50, 20))
    return frame


def gcj02_stations_csv(path: Path, points: list[tuple[str, float, float]]) -> Path:
    """Stations as picked on AMap: GCJ-02 lon/lat, GBK text (Excel in China saves CSV so)."""
    lines = ["站点名称,级别,社区代码,经度,纬度,地址"]
    for name, x_m, y_m in points:
        lon, lat = gcj02_from_wgs84(*lonlat(x_m, y_m))
        lines.append(f"{name},社区党群服务中心,{COMMUNITY_CODE},{lon:.8f},{lat:.8f},幸福路1号")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def kml(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="KML")
    return path

"""layers.io.crs without a database: what a file's coordinates are declared or found to be, the
zone-prefix correction, BD-09, and the refusals that say what to declare."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from geo.chinese_crs import bd09_from_wgs84
from geo.errors import BadRequest
from layers.catalogue import COLUMNS
from layers.io.crs import crs_resolve, geometries_to_storage
from layers.io.fieldmap import columns_resolve, field_map_parse

WUHAN = (114.305, 30.593)


def to_storage(geom, plan):
    return geometries_to_storage(gpd.GeoSeries([geom]), plan).iloc[0]


def test_bd09_declared_is_converted():
    lon, lat = bd09_from_wgs84(*WUHAN)
    plan = crs_resolve(declared="baidu", embedded=None, bounds=(lon, lat, lon, lat))
    back = to_storage(shapely.Point(lon, lat), plan)
    assert plan.chinese == "bd09"
    assert abs(back.x - WUHAN[0]) < 1e-7 and abs(back.y - WUHAN[1]) < 1e-7


@pytest.mark.parametrize(
    ("epsg", "declared", "note"),
    [(4526, "EPSG:4547", "carry"), (4547, "EPSG:4526", "lack"), (4498, "4509", "carry")],
)
def test_zone_prefix_follows_the_eastings(epsg, declared, note):
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(*WUHAN)
    plan = crs_resolve(declared=declared, embedded=None, bounds=(x, y, x, y))
    assert any(note in n for n in plan.notes)
    back = to_storage(shapely.Point(x, y), plan)
    assert np.allclose([back.x, back.y], WUHAN, atol=1e-8)


def test_no_crs_and_metres_is_refused_with_the_zone_to_declare():
    x, y = Transformer.from_crs(4326, 4498, always_xy=True).transform(*WUHAN)  # 6° zone 20
    with pytest.raises(BadRequest, match=r"--crs EPSG:4498 \(CGCS2000 6-degree zone 20\)"):
        crs_resolve(declared=None, embedded=None, bounds=(x, y, x, y))
    with pytest.raises(BadRequest, match="EPSG:4547"):
        crs_resolve(declared=None, embedded=None, bounds=(500000, 3380000, 501000, 3381000))


def test_refusals_name_the_mistake():
    with pytest.raises(BadRequest, match="are longitude/latitude degrees"):
        crs_resolve(declared="gcj02", embedded=None, bounds=(38500000, 3380000, 38500100, 3380100))
    with pytest.raises(BadRequest, match="look like degrees"):
        crs_resolve(declared=None, embedded=CRS.from_epsg(4547), bounds=(*WUHAN, *WUHAN))
    with pytest.raises(BadRequest, match="unknown coordinate system"):
        crs_resolve(declared="mars", embedded=None, bounds=(*WUHAN, *WUHAN))


def test_cgcs2000_geographic_is_taken_as_storage_unchanged():
    plan = crs_resolve(declared=None, embedded=CRS.from_epsg(4490), bounds=(*WUHAN, *WUHAN))
    assert plan.source is None and plan.label == "EPSG:4490"


def test_field_map_forms_and_alias_priority(tmp_path):
    assert field_map_parse("名称=name, BM=code") == {"名称": "name", "BM": "code"}
    (tmp_path / "m.json").write_text('{"HS": "households"}', encoding="utf-8")
    assert field_map_parse(str(tmp_path / "m.json"), allow_path=True) == {"HS": "households"}
    with pytest.raises(BadRequest, match="HEADER=column"):
        field_map_parse("名称")
    # An exported micro-grid file has both grid_code (its parent) and code: exact names win over
    # the alias 网格编码; the Chinese headers of a city's own file map too.
    spec = COLUMNS["microgrids"]
    m = columns_resolve(spec=spec, headers=["code", "name", "grid_code"], field_map={})
    assert m.sources == {"code": "code", "name": "name", "grid_code": "grid_code"}
    m = columns_resolve(spec=spec, headers=["微网格编码", "名称", "所属网格", "备注"], field_map={})
    assert m.sources == {"code": "微网格编码", "name": "名称", "grid_code": "所属网格"}
    assert m.ignored == ["备注"]
    with pytest.raises(BadRequest, match="does not have"):
        columns_resolve(spec=spec, headers=["a"], field_map={"a": "nope"})

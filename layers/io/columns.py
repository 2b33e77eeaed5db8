"""The columns every layer has when it leaves GridAtlas as a file and when it comes back in.

Shared by import, export and OGC API Features, so a file exported here imports again unchanged
(round trip) and a city's own files map onto the same names. Each layer's table is named here and
attached to its layer in `layers.catalogue` (which fills in its key and model). For each layer:

- `key`: the natural key that makes a re-import update rather than duplicate (codes where the
  layer has them; stations, units, pairings and workers have none, so a tuple of columns);
- `columns`: name (the canonical name, also the export header), short name (Shapefile .dbf
  names are at most 10 bytes), the ORM path it reads from, its kind, the Chinese headers cities
  use for it (accepted on import, case-insensitively after trimming), and whether it is
  personal data (never served to anonymous users, never in public files).
- `parent`: the column naming the parent feature by its code, checked on import.

Derived figures (households of grids, building counts) are exported for reading but marked
`derived`: import ignores them, as households are derived from buildings, never typed in. A
file's own count (户数 on a community, grid or micro-grid, for a layout loaded without buildings)
is `households_reported`; `source_code` keeps the source system's code (issue 15).

Real files name the same thing differently by layer: `社区编码` is a community's code but a grid's
parent, `网格名称` a grid's name but a micro-grid's parent, and `所属组织` is whatever the layer's
parent is (by code or by name: layers.io.code_resolve resolves names). So aliases are per layer,
the layer's own first; when a file has two headers for one column the first alias listed wins and
the report says which (layers.io.fieldmap).
"""

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "int", "date", "choice"]
Geometry = Literal["polygon", "point", None]


@dataclass(frozen=True)
class Column:
    name: str
    source: str  # ORM path, e.g. "street__code"
    kind: Kind = "text"
    short: str = ""  # Shapefile name (≤ 10 bytes); the name itself when blank
    aliases: tuple[str, ...] = ()  # headers accepted on import (Chinese and common English)
    derived: bool = False  # exported, ignored on import
    personal: bool = False  # only for signed-in users with the right permission
    required: bool = False

    @property
    def shp_name(self) -> str:
        name = self.short or self.name
        assert len(name.encode()) <= 10, name
        return name


@dataclass(frozen=True)
class LayerColumns:
    geometry: Geometry
    key: tuple[str, ...]
    parent: str | None  # the column that names the parent by code
    columns: tuple[Column, ...] = field(default_factory=tuple)
    layer: str = ""  # the catalogue key, e.g. "microgrids" (set by layers.catalogue)
    model: str = ""  # "layers.MicroGrid" (set by layers.catalogue)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_CODE = ("编码", "代码", "code", "区划代码", "统计用区划代码")
_NAME = ("名称", "name", "名字")
_HOUSEHOLDS = ("户数", "households", "住户数", "总户数")
# The parent of whatever layer the file holds (a district system's export names it so).
_PARENT = ("所属组织",)

# The code a feature had in the system the file comes from (the round trip keeps it).
SOURCE_CODE = Column(
    "source_code",
    "source_code",
    short="src_code",
    aliases=("原编码", "源编码", "系统编码", "原系统编码"),
)
# Households as the file gives them, for a layout loaded without buildings. Not `households`
# (derived, exported, ignored on import): 户数 in a file is this count.
HOUSEHOLDS_REPORTED = Column(
    "households_reported",
    "households_reported",
    "int",
    short="hh_report",
    aliases=("户数", "总户数", "住户数"),
)

# Per level: its own code and name headers, and the headers naming it as a parent (code first,
# then "所属…", then the name, which layers.io.code_resolve looks up).
_DISTRICT_CODE = ("区县代码", "区县编码", "区县编号")
_STREET_CODE = ("街道代码", "乡镇代码", "街道编码", "街道编号", "乡镇编码")
_COMMUNITY_CODE = ("社区代码", "社区编码", "社区编号", "村代码", "村编码")
_GRID_CODE = ("网格编码", "网格代码", "网格编号")
_MICROGRID_CODE = ("微网格编码", "微网格编号", "微网格代码", "小格区编码")
_COMPOUND_CODE = ("小区编码", "小区代码", "小区编号")


def _division(code_aliases, parent_col=None, parent_aliases=(), extra=(), names=()):
    cols = [
        Column("code", "code", required=True, aliases=code_aliases + _CODE),
        Column("name", "name", required=True, aliases=names + _NAME),
    ]
    if parent_col:
        source = parent_col.replace("_code", "__code")
        aliases = parent_aliases + _PARENT
        cols.append(Column(parent_col, source, short=parent_col[:10], aliases=aliases))
    return LayerColumns("polygon", ("code",), parent_col, (*cols, *extra, SOURCE_CODE))


_DERIVED_TOTALS = (
    Column("households", "households", "int", short="households", derived=True),
    Column("building_count", "building_count", "int", short="buildings", derived=True),
)

DISTRICTS = _division(_DISTRICT_CODE, names=("区县名称",))

STREETS = _division(
    _STREET_CODE,
    "district_code",
    (*_DISTRICT_CODE, "所属区县", "区县名称"),
    names=("街道名称", "乡镇名称"),
)

COMMUNITIES = _division(
    _COMMUNITY_CODE,
    "street_code",
    (*_STREET_CODE, "所属街道", "街道名称", "乡镇名称"),
    names=("社区名称", "村名称"),
    extra=(
        Column(
            "urban_rural_code",
            "urban_rural_code",
            short="ur_code",
            aliases=("城乡分类代码", "城乡分类"),
        ),
        HOUSEHOLDS_REPORTED,
    ),
)

GRIDS = _division(
    _GRID_CODE,
    "community_code",
    (*_COMMUNITY_CODE, "所属社区", "社区名称"),
    names=("网格名称",),
    extra=(*_DERIVED_TOTALS, HOUSEHOLDS_REPORTED),
)

MICROGRIDS = _division(
    _MICROGRID_CODE,
    "grid_code",
    (*_GRID_CODE, "所属网格", "网格名称"),
    names=("微网格名称",),
    extra=(*_DERIVED_TOTALS, HOUSEHOLDS_REPORTED),
)

COMPOUNDS = _division(
    _COMPOUND_CODE,
    "community_code",
    (*_COMMUNITY_CODE, "所属社区", "社区名称"),
    names=("小区名称",),
    extra=(
        Column("kind", "kind", "choice", aliases=("类型", "小区类型")),
        Column(
            "property_company",
            "property_company",
            short="property",
            aliases=("物业公司", "物业"),
        ),
        Column("owners_committee", "owners_committee", short="owners_com", aliases=("业委会",)),
        Column(
            "party_organisation",
            "party_organisation",
            short="party_org",
            aliases=("小区党组织", "党组织"),
        ),
    ),
)

BUILDINGS = LayerColumns(
    "polygon",
    ("code",),
    "community_code",
    (
        Column("code", "code", required=True, aliases=("楼栋编码", *_CODE)),
        Column("name", "name", aliases=("楼栋名称", "楼号", *_NAME)),
        Column(
            "community_code",
            "community__code",
            short="community_",
            aliases=("社区代码", "社区编码", "所属社区"),
        ),
        Column(
            "compound_code",
            "xiaoqu__code",
            short="compound_c",
            aliases=("小区编码", "小区代码", "所属小区"),
        ),
        Column("households", "households", "int", required=True, aliases=_HOUSEHOLDS),
        Column("units", "units", "int", aliases=("单元数", "单元")),
        Column("floors", "floors", "int", aliases=("层数", "楼层")),
        SOURCE_CODE,
    ),
)

ADDRESSES = LayerColumns(
    "point",
    ("text",),
    None,
    (
        Column("text", "text", required=True, aliases=("地址", "门牌地址", "address")),
        Column("building_code", "building__code", short="building_c", aliases=("楼栋编码",)),
    ),
)

STATIONS = LayerColumns(
    "point",
    ("street_code", "name"),
    "street_code",
    (
        Column("name", "name", required=True, aliases=("站点名称", "驿站名称", *_NAME)),
        Column("level", "level", "choice", required=True, aliases=("级别", "层级")),
        Column(
            "street_code",
            "street__code",
            short="street_cod",
            aliases=("街道代码", "所属街道"),
        ),
        Column(
            "community_code",
            "community__code",
            short="community_",
            aliases=("社区代码", "所属社区"),
        ),
        Column(
            "compound_code",
            "xiaoqu__code",
            short="compound_c",
            aliases=("小区编码", "所属小区"),
        ),
        Column("address", "address", aliases=("地址",)),
        Column(
            "opening_hours",
            "opening_hours",
            short="hours",
            aliases=("开放时间", "服务时间"),
        ),
        SOURCE_CODE,
    ),
)

UNITS = LayerColumns(
    "point",
    ("name",),
    None,
    (
        Column("name", "name", required=True, aliases=("单位名称", *_NAME)),
        Column("kind", "kind", "choice", aliases=("单位类型", "类型")),
        Column("address", "address", aliases=("地址",)),
    ),
)

PAIRINGS = LayerColumns(
    None,
    ("unit_name", "community_code"),
    "community_code",
    (
        Column("unit_name", "unit__name", required=True, aliases=("单位名称", "下沉单位")),
        Column(
            "community_code",
            "community__code",
            short="community_",
            required=True,
            aliases=("社区代码", "结对社区"),
        ),
        Column("since", "since", "date", required=True, aliases=("结对时间", "结对日期")),
        Column(
            "registered_members",
            "registered_members",
            "int",
            short="members",
            aliases=("报到党员", "报到人数"),
        ),
        Column("tasks", "tasks", aliases=("共建项目", "任务")),
    ),
)

WORKERS = LayerColumns(
    None,
    ("name", "role", "grid_code", "microgrid_code", "building_code"),
    None,
    (
        Column("name", "name", required=True, personal=True, aliases=("姓名",)),
        Column("phone", "phone", personal=True, aliases=("电话", "联系电话", "手机")),
        Column("role", "role", "choice", required=True, aliases=("角色", "职务")),
        Column("grid_code", "grid__code", short="grid_code", aliases=("网格编码",)),
        Column(
            "microgrid_code",
            "micro_grid__code",
            short="micro_code",
            aliases=("微网格编码",),
        ),
        Column("building_code", "building__code", short="building_c", aliases=("楼栋编码",)),
    ),
)

"""The layer catalogue: one declaration per layer, under ONE key, holding every fact about it
that more than one part of GridAtlas needs. Tiles (tiles/registry.py), TileJSON, the style and
legend (tiles/tilejson.py), generalisation, the map page's titles and pick order, the features API
and its cards, export/import columns, OGC collections, scope paths, code levels, who may import it
and the admin's offline outlines are all read from here, so they cannot drift apart.

Adding a tile layer is one entry here plus its `tiles/sql/<key>.sql` (docs/contributing.md).

The tile purge triggers are written out in tiles/sql/schema/ga_tiles_purge.sql (database code
lives in files); tests/test_sql_files.py checks them against `TILE_TABLES`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from layers.io import columns as cols
from layers.io.columns import LayerColumns
from layers.models import (
    Address,
    Building,
    Community,
    District,
    Grid,
    MicroGrid,
    Pairing,
    Road,
    SentDownUnit,
    ServiceStation,
    Street,
    Worker,
    Xiaoqu,
)
from layers.selectors import cards

# A paint value meaning "this layer's colour" (Tiles.color), filled in by tiles/tilejson.py.
COLOR = "@color"


@dataclass(frozen=True)
class StyleLayer:
    """One MapLibre style layer of a tile layer, as data. Its id is `<key>-<name>`."""

    type: Literal["fill", "line", "circle", "symbol"]
    order: int  # drawing order over every layer's style layers: lower is drawn first (below)
    paint: Mapping
    layout: Mapping = field(default_factory=dict)
    minzoom: int | None = None  # None: the tile layer's own

    @property
    def name(self) -> str:
        return "label" if self.type == "symbol" else self.type


def fill(order: int, opacity: float, color=COLOR) -> StyleLayer:
    return StyleLayer("fill", order, {"fill-color": color, "fill-opacity": opacity})


def line(order: int, width: float, **paint) -> StyleLayer:
    return StyleLayer("line", order, {"line-color": COLOR, "line-width": width, **paint})


def circle(order: int, radius, stroke_width: float) -> StyleLayer:
    paint = {
        "circle-color": COLOR,
        "circle-radius": radius,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": stroke_width,
    }
    return StyleLayer("circle", order, paint)


TEXT = {"text-font": ["Noto Sans CJK SC Regular"], "text-max-width": 8}
HALO = {"text-halo-color": "#ffffff", "text-halo-width": 1.5}
# Invisible fills make a layer pickable by a click inside, not only on its outline
# (queryRenderedFeatures tests a fill's area, whatever its opacity).
PICKABLE = "#000000"
LOAD_COLOR = ["match", ["get", "load"], "under", "#74add1", "over", "#d73027", "#a6d96a"]


@dataclass(frozen=True)
class Generalized:
    """Served below z14 from coverage-simplified geometry (tiles/generalize.py): the children of
    each `group_by` parent simplified together, or the whole city as one coverage (None)."""

    group_by: str | None = None


@dataclass(frozen=True)
class Tiles:
    """How a layer is cut into vector tiles by `tiles/sql/<key>.sql`."""

    geometry: Literal["polygon", "line", "point"]
    minzoom: int
    fields: Mapping[str, str]  # TileJSON vector_layers fields
    color: str  # legend swatch, and COLOR in the style
    priority: int  # lower is dropped first when a composite tile is over the size cap
    maxzoom: int | None = None  # None: tiles.registry.MAX_ZOOM
    min_pixels: float = 0.0  # features smaller than this many screen pixels² are dropped
    params: tuple[str, ...] = ()  # SQL parameters beyond z/x/y (tiles.registry.query_params)
    reads: tuple[type[models.Model], ...] = ()  # tables the SQL reads besides the layer's model
    generalized: Generalized | None = None


@dataclass(frozen=True)
class Layer:
    key: str  # the one public name: tile URLs, features API, export, import, OGC
    title_zh: str  # the legend's and TileJSON's
    title_en: Promise  # translatable, singular: cards, search results, the legend in English
    plural_en: Promise | None = None  # translatable, for lists (the import page); else title_en
    model: type[models.Model] | None = None
    tiles: Tiles | None = None
    style: tuple[StyleLayer, ...] = ()
    pick: int | None = None  # rank when the map picks under a pointer, 0 topmost; None: never
    card: Callable[[int], dict] | None = None  # the features API's reader (layers.selectors.cards)
    columns: LayerColumns | None = None  # export/import/OGC columns; None: not a file layer
    scope: tuple[str, ...] = ()  # code columns whose prefix puts a row in a division's scope
    code_level: str | None = None  # geo.codes.LEVELS key of the layer's codes
    boundary_rules: bool = False  # imports are checked against the boundary rules
    staff_only: bool = False  # no street owns it: only staff (or the command line) import it
    ogc: bool = False  # an OGC API Features collection
    outline_max_m_per_px: float | None = None  # admin offline outlines up to this resolution

    def __post_init__(self):
        if self.columns is not None:
            model = self.model._meta.label
            object.__setattr__(self, "columns", replace(self.columns, layer=self.key, model=model))

    @property
    def personal(self) -> bool:
        """Holds personal data: only users with `layers.view_worker` read or import it."""
        return self.columns is not None and any(c.personal for c in self.columns.columns)

    @property
    def plural(self) -> Promise:
        return self.plural_en or self.title_en


BASE_FIELDS = {"id": "Number", "code": "String", "name": "String"}
UNIT_FIELDS = {"households": "Number", "building_count": "Number", "load": "String (under|ok|over)"}

# In legend order (and the order of the composite tile's layers).
CATALOGUE = (
    Layer(
        "districts",
        "区县",
        _("District"),
        _("Districts"),
        model=District,
        columns=cols.DISTRICTS,
        scope=("code",),
        code_level="district",
        staff_only=True,
        ogc=True,
    ),
    Layer(
        "streets",
        "街道",
        _("Street"),
        _("Streets"),
        model=Street,
        tiles=Tiles("polygon", 8, BASE_FIELDS, "#1f2d3d", 90, generalized=Generalized()),
        style=(fill(10, 0, PICKABLE), line(110, 3.5, **{"line-opacity": 0.85})),
        pick=7,
        card=cards.street_card,
        columns=cols.STREETS,
        scope=("code",),
        code_level="street",
        boundary_rules=True,
        staff_only=True,
        ogc=True,
        outline_max_m_per_px=float("inf"),
    ),
    Layer(
        "communities",
        "社区",
        _("Community"),
        _("Communities"),
        model=Community,
        tiles=Tiles(
            "polygon",
            10,
            {**BASE_FIELDS, "households": "Number"},
            "#b22222",
            80,
            reads=(Grid,),
            generalized=Generalized("street_id"),
        ),
        style=(fill(30, 0.04), line(100, 2)),
        pick=6,
        card=cards.community_card,
        columns=cols.COMMUNITIES,
        scope=("code",),
        code_level="community",
        boundary_rules=True,
        ogc=True,
        outline_max_m_per_px=80.0,
    ),
    Layer(
        "grids",
        "网格",
        _("Grid"),
        _("Grids"),
        model=Grid,
        tiles=Tiles(
            "polygon",
            12,
            {
                **BASE_FIELDS,
                "code": "String (from z14)",
                "name": "String (from z14)",
                **UNIT_FIELDS,
            },
            "#2b7bb9",
            70,
            params=("grid_min", "grid_max"),
            generalized=Generalized("community_id"),
        ),
        style=(fill(40, 0.22, LOAD_COLOR), line(90, 1.2)),
        pick=5,
        card=cards.grid_card,
        columns=cols.GRIDS,
        scope=("code",),
        code_level="grid",
        boundary_rules=True,
        ogc=True,
        outline_max_m_per_px=20.0,
    ),
    Layer(
        "microgrids",
        "微网格",
        _("Micro-grid"),
        _("Micro-grids"),
        model=MicroGrid,
        tiles=Tiles(
            "polygon",
            14,
            {**BASE_FIELDS, "name": "String (z16)", **UNIT_FIELDS},
            "#6a51a3",
            40,
            params=("microgrid_min", "microgrid_max"),
        ),
        style=(fill(20, 0, PICKABLE), line(70, 0.8, **{"line-dasharray": [2, 2]})),
        pick=4,
        card=cards.microgrid_card,
        columns=cols.MICROGRIDS,
        scope=("code",),
        code_level="microgrid",
        boundary_rules=True,
        ogc=True,
    ),
    Layer(
        "compounds",  # 小区; `xiaoqu` before (RENAMED)
        "小区",
        _("Compound"),
        _("Compounds"),
        model=Xiaoqu,
        tiles=Tiles(
            "polygon",
            13,
            {
                **BASE_FIELDS,
                "kind": "String",
                "has_party_org": "Boolean",
                "has_owners_committee": "Boolean",
                "has_property_company": "Boolean",
            },
            "#e08a1e",
            50,
            min_pixels=16.0,
            params=("compounds_min_area_m2",),
        ),
        style=(fill(50, 0.18), line(80, 1)),
        pick=3,
        card=cards.compound_card,
        columns=cols.COMPOUNDS,
        scope=("code",),
        code_level="xiaoqu",
        ogc=True,
    ),
    Layer(
        "buildings",
        "楼栋",
        _("Building"),
        _("Buildings"),
        model=Building,
        tiles=Tiles(
            "polygon",
            14,
            {
                **BASE_FIELDS,
                "code": "String (z16)",
                "name": "String (z16)",
                "households": "Number",
                "floors": "Number",
            },
            "#7f8c8d",
            10,
            min_pixels=4.0,
            params=("buildings_min_area_m2",),
        ),
        style=(fill(60, 0.55),),
        pick=2,
        card=cards.building_card,
        columns=cols.BUILDINGS,
        scope=("code",),
        code_level="building",
        ogc=True,
    ),
    Layer(
        "roads",
        "道路",
        _("Road"),
        _("Roads"),
        model=Road,
        tiles=Tiles(
            "line",
            13,
            {
                "id": "Number",
                "name": "String",
                "kind": "String (trunk|primary|secondary from z13, all from z14)",
            },
            "#a08660",
            20,
        ),
        style=(
            line(65, ["match", ["get", "kind"], ["trunk", "primary"], 1.6, "secondary", 1.2, 0.7]),
            StyleLayer(
                "symbol",
                135,
                {"text-color": "#5c4a32", **HALO},
                {
                    **TEXT,
                    "text-field": ["get", "name"],
                    "text-size": 11,
                    "symbol-placement": "line",
                },
                minzoom=15,
            ),
        ),
    ),
    Layer(
        "addresses",
        "地址",
        _("Address"),
        _("Addresses"),
        model=Address,
        columns=cols.ADDRESSES,
        scope=("building__code",),
        ogc=True,
    ),
    Layer(
        "stations",
        "党群服务驿站",
        _("Service station"),
        _("Service stations"),
        model=ServiceStation,
        tiles=Tiles(
            "point", 10, {**BASE_FIELDS, "level": "String (street|community|xiaoqu)"}, "#d7301f", 85
        ),
        style=(circle(130, ["match", ["get", "level"], "street", 8, "community", 6, 4], 1.5),),
        pick=0,
        card=cards.station_card,
        columns=cols.STATIONS,
        # A compound station may lack its community.
        scope=("street__code", "community__code", "xiaoqu__code"),
        ogc=True,
    ),
    Layer(
        "units",
        "下沉单位",
        _("Sent-down unit"),
        _("Sent-down units"),
        model=SentDownUnit,
        tiles=Tiles(
            "point",
            12,
            {**BASE_FIELDS, "kind": "String", "pairings": "Number"},
            "#238b45",
            60,
            reads=(Pairing,),
        ),
        style=(circle(120, 4, 1),),
        pick=1,
        card=cards.unit_card,
        columns=cols.UNITS,
        scope=("pairings__community__code",),  # in scope through their pairings
        staff_only=True,
        ogc=True,
    ),
    Layer(
        "pairings",
        "结对共建",
        _("Pairing"),
        _("Pairings"),
        model=Pairing,
        columns=cols.PAIRINGS,
        scope=("community__code",),
        ogc=True,
    ),
    Layer(
        "workers",
        "网格工作人员",
        _("Worker"),
        _("Workers"),
        model=Worker,
        columns=cols.WORKERS,
        scope=("grid__code", "micro_grid__code", "building__code"),
        ogc=True,
    ),
    Layer(
        "labels",
        "注记",
        _("Labels"),
        tiles=Tiles(
            "point",
            10,
            {**BASE_FIELDS, "kind": "String (streets|communities|grids|compounds)"},
            "#333333",
            95,
            reads=(Street, Community, Grid, Xiaoqu),
        ),
        style=(
            StyleLayer(
                "symbol",
                140,
                {
                    "text-color": [
                        "match",
                        ["get", "kind"],
                        *("streets", "#1f2d3d", "communities", "#8b1a1a", "grids", "#1d4f7a"),
                        "#7a4a0c",
                    ],
                    **HALO,
                },
                {
                    **TEXT,
                    "text-field": ["get", "name"],
                    "text-size": [
                        "match",
                        ["get", "kind"],
                        *("streets", 16, "communities", 14, "grids", 12),
                        11,
                    ],
                },
            ),
        ),
    ),
)

LAYERS: dict[str, Layer] = {layer.key: layer for layer in CATALOGUE}
# Old public names, answered with a permanent redirect to the layer's key.
RENAMED = {"xiaoqu": "compounds"}

# --- views of the catalogue ----------------------------------------------------------------------

TILE_LAYERS: dict[str, Layer] = {k: la for k, la in LAYERS.items() if la.tiles}
COLUMNS: dict[str, LayerColumns] = {k: la.columns for k, la in LAYERS.items() if la.columns}
# The map picks the topmost of these under the pointer (points over buildings over areas).
PICK_ORDER: list[str] = sorted(
    (k for k, la in LAYERS.items() if la.pick is not None), key=lambda k: LAYERS[k].pick
)


def card_layers() -> dict[str, Layer]:
    """The layers a feature card can be asked of (/api/features/<key>/<id>)."""
    return {k: la for k, la in LAYERS.items() if la.card}


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _tile_tables() -> dict[str, tuple[str, ...]]:
    """Each table a tile layer reads → the tile layers whose tiles change with it, the layer
    drawing that table's own rows first."""
    feeds: dict[str, list[str]] = {}
    for key, layer in TILE_LAYERS.items():
        if layer.model is not None:
            feeds.setdefault(_table(layer.model), []).insert(0, key)
        for model in layer.tiles.reads:
            feeds.setdefault(_table(model), []).append(key)
    return {table: tuple(keys) for table, keys in feeds.items()}


# The purge triggers of tiles/sql/schema/ (and the data version of tile URLs) follow this.
TILE_TABLES: dict[str, tuple[str, ...]] = _tile_tables()

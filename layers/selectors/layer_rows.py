"""The rows of one layer as they leave GridAtlas: for file exports (a whole layer, scoped to a
district, street or community) and for OGC API Features (a page, by bbox and attributes).

Columns, their names and their ORM sources come from the layer catalogue (`layers.catalogue`,
the tables import reads back), so export, OGC and import cannot drift apart. Geometry is read in
STORAGE_SRID (WGS84 lon/lat); reprojection happens in the export service, never here.

A scope is a division code: a feature is in scope when one of its layer's scope paths (catalogue
`scope`: a code column, possibly through a relation) starts with the scope code; a division
layer coarser than the scope gives the divisions containing it (a street's `districts` file
holds its district). A community's `stations` are its community centre and compound stations,
not the street's.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

import geopandas as gpd
import pandas as pd
import shapely
from django.apps import apps
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON, AsWKB
from django.contrib.gis.geos import Polygon
from django.db.models import Q

from geo.codes import LEVELS
from geo.domain import is_code, lonlat_box_valid
from geo.errors import BadRequest, NotFound
from geo.srid import STORAGE_SRID
from layers.catalogue import COLUMNS, LAYERS
from layers.io.columns import Column, LayerColumns

SCOPE_LEVELS = ("district", "street", "community")
SCOPE_MODELS = {
    "district": "layers.District",
    "street": "layers.Street",
    "community": "layers.Community",
}
# Decimal places of GeoJSON coordinates served: 1e-7 degree is about 1 cm.
GEOJSON_PRECISION = 7
ITERATOR_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class Scope:
    """One division (district, street or community) by its code, validated in form."""

    level: str
    code: str

    @classmethod
    def parse(cls, **codes: str | None) -> "Scope | None":
        """The most specific of `district=`, `street=`, `community=` given; None when none is.
        Several must agree (a street inside the district given)."""
        given = [(lvl, (codes.get(lvl) or "").strip()) for lvl in SCOPE_LEVELS]
        given = [(lvl, code) for lvl, code in given if code]
        for lvl, code in given:
            if not is_code(lvl, code):
                raise BadRequest(
                    f"{lvl}={code!r} is not a {lvl} code: {LEVELS[lvl].digits} digits, e.g. "
                    f"{LEVELS[lvl].example}"
                )
        for (lvl, code), (inner_lvl, inner) in zip(given, given[1:], strict=False):
            if not inner.startswith(code):
                raise BadRequest(f"{inner_lvl} {inner} is not inside {lvl} {code}")
        return cls(*given[-1]) if given else None

    def ancestors(self) -> list[str]:
        """The codes of the divisions containing this one (its district's, its street's)."""
        above = SCOPE_LEVELS[: SCOPE_LEVELS.index(self.level)]
        return [self.code[: LEVELS[lvl].digits] for lvl in above]


@dataclass(frozen=True)
class BBox:
    """A CRS84 bounding box (lon/lat degrees), as OGC API `bbox=minlon,minlat,maxlon,maxlat`."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> "BBox":
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            values = []
        if len(values) != 4:
            raise BadRequest(f"bbox={text!r}: give minlon,minlat,maxlon,maxlat in degrees")
        box = cls(*values)
        if not lonlat_box_valid(box.min_lon, box.min_lat, box.max_lon, box.max_lat):
            raise BadRequest(f"bbox={text!r}: min before max, lon in ±180, lat in ±90 degrees")
        return box

    def polygon(self) -> Polygon:
        poly = Polygon.from_bbox((self.min_lon, self.min_lat, self.max_lon, self.max_lat))
        poly.srid = STORAGE_SRID
        return poly


def layer_spec(*, layer: str, personal: bool) -> LayerColumns:
    """The layer's column table; NotFound for an unknown layer, and for a layer with personal
    columns when the caller may not see them (so it does not exist for them)."""
    spec = COLUMNS.get(layer)
    if spec is None or (not personal and layer_is_personal(spec=spec)):
        raise NotFound(
            f"no layer {layer!r}: use one of {', '.join(layer_names(personal=personal))}"
        )
    return spec


def layer_names(*, personal: bool) -> list[str]:
    return [k for k, spec in COLUMNS.items() if personal or not layer_is_personal(spec=spec)]


def layer_is_personal(*, spec: LayerColumns) -> bool:
    return any(c.personal for c in spec.columns)


def _model(spec: LayerColumns):
    return apps.get_model(spec.model)


def _scoped(spec: LayerColumns, scope: Scope | None):
    model = _model(spec)
    qs = model.objects.all()
    if scope is None:
        return qs
    paths = LAYERS[spec.layer].scope
    q = reduce(or_, (Q(**{f"{p}__startswith": scope.code}) for p in paths))
    if paths == ("code",):
        # A division layer coarser than the scope: the divisions containing it. Only on the
        # feature's own code: a station's street code names every station of the street.
        q |= Q(code__in=scope.ancestors())
    # Through a to-many relation (units ← pairings) a filter repeats rows: select ids instead.
    return qs.filter(pk__in=model.objects.filter(q).values("pk"))


def scope_check(*, scope: Scope | None) -> None:
    """NotFound when the scope's division does not exist (an empty file would hide a typo)."""
    if scope is None:
        return
    model = apps.get_model(SCOPE_MODELS[scope.level])
    if not model.objects.filter(code=scope.code).exists():
        raise NotFound(f"no {scope.level} with code {scope.code}")


def _typed(column: Column, values: list):
    if column.kind == "int":
        return pd.array(values, dtype="Int64")
    if column.kind == "date":  # ISO text: the same in every format, no time zone to shift
        return [v.isoformat() if v is not None else None for v in values]
    return pd.array(values, dtype=object)


def layer_frame(
    *,
    layer: str,
    scope: Scope | None,
    personal: bool,
    progress: Callable[[int], None] | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Every row of `layer` in scope, canonical columns in table order, ordered by primary key;
    geometry (when the layer has one) in STORAGE_SRID. One query, read in chunks; `progress`
    is called with the number of rows of each chunk."""
    spec = layer_spec(layer=layer, personal=personal)
    scope_check(scope=scope)
    qs = _scoped(spec, scope).order_by("pk")
    fields = [c.source for c in spec.columns]
    if spec.geometry:
        qs = qs.annotate(_wkb=AsWKB("geom"))
        fields.append("_wkb")
    rows = []
    for row in qs.values_list(*fields).iterator(chunk_size=ITERATOR_CHUNK_ROWS):
        rows.append(row)
        if progress and len(rows) % ITERATOR_CHUNK_ROWS == 0:
            progress(ITERATOR_CHUNK_ROWS)
    if progress:
        progress(len(rows) % ITERATOR_CHUNK_ROWS)
    values = list(zip(*rows, strict=True)) if rows else [[] for _ in fields]
    data = {c.name: _typed(c, list(v)) for c, v in zip(spec.columns, values, strict=False)}
    if not spec.geometry:
        return pd.DataFrame(data)
    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in values[-1]])
    return gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{STORAGE_SRID}")


def layer_extent(*, spec: LayerColumns) -> tuple[float, float, float, float] | None:
    """The layer's bounding box in lon/lat degrees, or None for an empty or geometry-less one."""
    if not spec.geometry:
        return None
    return _model(spec).objects.aggregate(e=Extent("geom"))["e"]


def _filter_value(column: Column, raw: str):
    if column.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(f"{column.name}={raw!r}: give a whole number") from None
    return raw


@dataclass(frozen=True)
class FeaturePage:
    number_matched: int
    features: list[dict]


def _feature(spec: LayerColumns, row: tuple) -> dict:
    pk, *props = row
    geometry = None
    if spec.geometry:
        text = props.pop()
        geometry = json.loads(text) if text else None
    properties = {
        c.name: v.isoformat() if c.kind == "date" and v is not None else v
        for c, v in zip(spec.columns, props, strict=True)
    }
    return {"type": "Feature", "id": pk, "geometry": geometry, "properties": properties}


def layer_page(
    *,
    spec: LayerColumns,
    bbox: BBox | None = None,
    filters: dict[str, str] | None = None,
    limit: int,
    offset: int = 0,
    pk: int | None = None,
) -> FeaturePage:
    """One page of GeoJSON features (`id` the primary key, properties named as in the column
    table, CRS84 coordinates), ordered by primary key, with the count of all that match."""
    qs = _model(spec).objects.all()
    if pk is not None:
        qs = qs.filter(pk=pk)
    if bbox is not None and spec.geometry:
        qs = qs.filter(geom__intersects=bbox.polygon())
    for name, raw in (filters or {}).items():
        column = spec.column(name)
        qs = qs.filter(**{column.source: _filter_value(column, raw)})
    fields = ["pk", *(c.source for c in spec.columns)]
    if spec.geometry:
        qs = qs.annotate(_geojson=AsGeoJSON("geom", precision=GEOJSON_PRECISION))
        fields.append("_geojson")
    rows = qs.order_by("pk").values_list(*fields)[offset : offset + limit]
    features = [_feature(spec, row) for row in rows]
    matched = len(features) if pk is not None else qs.count()
    return FeaturePage(matched, features)

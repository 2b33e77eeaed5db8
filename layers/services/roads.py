"""Loading a road layer (GeoJSON, GeoPackage, Shapefile…, anything GDAL reads) into Road.

    roads_load(path="roads.gpkg", replace=True, kind_field="highway")

Every feature is read, checked and turned into STORAGE_SRID first; only then is the table
touched, in one transaction: a bad feature or a failed write leaves the roads as they were.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.gdal import (
    CoordTransform,
    DataSource,
    GDALException,
    OGRGeometry,
    SpatialReference,
)
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import MultiLineString
from django.core.exceptions import ValidationError
from django.db import transaction

from geo.errors import BadRequest
from geo.geometry import validate_geometry
from geo.srid import STORAGE_SRID
from layers.models import Road

K = Road.Kind
# Values a kind column may hold: ours, the Chinese classes of CJJ 37, and OpenStreetMap's
# `highway` tags (the commonest source of a road file).
KIND_ALIASES: dict[str, str] = {
    **{k.value: k.value for k in K},
    **{k.label: k.value for k in K},
    "步行道": K.FOOTWAY,
    "人行道": K.FOOTWAY,
    **dict.fromkeys(("motorway", "motorway_link", "trunk_link", "高速公路"), K.TRUNK),
    **dict.fromkeys(("primary_link",), K.PRIMARY),
    **dict.fromkeys(("secondary_link", "tertiary", "tertiary_link"), K.SECONDARY),
    **dict.fromkeys(
        ("unclassified", "service", "living_street", "road", "residential_link"), K.RESIDENTIAL
    ),
    **dict.fromkeys(("pedestrian", "path", "steps", "cycleway", "track"), K.FOOTWAY),
}
KIND_ALIASES = {k: str(v) for k, v in KIND_ALIASES.items()}  # plain values, not enum members
NOT_WALKABLE_KINDS = {K.TRUNK}  # expressways: no footway, no crossing
NAME_FIELDS = ("name", "名称", "NAME")
KIND_FIELDS = ("kind", "highway", "fclass", "类型")
WALKABLE_FIELD = "walkable"
LINE_TYPES = {"LineString", "MultiLineString"}
BATCH_ROWS = 2000


@dataclass(frozen=True)
class _Fields:
    name: str | None
    kind: str | None
    walkable: str | None


def roads_load(
    *,
    path: Path | str,
    replace: bool = False,
    layer: str | None = None,
    name_field: str | None = None,
    kind_field: str | None = None,
    srid: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Load the line features of `path` as roads; returns how many were loaded.

    `srid` is the CRS of the file's coordinates: needed when the file declares none (a
    Shapefile without its .prj), and it overrides a declared one (as ogr2ogr's -a_srs).
    `replace` deletes the roads already loaded; otherwise the file's roads are added to them.
    `progress(done, total)` is called as features are read.
    """
    lyr = _layer_open(Path(path), layer)
    transform = _transform_for(lyr, srid)
    fields = _fields_pick(lyr, name_field=name_field, kind_field=kind_field)
    total = lyr.num_feat
    roads = []
    for n, feature in enumerate(lyr, start=1):
        roads.append(_road_from(feature, n=n, fields=fields, transform=transform))
        if progress and n % 500 == 0:
            progress(n, total)
    if progress:
        progress(len(roads), total)
    with transaction.atomic():
        if replace:
            Road.objects.all().delete()
        Road.objects.bulk_create(roads, batch_size=BATCH_ROWS)
    return len(roads)


def _layer_open(path: Path, name: str | None) -> Layer:
    if not path.exists():
        raise BadRequest(f"{path}: no such file")
    try:
        ds = DataSource(str(path))
    except GDALException as exc:
        raise BadRequest(f"{path}: GDAL cannot read it as a vector file ({exc})") from None
    names = [ds[i].name for i in range(ds.layer_count)]
    if name is not None:
        if name not in names:
            raise BadRequest(f"{path}: no layer {name!r}; it has {', '.join(names) or 'none'}")
        return ds[name]
    if len(names) != 1:
        raise BadRequest(
            f"{path} has {len(names)} layers ({', '.join(names)}): choose one with --layer"
        )
    # The layer keeps a reference to its DataSource, so the file stays open while we read.
    return ds[0]


def _transform_for(lyr: Layer, srid: int | None) -> CoordTransform:
    if srid is not None:
        try:
            source = SpatialReference(srid)
        except GDALException:
            raise BadRequest(f"--srid {srid}: not a coordinate system GDAL knows") from None
    elif lyr.srs is None:
        raise BadRequest(
            f"layer {lyr.name!r} declares no coordinate system (a Shapefile without its .prj?): "
            "give it with --srid, e.g. --srid 4326 for lon/lat or --srid 4547 for CGCS2000 "
            "Gauss-Krüger 114E"
        )
    else:
        # Rebuilt from WKT so GDAL uses x=east, y=north whatever the CRS's official axis order
        # (EPSG:4547 lists northing first; Django's SpatialReference asks for traditional GIS
        # order, a layer's own SRS object may not).
        source = SpatialReference(lyr.srs.wkt)
    return CoordTransform(source, SpatialReference(STORAGE_SRID))


def _fields_pick(lyr: Layer, *, name_field: str | None, kind_field: str | None) -> _Fields:
    have = list(lyr.fields)
    for flag, f in (("--name-field", name_field), ("--kind-field", kind_field)):
        if f is not None and f not in have:
            raise BadRequest(f"{flag} {f}: the layer has no such field; it has {', '.join(have)}")
    return _Fields(
        name=name_field or next((f for f in NAME_FIELDS if f in have), None),
        kind=kind_field or next((f for f in KIND_FIELDS if f in have), None),
        walkable=WALKABLE_FIELD if WALKABLE_FIELD in have else None,
    )


def _road_from(feature, *, n: int, fields: _Fields, transform: CoordTransform) -> Road:
    where = f"feature {n} (fid {feature.fid})"
    try:
        ogr_geom = feature.geom
    except GDALException:  # Django raises on a null geometry rather than return None
        ogr_geom = None
    geom = _geom_storage(ogr_geom, where=where, transform=transform)
    kind = _kind(feature, fields.kind, where=where)
    name = str(feature.get(fields.name) or "").strip() if fields.name else ""
    if len(name) > Road._meta.get_field("name").max_length:
        raise BadRequest(f"{where}: the name {name[:20]}… is longer than 100 characters")
    walkable = kind not in NOT_WALKABLE_KINDS
    if fields.walkable:
        walkable = _truthy(feature.get(fields.walkable), default=walkable)
    return Road(name=name, kind=kind, walkable=walkable, geom=geom)


def _geom_storage(geom: OGRGeometry | None, *, where: str, transform: CoordTransform):
    if geom is None:
        raise BadRequest(f"{where} has no geometry: a road needs its line")
    if geom.has_curve:
        geom = geom.get_linear_geometry()
    geom.set_3d(False)
    geom.set_measured(False)
    if geom.geom_type.name not in LINE_TYPES:
        raise BadRequest(
            f"{where} is a {geom.geom_type.name}: load_roads takes lines "
            "(LineString or MultiLineString) only"
        )
    try:
        geom.transform(transform)
    except GDALException as exc:
        raise BadRequest(f"{where}: cannot transform it to lon/lat ({exc})") from None
    out = geom.geos
    if out.geom_type == "LineString":
        out = MultiLineString(out)
    out.srid = STORAGE_SRID
    try:
        validate_geometry(out)
    except ValidationError as exc:
        raise BadRequest(f"{where}: {' '.join(exc.messages)}") from None
    return out


def _kind(feature, field: str | None, *, where: str) -> str:
    raw = feature.get(field) if field else None
    if raw is None or str(raw).strip() == "":
        return K.RESIDENTIAL
    value = str(raw).strip()
    kind = KIND_ALIASES.get(value) or KIND_ALIASES.get(value.lower())
    if kind is None:
        raise BadRequest(
            f"{where}: unknown road kind {value!r} in field {field}; use one of "
            f"{', '.join(k.value for k in K)} (or OpenStreetMap highway values)"
        )
    return kind


def _truthy(value, *, default: bool) -> bool:
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip().lower() not in {"0", "false", "no", "n", "f", "否"}

"""Street, community and grid outlines around a place: the offline "base map" of the admin's map
widgets (government intranets reach no tile server), as a small GeoJSON FeatureCollection.

Geometry is read from the stored EPSG:3857 copy (its GiST index answers the bounding box),
simplified there to about one screen pixel, and sent as RFC 7946 GeoJSON in EPSG:4326.
"""

import json
from dataclasses import dataclass

from django.contrib.gis.db.models.functions import AsGeoJSON, GeomOutputGeoFunc, Transform
from django.contrib.gis.geos import Polygon

from geo.domain import lonlat_valid
from geo.srid import STORAGE_SRID, WEB_MERCATOR_SRID
from layers.catalogue import CATALOGUE

# Web Mercator is undefined at the poles; OpenLayers' own projection extent stops here.
MERCATOR_MAX_LAT = 85.05112878
# Decimal places of the coordinates sent: 1e-6 degree is about 0.1 m, below a screen pixel.
GEOJSON_PRECISION = 6

# Which outlines are worth drawing up to which scale (metres of EPSG:3857 per screen pixel):
# catalogue `outline_max_m_per_px`. Street outlines always; community outlines from about zoom
# 11; grid outlines from about zoom 13, where a grid (a few hectares) is more than a handful of
# pixels across. Kinds are code levels (street, community, grid), coarsest first.
LAYERS = tuple(
    (layer.code_level, layer.model, layer.outline_max_m_per_px)
    for layer in CATALOGUE
    if layer.outline_max_m_per_px is not None
)


class SimplifyPreserveTopology(GeomOutputGeoFunc):
    """ST_SimplifyPreserveTopology(geom, tolerance): GeoDjango has no simplify function.

    The tolerance is in the units of the geometry's SRID (metres for EPSG:3857). Unlike
    ST_Simplify it never collapses a polygon or makes it self-intersect.
    """

    function = "ST_SimplifyPreserveTopology"
    geom_param_pos = (0,)


@dataclass(frozen=True)
class LonLatBBox:
    """A validated bounding box in EPSG:4326 (degrees), as `west,south,east,north`."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_param(cls, raw: str) -> "LonLatBBox":
        """Parse `west,south,east,north` (degrees); ValueError with a message a user can act on.

        >>> LonLatBBox.from_param("114.2,30.5,114.4,30.7").east
        114.4
        """
        parts = (raw or "").split(",")
        if len(parts) != 4:
            raise ValueError("bbox must be west,south,east,north in degrees (EPSG:4326)")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"bbox has a value that is not a number: {raw!r}") from None
        if not (lonlat_valid([west, east], 0).all() and west < east):
            raise ValueError("bbox longitudes must satisfy -180 <= west < east <= 180")
        if not (lonlat_valid(0, [south, north]).all() and south < north):
            raise ValueError("bbox latitudes must satisfy -90 <= south < north <= 90")
        return cls(west, south, east, north)

    def mercator_polygon(self) -> Polygon:
        """The box in EPSG:3857, its latitudes clamped to where Web Mercator is defined."""
        south = max(self.south, -MERCATOR_MAX_LAT)
        north = min(self.north, MERCATOR_MAX_LAT)
        box = Polygon.from_bbox((self.west, south, self.east, north))
        box.srid = STORAGE_SRID
        return box.transform(WEB_MERCATOR_SRID, clone=True)


def outlines_in_bbox(*, bbox: LonLatBBox, resolution_m: float, max_features: int) -> dict:
    """Outlines of streets, communities and grids overlapping `bbox`, as a GeoJSON dict.

    Parameters
    ----------
    bbox : the area asked for (EPSG:4326).
    resolution_m : metres of EPSG:3857 per screen pixel: the simplification tolerance, and which
        layers are drawn at all (see LAYERS).
    max_features : at most this many features in all, coarsest layer first; `truncated` says
        when some were left out.

    Features carry `id` ("grid:420102002001001"), and properties `kind`, `code`, `name`.
    """
    window = bbox.mercator_polygon()
    tolerance_m = max(resolution_m, 0.0)
    features: list[dict] = []
    truncated = False
    for kind, model, max_resolution_m in LAYERS:
        if resolution_m > max_resolution_m:
            continue
        room = max_features - len(features)
        rows = list(
            model.objects.filter(geom_3857__bboverlaps=window)
            .order_by("code")
            .annotate(
                outline=AsGeoJSON(
                    Transform(SimplifyPreserveTopology("geom_3857", tolerance_m), STORAGE_SRID),
                    precision=GEOJSON_PRECISION,
                )
            )
            .values_list("code", "name", "outline")[: room + 1]
        )
        if len(rows) > room:
            truncated, rows = True, rows[:room]
        features.extend(
            {
                "type": "Feature",
                "id": f"{kind}:{code}",
                "geometry": json.loads(outline),
                "properties": {"kind": kind, "code": code, "name": name},
            }
            for code, name, outline in rows
            if outline is not None  # a grid with no parcels yet has no polygon
        )
        if truncated:
            break
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}

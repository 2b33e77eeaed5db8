"""Coordinate reference systems, named once. Never write a bare EPSG number elsewhere."""

import threading

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry

# What every geometry column stores: WGS84 lon/lat. CGCS2000 (EPSG:4490) input is taken as equal:
# the two frames differ by centimetres, far below a boundary's tolerance.
STORAGE_SRID = 4326
CGCS2000_SRID = 4490
# Tiles read a stored copy in Web Mercator.
WEB_MERCATOR_SRID = 3857


def metric_srid() -> int:
    """The city's projected CRS for lengths and areas in metres: the Gauss-Krüger zone of the
    loaded data, or GRIDATLAS_METRIC_SRID when set (geo/city_profile.py). Cached per process."""
    from geo.city_profile import city_profile  # the profile builds on this module

    return city_profile().metric_srid


_local = threading.local()


def _coord_transform(source: int, target: int) -> CoordTransform:
    # Building a PROJ transformation costs ~40 ms; reusing one, ~0.05 ms. GDAL's transformation
    # objects are not thread-safe, so each thread keeps its own.
    cache = _local.__dict__.setdefault("transforms", {})
    key = (source, target)
    if key not in cache:
        cache[key] = CoordTransform(SpatialReference(source), SpatialReference(target))
    return cache[key]


def transformed(geom: GEOSGeometry, srid: int) -> GEOSGeometry:
    """A copy of `geom` in `srid`; a geometry without an SRID is taken as STORAGE_SRID."""
    source = geom.srid or STORAGE_SRID
    if source == srid:
        return geom.clone()
    out = geom.transform(_coord_transform(source, srid), clone=True)
    out.srid = srid
    return out


def to_metric(geom: GEOSGeometry) -> GEOSGeometry:
    """A copy in the city's metric CRS, for lengths and areas in metres."""
    return transformed(geom, metric_srid())

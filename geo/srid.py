"""Coordinate reference systems, named once. Never write a bare EPSG number elsewhere."""

from django.conf import settings

# What every geometry column stores: WGS84 lon/lat. CGCS2000 (EPSG:4490) input is taken as equal:
# the two frames differ by centimetres, far below a boundary's tolerance.
STORAGE_SRID = 4326
CGCS2000_SRID = 4490
# Tiles read a stored copy in Web Mercator.
WEB_MERCATOR_SRID = 3857


def metric_srid() -> int:
    """The city's projected CRS for lengths and areas in metres (a setting: it depends on the city).

    Wuhan lies at 114.3°E, on the central meridian of CGCS2000 3-degree Gauss-Krüger
    zone CM 114E, EPSG:4547.
    """
    return settings.GRIDATLAS_METRIC_SRID

"""The CGCS2000 3-degree Gauss-Krüger zones: which zone a longitude falls in, and a zone's central
meridian. Pure arithmetic on EPSG numbers (geo.srid names the CRSs; geo.city_profile picks the
zone of the loaded data)."""

import math

# CGCS2000 3-degree Gauss-Krüger zones with their central meridian (CM) in the CRS name and no
# false-easting zone prefix: EPSG:4534 is CM 75E, …, EPSG:4554 is CM 135E, one every 3 degrees
# (tests/test_city_profile.py checks each against PROJ).
GK3_FIRST_SRID, GK3_FIRST_CM, GK3_LAST_SRID = 4534, 75, 4554


def gk3_zone_srid(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest `lon` (degrees
    east): 114.3 → 4547 (CM 114E). Outside 73.5–136.5°E, the nearest zone China has."""
    zone = math.floor((lon - GK3_FIRST_CM) / 3 + 0.5)  # half-way between two CMs: the eastern
    return min(max(GK3_FIRST_SRID + zone, GK3_FIRST_SRID), GK3_LAST_SRID)


def gk3_central_meridian(srid: int) -> int | None:
    """The central meridian (degrees east) of a zone of gk3_zone_srid; None for any other SRID."""
    if not GK3_FIRST_SRID <= srid <= GK3_LAST_SRID:
        return None
    return GK3_FIRST_CM + 3 * (srid - GK3_FIRST_SRID)

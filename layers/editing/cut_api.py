"""Cut lines in the editing API: POST /api/edit/communities/<code>/cut.

Body {"line": GeoJSON LineString in EPSG:4326}. Answers 200
{"parcels": [{"id", "grid", "microgrid", "households", "buildings", "area_m2", "geometry"}…],
 "created": [new parcel ids], "split": [ids of the parcels that were split]}
where `parcels` lists every piece (a split parcel keeps its id for its largest piece) and
`geometry` is a GeoJSON Polygon (EPSG:4326). Errors are JSON {"error": …}: 400 a malformed line
or one that splits no parcel; 403 not a planner of the community's street; 404 no such community;
422 the line crosses building footprints (with "buildings": [{"code", "lon", "lat",
"length_m"}]). A cut does not change the layout revision (layers/services/parcel_cut.py).
"""

import json
import math

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString
from django.views.decorators.http import require_POST

from geo.domain import lonlat_valid
from geo.errors import BadRequest
from geo.http import json_body, json_response
from geo.srid import STORAGE_SRID
from layers.services.parcel_cut import parcels_cut


def _line(request) -> LineString:
    raw = json_body(request).get("line")
    if not isinstance(raw, dict) or raw.get("type") != "LineString":
        raise BadRequest('line must be a GeoJSON LineString: {"type": "LineString", ...}')
    coordinates = raw.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise BadRequest("a cut line needs at least two points: [[lon, lat], [lon, lat], …]")
    _lonlat_check(coordinates)
    try:
        line = GEOSGeometry(json.dumps(raw), srid=STORAGE_SRID)
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise BadRequest(f"line is not a valid GeoJSON LineString: {exc}") from None
    line.srid = STORAGE_SRID  # GeoJSON is EPSG:4326 by RFC 7946
    return line


def _lonlat_check(coordinates: list) -> None:
    """Each point two finite numbers in degrees: 1e30 or NaN would reach GEOS and PostGIS."""
    most = settings.GRIDATLAS_CUT_MAX_POINTS
    if len(coordinates) > most:
        raise BadRequest(f"a cut line has at most {most} points, not {len(coordinates)}")
    for i, point in enumerate(coordinates):
        ok = isinstance(point, list) and len(point) == 2
        ok = ok and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in point
        )
        if not ok or not lonlat_valid(*point):
            raise BadRequest(
                f"coordinates[{i}] must be [lon, lat] in degrees (lon ±180, lat ±90), "
                f"not {str(point)[:60]}"
            )


@require_POST
def cut(request, code: str):
    result = parcels_cut(community_code=code, line=_line(request), user=request.user)
    parcels = [{**p, "geometry": json.loads(p["geometry"])} for p in result.parcels]
    return json_response({"parcels": parcels, "created": result.created, "split": result.split})

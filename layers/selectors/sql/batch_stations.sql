-- The service stations a batch of points may list as nearest: those within station_max_m of the
-- batch's bounding box, so that a far station is never fetched (the nearest is then ranked in
-- GEOS, batch_points.py, and its distance taken on the ellipsoid).
-- Parameters: west, south, east, north (EPSG:4326 degrees: the batch's box); station_max_m
-- (metres, GRIDATLAS_NEAREST_STATION_MAX_M).
-- Returns name, lon, lat (EPSG:4326) of each station, ordered by id.
-- The box grows by degrees that are at least station_max_m everywhere in it: a degree of
-- latitude is at least 110,574 m, one of longitude at least 111,319 m × cos(latitude) at the
-- box's poleward edge; one per cent more covers the geodesic's curve. The exact cut is in Python.
WITH grown AS (
  SELECT 1.01 * %(station_max_m)s / 110574.0 AS d_lat
)
SELECT s.name, ST_X(s.geom), ST_Y(s.geom)
  FROM layers_servicestation s, grown
 WHERE s.geom && ST_Expand(
         ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326),
         1.01 * %(station_max_m)s
           / (111319.0 * cos(radians(least(greatest(abs(%(south)s), abs(%(north)s)) + d_lat,
                                           89.0)))),
         d_lat)
 ORDER BY s.id

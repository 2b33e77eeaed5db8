-- Where each building's walk starts, for the walking network (layers/analysis/network.py).
-- Parameters: ids (bigint array): the buildings asked for; metric_srid (int): the city's
--   projected CRS, in metres.
-- The point is ST_PointOnSurface of the footprint: always inside it, where a centroid can fall
--   outside an L-shaped block or one around a courtyard.
-- Returns id, x, y (metres, metric_srid), one row per building found, ordered by id; ids the
--   table does not have are simply missing.
SELECT b.id,
       ST_X(pt.geom) AS x,
       ST_Y(pt.geom) AS y
  FROM layers_building b
 CROSS JOIN LATERAL (
       SELECT ST_Transform(ST_PointOnSurface(b.geom), %(metric_srid)s::int) AS geom) pt
 WHERE b.id = ANY(%(ids)s::bigint[])
 ORDER BY b.id;

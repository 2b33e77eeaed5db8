-- The stations a walk can end at, for the walking network (layers/analysis/network.py).
-- Parameters: ids (bigint array, or NULL for every station); metric_srid (int): the city's
--   projected CRS, in metres.
-- Returns id, x, y (metres, metric_srid), one row per station, ordered by id.
SELECT s.id,
       ST_X(pt.geom) AS x,
       ST_Y(pt.geom) AS y
  FROM layers_servicestation s
 CROSS JOIN LATERAL (SELECT ST_Transform(s.geom, %(metric_srid)s::int) AS geom) pt
 WHERE %(ids)s::bigint[] IS NULL OR s.id = ANY(%(ids)s::bigint[])
 ORDER BY s.id;

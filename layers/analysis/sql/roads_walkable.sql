-- The walkable road lines, for the walking network (layers/analysis/network.py).
-- Parameters: metric_srid (int): the city's projected CRS, whose unit is the metre.
-- Returns one row per walkable road: geom, its LineString or MultiLineString as WKB in
--   metric_srid. Not noded: the caller splits the lines where they meet.
-- Ordered by id so the same roads give the same graph, node numbers and all.
SELECT ST_AsBinary(ST_Transform(geom, %(metric_srid)s::int)) AS geom
  FROM layers_road
 WHERE walkable
 ORDER BY id;

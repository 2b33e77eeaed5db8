-- What a batch of points is looked up against, loaded once for the whole batch (the spatial join
-- itself runs in GEOS through shapely's STRtree: 100,000 points in about 0.8 s, where the
-- set-based lateral join in PostgreSQL takes 2.8 s on the city; bench/lookup.py measures both).
-- Parameters: west, south, east, north (EPSG:4326 degrees: the batch's bounding box).
-- Returns grids and micro-grids meeting the box, ordered by code (the tie-break on shared edges:
-- the lower code wins, as in point_lookup.sql), with WKB geometry in EPSG:4326.
SELECT 'grid' AS kind, g.id, g.id AS grid_id, g.code, g.name, c.code, c.name, s.code, s.name,
       ST_AsBinary(g.geom)
  FROM layers_grid g
  JOIN layers_community c ON c.id = g.community_id
  JOIN layers_street s ON s.id = c.street_id
 WHERE g.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)
UNION ALL
SELECT 'microgrid', m.id, m.grid_id, m.code, m.name, NULL, NULL, NULL, NULL, ST_AsBinary(m.geom)
  FROM layers_microgrid m
 WHERE m.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)
 ORDER BY 1, 4

-- Layer `stations`: party-mass service stations (党群服务中心/驿站) as points.
-- Parameters: z, x, y, extent, buffer, margin. Below z12 only street-level centres are drawn
-- (thinned by level, so the overview stays readable).
-- Reads layers_servicestation.geom_3857 (EPSG:3857). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'stations', %(extent)s, 'geom', 'id') FROM (
  SELECT s.id, s.name, s.level, '' AS code,
         ST_AsMVTGeom(s.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_servicestation s
   WHERE s.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
     AND (%(z)s >= 12 OR s.level = 'street')
) t WHERE t.geom IS NOT NULL

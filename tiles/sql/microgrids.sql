-- Layer `microgrids`: micro-grid (微网格) polygons, derived households and load band.
-- Parameters: z, x, y, extent, buffer, margin; microgrid_min, microgrid_max (households).
-- Reads layers_microgrid.geom_3857 (EPSG:3857). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'microgrids', %(extent)s, 'geom', 'id') FROM (
  -- Name only at z16 (see buildings.sql): the code identifies the micro-grid below that.
  SELECT m.id, m.code, CASE WHEN %(z)s >= 16 THEN m.name END AS name, m.households,
         m.building_count,
         CASE WHEN m.households < %(microgrid_min)s THEN 'under'
              WHEN m.households > %(microgrid_max)s THEN 'over' ELSE 'ok' END AS load,
         ST_AsMVTGeom(m.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_microgrid m
   WHERE m.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

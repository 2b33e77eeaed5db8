-- Layer `grids`: grid (网格) polygons, derived households and their load band.
-- Parameters: z, x, y, extent, buffer, margin; grid_min, grid_max (households, inclusive band).
-- Reads layers_grid.geom_3857 (EPSG:3857). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'grids', %(extent)s, 'geom', 'id') FROM (
  SELECT g.id, g.code, g.name, g.households, g.building_count,
         CASE WHEN g.households < %(grid_min)s THEN 'under'
              WHEN g.households > %(grid_max)s THEN 'over' ELSE 'ok' END AS load,
         ST_AsMVTGeom(g.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_grid g
   WHERE g.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

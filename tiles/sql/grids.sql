-- Layer `grids`: grid (网格) polygons, derived households and their load band.
-- Parameters: z, x, y, extent, buffer, margin; grid_min, grid_max (households, inclusive band).
-- Below z14 the geometry is the generalised one (tiles_generalized, band = band param), else the
-- exact geom_3857; the index filter always uses the exact geometry's box.
-- Reads layers_grid.geom_3857 (EPSG:3857). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'grids', %(extent)s, 'geom', 'id') FROM (
  -- Code and name only from z14 (labels start there): at z12–13 a tile holds over a thousand
  -- grids and their unique strings would be half its bytes; the map asks the API on click.
  SELECT g.id, CASE WHEN %(z)s >= 14 THEN g.code END AS code,
         CASE WHEN %(z)s >= 14 THEN g.name END AS name, g.households, g.building_count,
         CASE WHEN g.households < %(grid_min)s THEN 'under'
              WHEN g.households > %(grid_max)s THEN 'over' ELSE 'ok' END AS load,
         ST_AsMVTGeom(coalesce(gen.geom, g.geom_3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_grid g
    LEFT JOIN tiles_generalized gen
      ON gen.layer = 'grids' AND gen.band = %(band)s AND gen.id = g.id
   WHERE g.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

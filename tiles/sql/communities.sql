-- Layer `communities`: community (社区) boundaries with their derived households.
-- Parameters: z, x, y, extent, buffer, margin. Reads layers_community.geom_3857 (EPSG:3857).
-- Below z14 the geometry is the generalised one (tiles_generalized, band = band param), else the
-- exact geom_3857; the index filter always uses the exact geometry's box.
-- Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'communities', %(extent)s, 'geom', 'id') FROM (
  SELECT c.id, c.code, c.name,
         (SELECT coalesce(sum(g.households), 0) FROM layers_grid g WHERE g.community_id = c.id)::int
           AS households,
         ST_AsMVTGeom(coalesce(gen.geom, c.geom_3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_community c
    LEFT JOIN tiles_generalized gen
      ON gen.layer = 'communities' AND gen.band = %(band)s AND gen.id = c.id
   WHERE c.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

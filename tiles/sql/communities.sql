-- Layer `communities`: community (社区) boundaries with their derived households.
-- Parameters: z, x, y, extent, buffer, margin. Reads layers_community.geom_3857 (EPSG:3857).
-- Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'communities', %(extent)s, 'geom', 'id') FROM (
  SELECT c.id, c.code, c.name,
         (SELECT coalesce(sum(g.households), 0) FROM layers_grid g WHERE g.community_id = c.id)::int
           AS households,
         ST_AsMVTGeom(c.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_community c
   WHERE c.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

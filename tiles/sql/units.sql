-- Layer `units`: sent-down units (下沉单位) as points, with how many communities they pair with.
-- Parameters: z, x, y, extent, buffer, margin. Reads layers_sentdownunit.geom_3857 (EPSG:3857).
-- Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'units', %(extent)s, 'geom', 'id') FROM (
  SELECT u.id, u.name, u.kind, '' AS code,
         (SELECT count(*) FROM layers_pairing p WHERE p.unit_id = u.id)::int AS pairings,
         ST_AsMVTGeom(u.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_sentdownunit u
   WHERE u.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

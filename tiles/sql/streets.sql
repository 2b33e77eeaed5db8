-- Layer `streets`: street (街道) boundaries as polygons.
-- Parameters: z, x, y (tile), extent (MVT units, 4096), buffer (MVT units).
-- Reads: layers_street.geom_3857 (EPSG:3857, GiST-indexed). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'streets', %(extent)s, 'geom', 'id') FROM (
  SELECT s.id, s.code, s.name,
         ST_AsMVTGeom(s.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_street s
   WHERE s.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

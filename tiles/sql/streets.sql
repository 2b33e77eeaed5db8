-- Layer `streets`: street (街道) boundaries as polygons.
-- Parameters: z, x, y (tile), extent (MVT units, 4096), buffer (MVT units).
-- Below z14 the geometry is the generalised one (tiles_generalized, band = band param), else the
-- exact geom_3857; the index filter always uses the exact geometry's box.
-- Reads: layers_street.geom_3857 (EPSG:3857, GiST-indexed). Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'streets', %(extent)s, 'geom', 'id') FROM (
  SELECT s.id, s.code, s.name,
         ST_AsMVTGeom(coalesce(gen.geom, s.geom_3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_street s
    LEFT JOIN tiles_generalized gen
      ON gen.layer = 'streets' AND gen.band = %(band)s AND gen.id = s.id
   WHERE s.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
) t WHERE t.geom IS NOT NULL

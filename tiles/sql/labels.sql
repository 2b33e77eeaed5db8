-- Layer `labels`: one label point per street, community, grid and compound — the feature's
-- point on surface, so a polygon crossing many tiles is labelled once, not once per tile.
-- Parameters: z, x, y, extent, buffer. Which kinds appear depends on z (see the CASE filters).
-- Reads geom_3857 of each table (EPSG:3857). Returns one MVT layer (bytea); property `kind` is
-- the source layer key.
SELECT ST_AsMVT(t, 'labels', %(extent)s, 'geom') FROM (
  SELECT kind, id, code, name,
         ST_AsMVTGeom(p, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, 0, false) AS geom
    FROM (
      SELECT 'streets' AS kind, id, code, name, ST_PointOnSurface(geom_3857) AS p
        FROM layers_street WHERE geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
      UNION ALL
      SELECT 'communities', id, code, name, ST_PointOnSurface(geom_3857)
        FROM layers_community
       WHERE %(z)s >= 12 AND geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
      UNION ALL
      SELECT 'grids', id, code, name, ST_PointOnSurface(geom_3857)
        FROM layers_grid
       WHERE %(z)s >= 14 AND geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
      UNION ALL
      SELECT 'compounds', id, code, name, ST_PointOnSurface(geom_3857)
        FROM layers_xiaoqu
       WHERE %(z)s >= 15 AND geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
    ) candidates
   WHERE ST_Intersects(p, ST_TileEnvelope(%(z)s, %(x)s, %(y)s))
) t WHERE t.geom IS NOT NULL

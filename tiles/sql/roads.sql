-- Layer `roads`: the road network (layers_road) as lines with their name and kind; the style
-- draws names along them from z15. Below z14 only trunk, primary and secondary roads.
-- Parameters: z, x, y, extent, buffer, margin. Reads layers_road.geom_3857 (EPSG:3857).
-- Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'roads', %(extent)s, 'geom', 'id') FROM (
  SELECT r.id, r.name, r.kind,
         ST_AsMVTGeom(r.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_road r
   WHERE r.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
     AND (%(z)s >= 14 OR r.kind IN ('trunk', 'primary', 'secondary'))
) t WHERE t.geom IS NOT NULL

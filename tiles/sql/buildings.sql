-- Layer `buildings`: building (楼栋) footprints with households and floors.
-- Parameters: z, x, y, extent, buffer, margin; buildings_min_area_m2 (smaller footprints are dropped at
-- low zoom; see tiles/registry.py). Reads layers_building.geom_3857 (EPSG:3857).
-- Returns one MVT layer (bytea).
SELECT ST_AsMVT(t, 'buildings', %(extent)s, 'geom', 'id') FROM (
  -- Code and name only at z16: below it a tile holds ~1,000 footprints and their unique
  -- strings would be most of its bytes (the map asks the API for a clicked feature's details).
  SELECT b.id, CASE WHEN %(z)s >= 16 THEN b.code END AS code,
         CASE WHEN %(z)s >= 16 THEN b.name END AS name, b.households, b.floors,
         ST_AsMVTGeom(b.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), %(extent)s, %(buffer)s, true) AS geom
    FROM layers_building b
   WHERE b.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
     AND ST_Area(b.geom_3857) >= %(buildings_min_area_m2)s
) t WHERE t.geom IS NOT NULL

-- ga_tiles_purge_boxes(boxes box2d[], layers text[]) → void: deletes the cached tiles of `layers`
-- that meet any of `boxes` (EPSG:3857), at every zoom 0–16 (tiles/registry.py MAX_ZOOM).
CREATE OR REPLACE FUNCTION ga_tiles_purge_boxes(boxes box2d[], layers text[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM tiles_cache c
   USING (SELECT z, r.* FROM unnest(boxes) AS b, generate_series(0, 16) AS z,
                 LATERAL ga_tile_range(b, z) AS r) t
   WHERE c.layer = ANY(layers) AND c.z = t.z
     AND c.x BETWEEN t.x0 AND t.x1 AND c.y BETWEEN t.y0 AND t.y1;
$$;

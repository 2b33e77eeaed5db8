-- ga_tile_range(b box2d, z int) → (x0, x1, y0, y1): the tile index range of a Web Mercator
-- (EPSG:3857, metres) box at zoom z, widened by the clipping buffer: 0.015625 of a tile is
-- tiles/registry.py BUFFER / EXTENT (64 / 4096).
CREATE OR REPLACE FUNCTION ga_tile_range(b box2d, z int,
    OUT x0 int, OUT x1 int, OUT y0 int, OUT y1 int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH k AS (SELECT 20037508.342789244 AS h, (2 * 20037508.342789244) / (2 ^ z) AS size)
  SELECT greatest(0, floor((ST_XMin(b) + k.h) / k.size - 0.015625)::int),
         least(2 ^ z - 1, floor((ST_XMax(b) + k.h) / k.size + 0.015625)::int),
         greatest(0, floor((k.h - ST_YMax(b)) / k.size - 0.015625)::int),
         least(2 ^ z - 1, floor((k.h - ST_YMin(b)) / k.size + 0.015625)::int)
    FROM k
$$;

"""The server-side tile cache and its exact invalidation, in the database so that every path
that changes a feature (admin, API, import, editor, raw SQL) purges what it must.

tiles_cache holds rendered tiles by (layer, z, x, y). A statement trigger on each tiled table
deletes, at every zoom 0–16, exactly the cached tiles whose envelope plus clipping buffer meets
the old or new bounding box of a changed row, for the tile layers that show that table and the
composite 'all'; nothing else is touched.

tiles_epoch closes the race between a tile being rendered from an old snapshot and an edit
committing: every purge bumps the epoch (holding the row lock until commit), and a rendered tile
is stored only if the epoch it started from is still current, read FOR SHARE — which waits for an
edit in flight and then sees its new epoch.
"""

from django.db import migrations

MAX_ZOOM = 16
BUFFER_FRACTION = 64 / 4096  # tiles/registry.py BUFFER / EXTENT

# table → the tile layers it feeds (besides the composite 'all').
FEEDS = {
    "layers_street": ["streets", "labels"],
    "layers_community": ["communities", "labels"],
    "layers_grid": ["grids", "communities", "labels"],
    "layers_microgrid": ["microgrids"],
    "layers_xiaoqu": ["xiaoqu", "labels"],
    "layers_building": ["buildings"],
    "layers_servicestation": ["stations"],
    "layers_sentdownunit": ["units"],
}

FORWARD = rf"""
CREATE TABLE tiles_cache (
  layer text NOT NULL,
  z smallint NOT NULL,
  x integer NOT NULL,
  y integer NOT NULL,
  data bytea NOT NULL,
  etag text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (layer, z, x, y)
);
CREATE INDEX tiles_cache_zxy ON tiles_cache (z, x, y);
CREATE TABLE tiles_epoch (id boolean PRIMARY KEY DEFAULT true CHECK (id), epoch bigint NOT NULL);
INSERT INTO tiles_epoch VALUES (true, 0);

-- Tile index range of a Web Mercator box at zoom z, widened by the clipping buffer.
CREATE OR REPLACE FUNCTION ga_tile_range(b box2d, z int,
    OUT x0 int, OUT x1 int, OUT y0 int, OUT y1 int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH k AS (SELECT 20037508.342789244 AS h, (2 * 20037508.342789244) / (2 ^ z) AS size)
  SELECT greatest(0, floor((ST_XMin(b) + k.h) / k.size - {BUFFER_FRACTION})::int),
         least(2 ^ z - 1, floor((ST_XMax(b) + k.h) / k.size + {BUFFER_FRACTION})::int),
         greatest(0, floor((k.h - ST_YMax(b)) / k.size - {BUFFER_FRACTION})::int),
         least(2 ^ z - 1, floor((k.h - ST_YMin(b)) / k.size + {BUFFER_FRACTION})::int)
    FROM k
$$;

-- Delete the cached tiles of `layers` that meet any of `boxes` (EPSG:3857), at every zoom.
CREATE OR REPLACE FUNCTION ga_tiles_purge_boxes(boxes box2d[], layers text[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM tiles_cache c
   USING (SELECT z, r.* FROM unnest(boxes) AS b, generate_series(0, {MAX_ZOOM}) AS z,
                 LATERAL ga_tile_range(b, z) AS r) t
   WHERE c.layer = ANY(layers) AND c.z = t.z
     AND c.x BETWEEN t.x0 AND t.x1 AND c.y BETWEEN t.y0 AND t.y1;
$$;

CREATE OR REPLACE FUNCTION ga_tiles_purge() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  boxes box2d[] := '{{}}';
  more box2d[];
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  IF NOT EXISTS (SELECT 1 FROM tiles_cache) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT array_agg(Box2D(geom_3857)) INTO more FROM new_rows WHERE geom_3857 IS NOT NULL;
    boxes := boxes || coalesce(more, '{{}}');
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT array_agg(Box2D(geom_3857)) INTO more FROM old_rows WHERE geom_3857 IS NOT NULL;
    boxes := boxes || coalesce(more, '{{}}');
  END IF;
  PERFORM ga_tiles_purge_boxes(boxes, TG_ARGV || ARRAY['all']);
  RETURN NULL;
END $$;
""" + "\n".join(
    f"""
CREATE TRIGGER ga_tiles_purge_ins AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge({", ".join(repr(k) for k in keys)});
CREATE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON {table}
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge({", ".join(repr(k) for k in keys)});
CREATE TRIGGER ga_tiles_purge_del AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge({", ".join(repr(k) for k in keys)});
"""
    for table, keys in FEEDS.items()
)

BACKWARD = (
    "\n".join(
        f"DROP TRIGGER IF EXISTS ga_tiles_purge_{op} ON {table};"
        for table in FEEDS
        for op in ("ins", "upd", "del")
    )
    + """
DROP FUNCTION IF EXISTS ga_tiles_purge(), ga_tiles_purge_boxes(box2d[], text[]),
  ga_tile_range(box2d, int);
DROP TABLE IF EXISTS tiles_epoch, tiles_cache;
"""
)


class Migration(migrations.Migration):
    dependencies = [("layers", "0004_derived_on_insert")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

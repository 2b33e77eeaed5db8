"""Generalised boundaries for low zooms (tiles/generalize.py fills them): per layer and zoom
band, each feature's polygon simplified as a coverage, so neighbours still share their edges.

An edit to a street, community or grid deletes that feature's generalised rows (in the purge
trigger), so its tiles fall back to the exact geometry until `manage.py generalize_tiles` runs
again: never a stale shape, at worst a sub-pixel seam at low zoom.
"""

from django.db import migrations

FORWARD = r"""
CREATE TABLE tiles_generalized (
  layer text NOT NULL,
  band smallint NOT NULL,
  id bigint NOT NULL,
  geom geometry(MultiPolygon, 3857) NOT NULL,
  PRIMARY KEY (layer, band, id)
);

CREATE OR REPLACE FUNCTION ga_tiles_purge() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  boxes box2d[] := '{}';
  more box2d[];
  ids bigint[] := '{}';
  more_ids bigint[];
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT array_agg(Box2D(geom_3857)) FILTER (WHERE geom_3857 IS NOT NULL), array_agg(id)
      INTO more, more_ids FROM new_rows;
    boxes := boxes || coalesce(more, '{}');
    ids := ids || coalesce(more_ids, '{}');
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT array_agg(Box2D(geom_3857)) FILTER (WHERE geom_3857 IS NOT NULL), array_agg(id)
      INTO more, more_ids FROM old_rows;
    boxes := boxes || coalesce(more, '{}');
    ids := ids || coalesce(more_ids, '{}');
  END IF;
  -- TG_ARGV[0] is the table's own tile layer.
  DELETE FROM tiles_generalized WHERE layer = TG_ARGV[0] AND id = ANY(ids);
  IF EXISTS (SELECT 1 FROM tiles_cache) THEN
    PERFORM ga_tiles_purge_boxes(boxes, TG_ARGV || ARRAY['all']);
  END IF;
  RETURN NULL;
END $$;
"""

# 0001's ga_tiles_purge (a copy, so that this migration does not depend on another's wording).
BACKWARD = r"""
CREATE OR REPLACE FUNCTION ga_tiles_purge() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  boxes box2d[] := '{}';
  more box2d[];
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  IF NOT EXISTS (SELECT 1 FROM tiles_cache) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT array_agg(Box2D(geom_3857)) INTO more FROM new_rows WHERE geom_3857 IS NOT NULL;
    boxes := boxes || coalesce(more, '{}');
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT array_agg(Box2D(geom_3857)) INTO more FROM old_rows WHERE geom_3857 IS NOT NULL;
    boxes := boxes || coalesce(more, '{}');
  END IF;
  PERFORM ga_tiles_purge_boxes(boxes, TG_ARGV || ARRAY['all']);
  RETURN NULL;
END $$;
DROP TABLE IF EXISTS tiles_generalized;
"""


class Migration(migrations.Migration):
    dependencies = [("tiles", "0001_tile_cache")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

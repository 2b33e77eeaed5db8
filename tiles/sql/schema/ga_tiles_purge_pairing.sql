-- A pairing changes its sent-down unit's `pairings` count in the units layer: bump tiles_epoch
-- and purge the cached tiles of the paired units ('units' and the composite 'all').
CREATE OR REPLACE FUNCTION ga_tiles_purge_pairing() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  unit_ids bigint[] := '{}';
  more bigint[];
  boxes box2d[];
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT array_agg(unit_id) INTO more FROM new_rows;
    unit_ids := unit_ids || coalesce(more, '{}');
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT array_agg(unit_id) INTO more FROM old_rows;
    unit_ids := unit_ids || coalesce(more, '{}');
  END IF;
  SELECT array_agg(Box2D(geom_3857)) INTO boxes
    FROM layers_sentdownunit WHERE id = ANY(unit_ids) AND geom_3857 IS NOT NULL;
  IF boxes IS NOT NULL AND EXISTS (SELECT 1 FROM tiles_cache) THEN
    PERFORM ga_tiles_purge_boxes(boxes, ARRAY['units', 'all']);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_pairing
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_tiles_purge_pairing();
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_pairing
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ga_tiles_purge_pairing();
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_pairing
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_tiles_purge_pairing();

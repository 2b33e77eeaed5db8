-- After any statement that changes a tiled table: bump tiles_epoch (a tile rendered from an
-- older snapshot is then not stored), drop the changed features' generalised rows (their tiles
-- fall back to the exact geometry until `manage.py generalize_tiles` runs again) and delete the
-- cached tiles, at every zoom, whose envelope plus buffer meets the old or new bounding box of a
-- changed row: of the tile layers that show the table (the trigger's arguments, its own layer
-- first) and of the composite 'all'. Nothing else is touched.
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

-- Each tiled table → the tile layers it feeds (layers/catalogue.py TILE_TABLES; the tests check
-- that they agree).

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_street
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('streets', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_street
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('streets', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_street
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('streets', 'labels');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_community
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('communities', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_community
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('communities', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_community
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('communities', 'labels');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_grid
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('grids', 'communities', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_grid
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('grids', 'communities', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_grid
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('grids', 'communities', 'labels');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_microgrid
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('microgrids');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_microgrid
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('microgrids');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_microgrid
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('microgrids');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_xiaoqu
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('compounds', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_xiaoqu
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('compounds', 'labels');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_xiaoqu
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('compounds', 'labels');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_building
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('buildings');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_building
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('buildings');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_building
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('buildings');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_servicestation
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('stations');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_servicestation
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('stations');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_servicestation
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('stations');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_sentdownunit
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('units');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_sentdownunit
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('units');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_sentdownunit
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('units');

CREATE OR REPLACE TRIGGER ga_tiles_purge_ins AFTER INSERT ON layers_road
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('roads');
CREATE OR REPLACE TRIGGER ga_tiles_purge_upd AFTER UPDATE ON layers_road
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('roads');
CREATE OR REPLACE TRIGGER ga_tiles_purge_del AFTER DELETE ON layers_road
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_tiles_purge('roads');

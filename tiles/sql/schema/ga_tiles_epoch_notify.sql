-- Every purge tells the tile servers at once: a change of tiles_epoch is sent as
-- NOTIFY gridatlas_tiles with the new epoch, at commit; workers drop their in-memory tiles on
-- it (tiles/memory.py).
CREATE OR REPLACE FUNCTION ga_tiles_epoch_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gridatlas_tiles', NEW.epoch::text);
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER tiles_epoch_notify AFTER UPDATE ON tiles_epoch
  FOR EACH ROW EXECUTE FUNCTION ga_tiles_epoch_notify();

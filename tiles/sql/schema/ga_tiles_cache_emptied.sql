-- Emptying the tile cache (TRUNCATE fires no row triggers) bumps tiles_epoch too, so that
-- ga_tiles_epoch_notify tells the tile servers.
CREATE OR REPLACE FUNCTION ga_tiles_cache_emptied() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER tiles_cache_truncate AFTER TRUNCATE ON tiles_cache
  FOR EACH STATEMENT EXECUTE FUNCTION ga_tiles_cache_emptied();

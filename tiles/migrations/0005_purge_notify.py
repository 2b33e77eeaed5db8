"""Every purge tells the tile servers at once: a change of tiles_epoch (each purge bumps it) is
sent as NOTIFY gridatlas_tiles with the new epoch, at commit. Workers keep hot tiles in memory
(tiles/memory.py) and drop them on that signal. Emptying the cache (TRUNCATE, which fires no row
triggers) bumps the epoch too."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION ga_tiles_epoch_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gridatlas_tiles', NEW.epoch::text);
  RETURN NULL;
END $$;
CREATE TRIGGER tiles_epoch_notify AFTER UPDATE ON tiles_epoch
  FOR EACH ROW EXECUTE FUNCTION ga_tiles_epoch_notify();

CREATE OR REPLACE FUNCTION ga_tiles_cache_emptied() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tiles_epoch SET epoch = epoch + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER tiles_cache_truncate AFTER TRUNCATE ON tiles_cache
  FOR EACH STATEMENT EXECUTE FUNCTION ga_tiles_cache_emptied();
"""

REVERSE = """
DROP TRIGGER IF EXISTS tiles_cache_truncate ON tiles_cache;
DROP TRIGGER IF EXISTS tiles_epoch_notify ON tiles_epoch;
DROP FUNCTION IF EXISTS ga_tiles_cache_emptied();
DROP FUNCTION IF EXISTS ga_tiles_epoch_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("tiles", "0004_cache_uncompressed")]

    operations = [migrations.RunSQL(SQL, REVERSE)]

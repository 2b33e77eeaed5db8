"""Cached tiles are stored uncompressed: MVT is already compact (pglz saves ~40 % on the city's
tiles) and compressing on every store and decompressing on every hit costs more per request
than the disk it saves (bench/tiles.py: a cache write 2.1 → 1.2 ms). Existing rows keep their
compression until rewritten; the cache refills as tiles are purged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiles", "0003_pairing_purge")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE tiles_cache ALTER COLUMN data SET STORAGE EXTERNAL",
            "ALTER TABLE tiles_cache ALTER COLUMN data SET STORAGE EXTENDED",
        )
    ]

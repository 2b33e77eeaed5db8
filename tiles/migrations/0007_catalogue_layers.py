"""The layer catalogue (layers/catalogue.py): the compounds tile layer is now `compounds` (was
`xiaoqu`) and the roads are a tile layer. Reload the purge triggers (their arguments name the
layers; layers_road gets its three) and empty the tile cache: its `xiaoqu` rows are never asked
for again, and its composite tiles hold neither `compounds` nor `roads`."""

from pathlib import Path

from django.db import migrations

from geo.sql import sql_file_operation

SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "schema"


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0006_cache_unlogged"),
        ("layers", "0012_schema_sql_files"),
    ]

    operations = [
        sql_file_operation(SCHEMA / "ga_tiles_purge.sql"),
        migrations.RunSQL(
            "UPDATE tiles_epoch SET epoch = epoch + 1; TRUNCATE tiles_cache;",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]

"""The tile cache is disposable: UNLOGGED (no WAL for the ~50 KB each stored tile would write;
emptied after a crash, which the epoch-less restart tolerates — workers' LISTEN connections
drop with the server, so their memories are emptied too). Its rows are rebuilt on demand."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiles", "0005_purge_notify")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE tiles_cache SET UNLOGGED", "ALTER TABLE tiles_cache SET LOGGED"
        )
    ]

"""The database's functions and triggers, loaded from their files (layers/sql/schema/ and
tiles/sql/schema/, one file per function with its triggers): from here on each file is the
function's current definition, which the migrations before this one only hold as history.

The files hold what 0011 and tiles' 0006 left in the database, so nothing changes but where the
definitions are read from; reversing leaves them in place. A later change to a file comes with a
migration that reloads that file (`geo.sql.sql_file_operation`). The list is explicit, not the
folder's contents: a file added later for a table a later migration creates is loaded there.
"""

from pathlib import Path

from django.db import migrations

from geo.sql import sql_file_operation

APPS = Path(__file__).resolve().parents[2]
LAYERS = APPS / "layers" / "sql" / "schema"
TILES = APPS / "tiles" / "sql" / "schema"

# In dependency order: a LANGUAGE sql body is checked against the functions it calls.
FILES = [
    LAYERS / "ga_refresh_parcels.sql",
    LAYERS / "ga_refresh_units.sql",
    LAYERS / "ga_building_set_parcel.sql",
    LAYERS / "ga_building_touch_parcels.sql",
    LAYERS / "ga_parcel_touch_units.sql",
    LAYERS / "ga_parcel_claim_buildings.sql",
    LAYERS / "ga_zero_derived_totals.sql",
    LAYERS / "ga_significant_parts.sql",
    LAYERS / "ga_layout_revision_immutable.sql",
    TILES / "ga_tile_range.sql",
    TILES / "ga_tiles_purge_boxes.sql",
    TILES / "ga_tiles_purge.sql",
    TILES / "ga_tiles_purge_pairing.sql",
    TILES / "ga_tiles_epoch_notify.sql",
    TILES / "ga_tiles_cache_emptied.sql",
]


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0011_scheduled_layouts"),
        ("tiles", "0006_cache_unlogged"),
    ]

    operations = [sql_file_operation(path) for path in FILES]

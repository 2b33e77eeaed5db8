"""Derived totals are derived on insert too, and a new parcel claims the buildings it covers.

- A grid, micro-grid or parcel is created with households = building_count = 0 whatever the
  caller typed (totals come from buildings only); the AFTER triggers then fill them in.
- A new parcel takes the buildings of its community that had no parcel and whose point on
  surface it covers (the same rule ga_building_set_parcel uses).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ga_zero_derived_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.households := 0;
  NEW.building_count := 0;
  RETURN NEW;
END $$;

CREATE TRIGGER ga_grid_zero BEFORE INSERT ON layers_grid
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();
CREATE TRIGGER ga_microgrid_zero BEFORE INSERT ON layers_microgrid
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();
CREATE TRIGGER ga_parcel_zero BEFORE INSERT ON layers_parcel
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();

CREATE OR REPLACE FUNCTION ga_parcel_claim_buildings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE layers_building b
     SET parcel_id = n.id
    FROM new_rows n
   WHERE b.parcel_id IS NULL
     AND b.community_id = n.community_id
     AND ST_Covers(n.geom, ST_PointOnSurface(b.geom));
  RETURN NULL;
END $$;

-- Runs before ga_parcel_ins (trigger names fire in alphabetical order): the building update
-- refreshes the parcel totals, then the units.
CREATE TRIGGER ga_parcel_claim AFTER INSERT ON layers_parcel
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_parcel_claim_buildings();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ga_parcel_claim ON layers_parcel;
DROP TRIGGER IF EXISTS ga_parcel_zero ON layers_parcel;
DROP TRIGGER IF EXISTS ga_microgrid_zero ON layers_microgrid;
DROP TRIGGER IF EXISTS ga_grid_zero ON layers_grid;
DROP FUNCTION IF EXISTS ga_parcel_claim_buildings(), ga_zero_derived_totals();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0003_significant_parts")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

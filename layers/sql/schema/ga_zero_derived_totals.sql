-- A grid, micro-grid or parcel is created with households = building_count = 0 whatever the
-- caller typed: totals come from buildings only, and the AFTER triggers fill them in.
CREATE OR REPLACE FUNCTION ga_zero_derived_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.households := 0;
  NEW.building_count := 0;
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER ga_grid_zero BEFORE INSERT ON layers_grid
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();
CREATE OR REPLACE TRIGGER ga_microgrid_zero BEFORE INSERT ON layers_microgrid
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();
CREATE OR REPLACE TRIGGER ga_parcel_zero BEFORE INSERT ON layers_parcel
  FOR EACH ROW EXECUTE FUNCTION ga_zero_derived_totals();

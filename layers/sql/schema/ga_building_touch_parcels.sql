-- After any statement that changes buildings: refresh the totals of the parcels they were in and
-- are in now (ga_refresh_parcels), once per statement.
CREATE OR REPLACE FUNCTION ga_building_touch_parcels() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT parcel_id) INTO ids FROM new_rows WHERE parcel_id IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT parcel_id) INTO ids FROM old_rows WHERE parcel_id IS NOT NULL;
  ELSE
    SELECT array_agg(DISTINCT x) INTO ids FROM (
      SELECT parcel_id AS x FROM new_rows UNION SELECT parcel_id FROM old_rows) u
     WHERE x IS NOT NULL;
  END IF;
  IF ids IS NOT NULL THEN PERFORM ga_refresh_parcels(ids); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ga_building_ins AFTER INSERT ON layers_building
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();
CREATE OR REPLACE TRIGGER ga_building_upd AFTER UPDATE ON layers_building
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();
CREATE OR REPLACE TRIGGER ga_building_del AFTER DELETE ON layers_building
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();

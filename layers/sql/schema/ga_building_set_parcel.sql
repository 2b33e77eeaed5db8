-- A building's parcel: the parcel of its community covering the footprint's point on surface
-- (a point on a shared edge is covered by both; the lower id wins, so the answer is the same
-- every time). Set on insert unless the caller gave one, and when the footprint or the
-- community changes.
CREATE OR REPLACE FUNCTION ga_building_set_parcel() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.parcel_id IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NOT (NEW.geom IS DISTINCT FROM OLD.geom
                               OR NEW.community_id IS DISTINCT FROM OLD.community_id) THEN
    RETURN NEW;
  END IF;
  SELECT p.id INTO NEW.parcel_id
    FROM layers_parcel p
   WHERE p.community_id = NEW.community_id
     AND ST_Covers(p.geom, ST_PointOnSurface(NEW.geom))
   ORDER BY p.id LIMIT 1;
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER ga_building_set_parcel BEFORE INSERT OR UPDATE ON layers_building
  FOR EACH ROW EXECUTE FUNCTION ga_building_set_parcel();

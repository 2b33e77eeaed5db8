-- A new parcel takes the buildings of its community that had no parcel and whose point on
-- surface it covers (the rule of ga_building_set_parcel).
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

-- Fires before ga_parcel_ins (a table's triggers fire in the order of their names): the building
-- update refreshes the parcel totals, then the units.
CREATE OR REPLACE TRIGGER ga_parcel_claim AFTER INSERT ON layers_parcel
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION ga_parcel_claim_buildings();

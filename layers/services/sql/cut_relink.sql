-- After a cut: the buildings of the split parcels go to the parcel covering their point on
-- surface, the rule of the ga_building_set_parcel trigger (which only runs when a building's
-- own geometry or community changes; lower id first on a shared edge). The statement trigger on
-- buildings then refreshes the parcels' totals, and the parcels' trigger the grids'.
-- Parameters: parcel_ids (bigint[], the split parcels).
-- Returns: nothing.
UPDATE layers_building b
   SET parcel_id = (SELECT p.id FROM layers_parcel p
                     WHERE p.community_id = b.community_id
                       AND ST_Covers(p.geom, ST_PointOnSurface(b.geom))
                     ORDER BY p.id LIMIT 1)
 WHERE b.parcel_id = ANY(%(parcel_ids)s);

-- After parcelising: every building of the community goes to the parcel covering its point on
-- surface, the rule of the ga_building_set_parcel trigger (lower id first on a shared edge);
-- the statement trigger then refreshes the parcels' totals and theirs the units'.
-- Parameters: community_id.
-- Returns: nothing.
UPDATE layers_building b
   SET parcel_id = (SELECT p.id FROM layers_parcel p
                     WHERE p.community_id = b.community_id
                       AND ST_Covers(p.geom, ST_PointOnSurface(b.geom))
                     ORDER BY p.id LIMIT 1)
 WHERE b.community_id = %(community_id)s;

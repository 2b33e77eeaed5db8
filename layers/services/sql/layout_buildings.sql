-- Each building of a community with the grid it is in now, for a revision's snapshot.
-- Parameters: community_id.
-- Returns one row: a jsonb object {building id: [grid code or null, households]}, or null when
-- the community has no building. A building's grid is its parcel's (the derivation triggers
-- give every building the parcel covering its point on surface).
SELECT jsonb_object_agg(b.id::text, jsonb_build_array(g.code, b.households))
  FROM layers_building b
  LEFT JOIN layers_parcel p ON p.id = b.parcel_id
  LEFT JOIN layers_grid g ON g.id = p.grid_id
 WHERE b.community_id = %(community_id)s;

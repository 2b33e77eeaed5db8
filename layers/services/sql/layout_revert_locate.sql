-- Where parcels that did not exist at a revision go when reverting to it: the grid and
-- micro-grid of that revision's snapshot covering each parcel's point on surface (a point on a
-- shared edge is covered by both: the lower code wins, the same answer every time).
-- Parameters: revision_id, parcel_ids (bigint[]).
-- Returns: parcel_id, grid_code (null when no snapshot grid covers it), microgrid_code.
SELECT p.id AS parcel_id,
       (SELECT s.code FROM layers_layoutrevisiongrid s
         WHERE s.revision_id = %(revision_id)s AND s.level = 'grid'
           AND ST_Covers(s.geom, ST_PointOnSurface(p.geom))
         ORDER BY s.code LIMIT 1) AS grid_code,
       (SELECT s.code FROM layers_layoutrevisiongrid s
         WHERE s.revision_id = %(revision_id)s AND s.level = 'microgrid'
           AND ST_Covers(s.geom, ST_PointOnSurface(p.geom))
         ORDER BY s.code LIMIT 1) AS microgrid_code
  FROM layers_parcel p
 WHERE p.id = ANY(%(parcel_ids)s::bigint[])
 ORDER BY p.id;

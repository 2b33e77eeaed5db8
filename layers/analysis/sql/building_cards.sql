-- What a list of buildings shows about each (the uncovered buildings of the station coverage).
-- Parameters: ids (bigint[]) the buildings' ids.
-- Returns one row per building found, in no particular order: id, code, name, community_code,
--   community_name, street_code, street_name, grid_code (NULL: in no grid), xiaoqu_code,
--   xiaoqu_name (NULL: in no compound). No geometry, no SRID.
SELECT b.id,
       b.code,
       b.name,
       c.code AS community_code,
       c.name AS community_name,
       s.code AS street_code,
       s.name AS street_name,
       g.code AS grid_code,
       x.code AS xiaoqu_code,
       x.name AS xiaoqu_name
  FROM layers_building b
  JOIN layers_community c ON c.id = b.community_id
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN layers_parcel p ON p.id = b.parcel_id
  LEFT JOIN layers_grid g ON g.id = p.grid_id
  LEFT JOIN layers_xiaoqu x ON x.id = b.xiaoqu_id
 WHERE b.id = ANY(%(ids)s::bigint[]);

-- Unit pairing (layers/analysis/pairing.py): each community of an area with its households and
-- the sent-down units paired with it (结对共建) and the members they registered there (双报到).
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to the communities in that
--   district or street.
-- Returns one row per community, ordered by code: code, name, street_code, street_name,
--   households (summed over its buildings, where households are typed), units (paired units),
--   registered_members. Counts only: no geometry, no SRID.
WITH hh AS (
    SELECT community_id, sum(households) AS households
      FROM layers_building
     GROUP BY community_id
), paired AS (
    SELECT community_id, count(DISTINCT unit_id) AS units,
           sum(registered_members) AS registered_members
      FROM layers_pairing
     GROUP BY community_id
)
SELECT c.code,
       c.name,
       s.code AS street_code,
       s.name AS street_name,
       coalesce(hh.households, 0)::bigint AS households,
       coalesce(paired.units, 0)::bigint AS units,
       coalesce(paired.registered_members, 0)::bigint AS registered_members
  FROM layers_community c
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN hh ON hh.community_id = c.id
  LEFT JOIN paired ON paired.community_id = c.id
 WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
 ORDER BY c.code;

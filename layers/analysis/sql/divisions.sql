-- The divisions of one level that coverage rows are reported for (layers/analysis/coverage.py).
-- Parameters:
--   level        text: district, street, community or grid;
--   district_id, street_id  bigint (NULL: no filter): only the divisions in that district or
--                street (for level district: the district the street lies in);
--   ids          bigint[]: divisions of the level to list whatever the filter (those the
--                filtered buildings lie in, so that the rows always add up to the total).
-- Returns id, code, name, ordered by code. Counts only: no geometry, no SRID.
WITH area AS (
    SELECT coalesce(%(district_id)s::bigint,
                    (SELECT district_id FROM layers_street WHERE id = %(street_id)s::bigint))
               AS district_id,
           %(street_id)s::bigint AS street_id
), unit AS (
    SELECT d.id, d.code, d.name, d.id AS district_id, NULL::bigint AS street_id
      FROM layers_district d
     WHERE %(level)s = 'district'
    UNION ALL
    SELECT s.id, s.code, s.name, s.district_id, s.id
      FROM layers_street s
     WHERE %(level)s = 'street'
    UNION ALL
    SELECT c.id, c.code, c.name, s.district_id, c.street_id
      FROM layers_community c
      JOIN layers_street s ON s.id = c.street_id
     WHERE %(level)s = 'community'
    UNION ALL
    SELECT g.id, g.code, g.name, s.district_id, c.street_id
      FROM layers_grid g
      JOIN layers_community c ON c.id = g.community_id
      JOIN layers_street s ON s.id = c.street_id
     WHERE %(level)s = 'grid'
)
SELECT u.id, u.code, u.name
  FROM unit u, area a
 WHERE ((a.district_id IS NULL OR u.district_id = a.district_id)
        -- a district row has no street: the district filter above already picked it
        AND (a.street_id IS NULL OR u.street_id IS NULL OR u.street_id = a.street_id))
    OR u.id = ANY(%(ids)s::bigint[])
 ORDER BY u.code;

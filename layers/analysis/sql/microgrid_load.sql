-- Micro-grid load (layers/analysis/load.py): each micro-grid of an area with its derived
-- households and the grid workers attached to it (role grid_worker).
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to the micro-grids whose
--   grid's community lies in that district or street.
-- Returns one row per micro-grid, ordered by code: code, name, grid_code, community_code,
--   community_name, households (derived), buildings, grid_workers. No geometry, no SRID.
WITH worker AS (
    SELECT micro_grid_id, count(*) AS grid_workers
      FROM layers_worker
     WHERE role = 'grid_worker' AND micro_grid_id IS NOT NULL
     GROUP BY micro_grid_id
)
SELECT m.code,
       m.name,
       g.code AS grid_code,
       c.code AS community_code,
       c.name AS community_name,
       m.households,
       m.building_count AS buildings,
       coalesce(worker.grid_workers, 0) AS grid_workers
  FROM layers_microgrid m
  JOIN layers_grid g ON g.id = m.grid_id
  JOIN layers_community c ON c.id = g.community_id
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN worker ON worker.micro_grid_id = m.id
 WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
 ORDER BY m.code;

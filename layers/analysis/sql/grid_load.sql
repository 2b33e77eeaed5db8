-- Grid load (layers/analysis/load.py): each grid of an area with its derived households, its
-- micro-grids and its grid workers (网格员: role grid_worker, attached to the grid itself or to one
-- of its micro-grids; heads, building heads and volunteers are not counted).
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to the grids whose community
--   lies in that district or street.
-- Returns one row per grid, ordered by code: code, name, community_code, community_name,
--   street_code, street_name, households (derived from the buildings, as boundary rule 5 reads
--   it), buildings, microgrids, grid_workers. Counts only: no geometry, no SRID.
WITH worker AS (
    SELECT coalesce(w.grid_id, m.grid_id) AS grid_id, count(*) AS grid_workers
      FROM layers_worker w
      LEFT JOIN layers_microgrid m ON m.id = w.micro_grid_id
     WHERE w.role = 'grid_worker'
     GROUP BY 1
), micro AS (
    SELECT grid_id, count(*) AS microgrids
      FROM layers_microgrid
     GROUP BY grid_id
)
SELECT g.code,
       g.name,
       c.code AS community_code,
       c.name AS community_name,
       s.code AS street_code,
       s.name AS street_name,
       g.households,
       g.building_count AS buildings,
       coalesce(micro.microgrids, 0) AS microgrids,
       coalesce(worker.grid_workers, 0) AS grid_workers
  FROM layers_grid g
  JOIN layers_community c ON c.id = g.community_id
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN micro ON micro.grid_id = g.id
  LEFT JOIN worker ON worker.grid_id = g.id
 WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
 ORDER BY g.code;

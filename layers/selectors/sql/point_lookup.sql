-- The grid card of one point: grid, micro-grid, building, compound, community and street, the
-- nearest grid when the point is in none, and the nearest service stations with distances.
-- Parameters: lon, lat (EPSG:4326 degrees, already converted from GCJ-02/BD-09), stations (how
-- many stations to return), station_candidates (how many to pre-select by planar distance before
-- ranking by true distance), station_max_m (metres: farther stations are not listed at all).
-- A point on an edge shared by two grids is covered by both: the lower code wins, always the same.
-- Distances are metres on the spheroid (geography); KNN (<->) in degrees only pre-selects, since
-- a degree of longitude is shorter than a degree of latitude at Wuhan's latitude. KNN compares
-- with a scalar subquery, not the CTE's column: only a constant lets the GiST index order rows
-- (else every station is read and sorted: 1.1 ms a lookup; every grid for an outside point: 17 ms).
-- Returns one row: a json object (keys below); a missing part is null.
WITH p AS (
  SELECT geom,
         -- A box in degrees holding every point within station_max_m: a degree of latitude is
         -- at least 110,574 m, one of longitude at least 111,319 m × cos(latitude) at the box's
         -- poleward edge; one per cent more covers the geodesic's curve.
         ST_Expand(geom,
                   1.01 * %(station_max_m)s
                     / (111319.0 * cos(radians(least(abs(%(lat)s) + d_lat, 89.0)))),
                   d_lat) AS station_box
    FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom,
                 1.01 * %(station_max_m)s / 110574.0 AS d_lat) point
), grid AS (
  SELECT g.id, g.code, g.name, g.households, g.building_count, g.community_id
    FROM layers_grid g, p
   WHERE ST_Covers(g.geom, p.geom)
   ORDER BY g.code
   LIMIT 1
), nearest_grid AS (
  -- Only when the point is in no grid: which one is closest, and how far.
  SELECT g.id, g.code, g.name,
         ST_Distance(g.geom::geography, p.geom::geography) AS distance_m
    FROM layers_grid g, p
   WHERE NOT EXISTS (SELECT 1 FROM grid) AND g.geom IS NOT NULL
   ORDER BY g.geom <-> (SELECT geom FROM p)
   LIMIT 1
), micro AS (
  SELECT m.id, m.code, m.name, m.households
    FROM layers_microgrid m, p, grid
   WHERE m.grid_id = grid.id AND ST_Covers(m.geom, p.geom)
   ORDER BY m.code
   LIMIT 1
), building AS (
  SELECT b.id, b.code, b.name, b.households, b.floors, b.units, b.xiaoqu_id
    FROM layers_building b, p
   WHERE ST_Covers(b.geom, p.geom)
   ORDER BY b.code
   LIMIT 1
), xiaoqu AS (
  -- The building's compound; else the compound whose boundary covers the point.
  SELECT x.id, x.code, x.name, x.kind
    FROM layers_xiaoqu x, p
   WHERE x.id = (SELECT xiaoqu_id FROM building)
      OR (NOT EXISTS (SELECT 1 FROM building WHERE xiaoqu_id IS NOT NULL)
          AND ST_Covers(x.geom, p.geom))
   ORDER BY x.code
   LIMIT 1
), community AS (
  SELECT c.id, c.code, c.name, c.street_id
    FROM layers_community c, p
   WHERE c.id = (SELECT community_id FROM grid)
      OR (NOT EXISTS (SELECT 1 FROM grid) AND ST_Covers(c.geom, p.geom))
   ORDER BY c.code
   LIMIT 1
), street AS (
  SELECT s.id, s.code, s.name
    FROM layers_street s, p
   WHERE s.id = (SELECT street_id FROM community)
      OR (NOT EXISTS (SELECT 1 FROM community) AND ST_Covers(s.geom, p.geom))
   ORDER BY s.code
   LIMIT 1
), station_candidates AS (
  -- The cap is in the index scan (the box), not a filter after it: a point far from every
  -- station (another city's district) reads none of them instead of ranking the nearest.
  SELECT s.id, s.name, s.level, s.address, s.opening_hours, s.geom
    FROM layers_servicestation s, p
   WHERE s.geom && (SELECT station_box FROM p)
   ORDER BY s.geom <-> (SELECT geom FROM p)
   LIMIT %(station_candidates)s
), stations AS (
  SELECT c.id, c.name, c.level, c.address, c.opening_hours,
         ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
         round(ST_Distance(c.geom::geography, p.geom::geography)::numeric, 1) AS distance_m
    FROM station_candidates c, p
   WHERE ST_DWithin(c.geom::geography, p.geom::geography, %(station_max_m)s)
   ORDER BY distance_m, c.id
   LIMIT %(stations)s
), workers AS (
  -- Who answers for this place: grid workers and the grid head of the grid, the micro-grid's
  -- worker, the building head of the building (or of the micro-grid).
  SELECT w.role, w.name, w.phone,
         CASE WHEN w.grid_id IS NOT NULL THEN 'grid'
              WHEN w.micro_grid_id IS NOT NULL THEN 'micro_grid' ELSE 'building' END AS attached_to
    FROM layers_worker w
   WHERE (w.grid_id = (SELECT id FROM grid) AND w.role IN ('grid_worker', 'grid_head'))
      OR (w.micro_grid_id = (SELECT id FROM micro) AND w.role IN ('grid_worker', 'building_head'))
      OR (w.building_id = (SELECT id FROM building) AND w.role = 'building_head')
)
SELECT json_build_object(
  'grid', (SELECT row_to_json(grid) FROM grid),
  'nearest_grid', (SELECT row_to_json(nearest_grid) FROM nearest_grid),
  'microgrid', (SELECT row_to_json(micro) FROM micro),
  'building', (SELECT row_to_json(building) FROM building),
  'xiaoqu', (SELECT row_to_json(xiaoqu) FROM xiaoqu),
  'community', (SELECT row_to_json(community) FROM community),
  'street', (SELECT row_to_json(street) FROM street),
  'stations', coalesce((SELECT json_agg(stations ORDER BY distance_m, id) FROM stations), '[]'),
  'workers', coalesce((SELECT json_agg(workers ORDER BY role, name) FROM workers), '[]')
)

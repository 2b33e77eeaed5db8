-- Rule 4, no split building: buildings whose footprint lies in more than one unit (grid or
-- micro-grid), each share larger than min_area_m2.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {unit}, the grid or micro-grid table.
-- Parameters: min_area_m2 (m²).
-- Returns: rule, codes (building, then the units it lies in), area_m2 (footprint, m²), geom
-- (footprint, EPSG:4326).
-- Fast path: a building inside its own parcel, with no freehand unit near it, lies in one unit
-- at most (units derived from parcels are unions of whole parcels, and parcels do not overlap),
-- so only the other buildings are overlaid with the units.
WITH scoped AS MATERIALIZED (
  -- Materialised so that the code prefix index finds the few buildings of a scope, and the
  -- parcel of each is fetched by key (inlined, the planner hashes every parcel of the city).
  SELECT b.id, b.code, b.geom, b.parcel_id FROM layers_building b
   WHERE b.code LIKE %(scope_like)s
), candidates AS MATERIALIZED (
  SELECT s.id, s.code, s.geom
    FROM scoped s
   WHERE NOT EXISTS (SELECT 1 FROM layers_parcel pa
                      WHERE pa.id = s.parcel_id AND ST_CoveredBy(s.geom, pa.geom))
      OR EXISTS (SELECT 1 FROM {unit} f WHERE f.geom && s.geom AND f.geom_source <> 'parcels')
), pieces AS (
  SELECT b.id, b.code, b.geom, u.code AS unit_code,
         ST_Area(ST_Intersection(b.geom, u.geom)::geography) AS a
    FROM candidates b
    JOIN {unit} u ON u.geom && b.geom AND ST_Relate(u.geom, b.geom, '2********')
)
SELECT 'split_building' AS rule, (ARRAY[code] || array_agg(unit_code ORDER BY unit_code))::text[]
       AS codes, ST_Area(geom::geography) AS area_m2, geom
  FROM pieces
 WHERE a > %(min_area_m2)s
 GROUP BY id, code, geom
HAVING count(*) > 1
 ORDER BY code;

-- Rule 1, inside its parent: children reaching outside their parent by more than the tolerance.
-- Slots: {child}, {parent} tables and {fk}, the child's column naming its parent.
-- Parameters: metric_srid (projected CRS in metres), tolerance_m (m), min_area_m2 (m²).
-- Returns: rule, codes (child, parent), area_m2 (m²), geom (the part outside, EPSG:4326).
-- Trap: a grid derived from parcels matches its community only to ~1e-9 m (different noding of
-- the shared edge), so ST_CoveredBy is a fast pre-filter and the metric area decides.
WITH parent AS (
  SELECT p.id, p.code, ST_Buffer(ST_Transform(p.geom, %(metric_srid)s), %(tolerance_m)s) AS zone
    FROM {parent} p
), outside AS (
  SELECT c.code AS child_code, parent.code AS parent_code,
         ST_CollectionExtract(ST_Difference(ST_Transform(c.geom, %(metric_srid)s), parent.zone), 3) AS d
    FROM {child} c
    JOIN {parent} p ON p.id = c.{fk}
    JOIN parent ON parent.id = p.id
   WHERE c.geom IS NOT NULL AND NOT ST_CoveredBy(c.geom, p.geom)
)
SELECT 'outside_parent' AS rule, ARRAY[child_code, parent_code]::text[] AS codes,
       ST_Area(d) AS area_m2, ST_Transform(d, 4326) AS geom
  FROM outside
 WHERE ST_Area(d) > %(min_area_m2)s
 ORDER BY child_code;

-- Rule 1, inside its parent: children reaching outside their parent beyond the tolerance.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {child}, {parent} tables and {fk}, the child's column naming its parent.
-- Parameters: metric_srid (projected CRS in metres), tolerance_m (m), min_area_m2 (m²).
-- Returns: rule, codes (child, parent), area_m2 (m², on the spheroid), geom (the part outside,
-- EPSG:4326).
-- Trap: a grid derived from parcels matches its community only to ~1e-9 m (its edge is noded
-- differently), so ST_CoveredBy is only a fast pre-filter; ga_significant_parts decides.
WITH outside AS (
  SELECT c.code AS child_code, p.code AS parent_code,
         ga_significant_parts(ST_Difference(c.geom, p.geom), %(metric_srid)s,
                              %(tolerance_m)s, %(min_area_m2)s) AS d
    FROM {child} c
    JOIN {parent} p ON p.id = c.{fk}
   WHERE c.code LIKE %(scope_like)s AND c.geom IS NOT NULL AND NOT ST_CoveredBy(c.geom, p.geom)
)
SELECT 'outside_parent' AS rule, ARRAY[child_code, parent_code]::text[] AS codes,
       ST_Area(d::geography) AS area_m2, d AS geom
  FROM outside
 WHERE d IS NOT NULL
 ORDER BY child_code;

-- Rule 3, no gap: the parts of a parent that none of its children cover, one row per part.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {child}, {parent} tables, {fk} the child's parent column.
-- Parameters: metric_srid, tolerance_m (m), min_area_m2 (m²): thinner or smaller parts are
-- noding noise along shared edges.
-- Returns: rule, codes (the parent), area_m2 (m²), geom (the uncovered part, EPSG:4326).
WITH cover AS (
  SELECT p.code, p.geom AS pg,
         (SELECT ST_Union(c.geom) FROM {child} c
           WHERE c.{fk} = p.id AND c.geom IS NOT NULL) AS cg
    FROM {parent} p
   WHERE p.code LIKE %(scope_like)s
), holes AS (
  SELECT code, ga_significant_parts(CASE WHEN cg IS NULL THEN pg ELSE ST_Difference(pg, cg) END,
                                    %(metric_srid)s, %(tolerance_m)s, %(min_area_m2)s) AS g
    FROM cover
   WHERE cg IS NULL OR NOT ST_CoveredBy(pg, cg)
), parts AS (
  SELECT code, (ST_Dump(g)).geom AS g FROM holes WHERE g IS NOT NULL
)
SELECT 'gap' AS rule, ARRAY[code]::text[] AS codes, ST_Area(g::geography) AS area_m2,
       g AS geom
  FROM parts
 ORDER BY code, ST_Area(g::geography) DESC;

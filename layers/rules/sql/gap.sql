-- Rule 3, no gap: the parts of a parent that none of its children cover, one row per part.
-- Slots: {child}, {parent} tables, {fk} the child's parent column.
-- Parameters: metric_srid, min_area_m2 (m²): smaller parts are noding noise along shared edges.
-- Returns: rule, codes (the parent), area_m2, geom (the uncovered part, EPSG:4326).
WITH cover AS (
  SELECT p.id, p.code, ST_Transform(p.geom, %(metric_srid)s) AS pg,
         (SELECT ST_Transform(ST_Union(c.geom), %(metric_srid)s)
            FROM {child} c WHERE c.{fk} = p.id AND c.geom IS NOT NULL) AS cg
    FROM {parent} p
), holes AS (
  SELECT code, (ST_Dump(ST_CollectionExtract(
           CASE WHEN cg IS NULL THEN pg ELSE ST_Difference(pg, cg) END, 3))).geom AS g
    FROM cover
   WHERE cg IS NULL OR NOT ST_CoveredBy(pg, ST_Buffer(cg, 0.001))
)
SELECT 'gap' AS rule, ARRAY[code]::text[] AS codes, ST_Area(g) AS area_m2,
       ST_Transform(g, 4326) AS geom
  FROM holes
 WHERE ST_Area(g) > %(min_area_m2)s
 ORDER BY code, ST_Area(g) DESC;

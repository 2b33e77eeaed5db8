-- Rule 3, no gap, for grids (parent: community) and micro-grids (parent: grid): the parts of a
-- parent that none of its children cover, one row per part — as gap.sql, with a fast path.
-- Fast path: when every child of a parent is derived from parcels and the parent's parcels tile
-- it (their areas add up to the parent's, as they do for parcels cut from it), the children
-- cover exactly the parent's parcels that have a child, so the gap is the union of the parcels
-- that have none: no overlay of the whole parent. Other parents (a freehand child, parcels that
-- do not tile) take the general overlay of gap.sql.
-- scope_like: a LIKE pattern of the parent codes checked (a street or community code and a
-- wildcard, or a lone wildcard for the whole city).
-- Slots: {child}, {parent} tables, {fk} the child's parent column; {pchild}, {pparent} the
-- parcel columns naming the child and the parent (grid_id, community_id or micro_grid_id,
-- grid_id).
-- Parameters: metric_srid, tolerance_m (m), min_area_m2 (m²): thinner or smaller parts are
-- noding noise along shared edges.
-- Returns: rule, codes (the parent), area_m2 (m²), geom (the uncovered part, EPSG:4326).
WITH scoped AS (
  SELECT p.id, p.code, p.geom AS pg,
         NOT EXISTS (SELECT 1 FROM {child} c WHERE c.{fk} = p.id AND c.geom_source <> 'parcels')
         AND abs((SELECT coalesce(sum(ST_Area(pa.geom)), 0) FROM layers_parcel pa
                   WHERE pa.{pparent} = p.id) - ST_Area(p.geom))
             <= 1e-9 * ST_Area(p.geom) AS tiled
    FROM {parent} p
   WHERE p.code LIKE %(scope_like)s AND p.geom IS NOT NULL
), fast AS (
  SELECT s.code, ga_significant_parts(ST_Union(pa.geom), %(metric_srid)s, %(tolerance_m)s,
                                      %(min_area_m2)s) AS g
    FROM scoped s
    JOIN layers_parcel pa ON pa.{pparent} = s.id AND pa.{pchild} IS NULL
   WHERE s.tiled
   GROUP BY s.code
), cover AS (
  SELECT s.code, s.pg,
         (SELECT ST_Union(c.geom) FROM {child} c
           WHERE c.{fk} = s.id AND c.geom IS NOT NULL) AS cg
    FROM scoped s
   WHERE NOT s.tiled
), slow AS (
  SELECT code, ga_significant_parts(CASE WHEN cg IS NULL THEN pg ELSE ST_Difference(pg, cg) END,
                                    %(metric_srid)s, %(tolerance_m)s, %(min_area_m2)s) AS g
    FROM cover
   WHERE cg IS NULL OR NOT ST_CoveredBy(pg, cg)
), parts AS (
  SELECT code, (ST_Dump(g)).geom AS g FROM fast WHERE g IS NOT NULL
  UNION ALL
  SELECT code, (ST_Dump(g)).geom AS g FROM slow WHERE g IS NOT NULL
)
SELECT 'gap' AS rule, ARRAY[code]::text[] AS codes, ST_Area(g::geography) AS area_m2,
       g AS geom
  FROM parts
 ORDER BY code, ST_Area(g::geography) DESC;

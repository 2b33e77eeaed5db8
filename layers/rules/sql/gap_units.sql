-- Rule 3, no gap, for grids (parent: community) and micro-grids (parent: grid): the parts of a
-- parent that none of its children cover, one row per part — as gap.sql, with a fast path — where
-- the level is in use (docs/design.md, "Levels in use"):
-- - a parent with a child keeps the whole rule; so does a community with parcels when
--   parcels_divide (parcels are cut only to be grouped into grids: a community whose parcels are
--   all unassigned is laid out, and bare);
-- - with use_len, a parent whose area uses the level keeps the whole rule too: a grid with no
--   micro-grid in a community that has some (use_len 12) is a gap of its whole area;
-- - otherwise, with notice_len, a parent whose area uses the level is one notice, 'not_divided'
--   (a community with no grid in a district that has grids: notice_len 6); and else nothing (a
--   community without micro-grids does not use them).
-- The area is the parent code's first use_len or notice_len digits; NULL: no such area.
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
-- noding noise along shared edges; use_len, notice_len (digits, or NULL), parcels_divide (bool).
-- Returns: rule, kind ('gap', or the notice 'not_divided'), codes (the parent), area_m2 (m²;
-- NULL for a notice), geom (the uncovered part, or the undivided parent; EPSG:4326).
-- Trap: the area's children are found by a range of codes in byte order (~>=~ and ~<~, which the
-- varchar_pattern_ops index on code answers; LIKE with a computed pattern cannot use it). Codes
-- are digits only, so ':', the byte after '9', closes the range.
WITH scoped AS (
  SELECT p.id, p.code, p.geom AS pg,
         EXISTS (SELECT 1 FROM {child} c WHERE c.{fk} = p.id)
         OR (%(parcels_divide)s
             AND EXISTS (SELECT 1 FROM layers_parcel pa WHERE pa.{pparent} = p.id)) AS divided
    FROM {parent} p
   WHERE p.code LIKE %(scope_like)s AND p.geom IS NOT NULL
), used AS (
  SELECT s.id, s.code, s.pg,
         s.divided OR (%(use_len)s::int IS NOT NULL
                       AND EXISTS (SELECT 1 FROM {child} c
                                    WHERE c.code ~>=~ left(s.code, %(use_len)s::int)
                                      AND c.code ~<~ (left(s.code, %(use_len)s::int) || ':')))
           AS ruled
    FROM scoped s
), ruled AS (
  SELECT u.id, u.code, u.pg,
         NOT EXISTS (SELECT 1 FROM {child} c WHERE c.{fk} = u.id AND c.geom_source <> 'parcels')
         AND abs((SELECT coalesce(sum(ST_Area(pa.geom)), 0) FROM layers_parcel pa
                   WHERE pa.{pparent} = u.id) - ST_Area(u.pg))
             <= 1e-9 * ST_Area(u.pg) AS tiled
    FROM used u
   WHERE u.ruled
), fast AS (
  SELECT r.code, ga_significant_parts(ST_Union(pa.geom), %(metric_srid)s, %(tolerance_m)s,
                                      %(min_area_m2)s) AS g
    FROM ruled r
    JOIN layers_parcel pa ON pa.{pparent} = r.id AND pa.{pchild} IS NULL
   WHERE r.tiled
   GROUP BY r.code
), cover AS (
  SELECT r.code, r.pg,
         (SELECT ST_Union(c.geom) FROM {child} c
           WHERE c.{fk} = r.id AND c.geom IS NOT NULL) AS cg
    FROM ruled r
   WHERE NOT r.tiled
), slow AS (
  SELECT code, ga_significant_parts(CASE WHEN cg IS NULL THEN pg ELSE ST_Difference(pg, cg) END,
                                    %(metric_srid)s, %(tolerance_m)s, %(min_area_m2)s) AS g
    FROM cover
   WHERE cg IS NULL OR NOT ST_CoveredBy(pg, cg)
), parts AS (
  SELECT code, (ST_Dump(g)).geom AS g FROM fast WHERE g IS NOT NULL
  UNION ALL
  SELECT code, (ST_Dump(g)).geom AS g FROM slow WHERE g IS NOT NULL
), undivided AS (
  SELECT u.code, u.pg
    FROM used u
   WHERE NOT u.ruled AND %(notice_len)s::int IS NOT NULL
     AND EXISTS (SELECT 1 FROM {child} c
                  WHERE c.code ~>=~ left(u.code, %(notice_len)s::int)
                    AND c.code ~<~ (left(u.code, %(notice_len)s::int) || ':'))
)
SELECT 'gap' AS rule, 'gap' AS kind, ARRAY[code]::text[] AS codes,
       ST_Area(g::geography) AS area_m2, g AS geom
  FROM parts
 UNION ALL
SELECT 'gap', 'not_divided', ARRAY[code]::text[], NULL::float, pg
  FROM undivided
 ORDER BY codes, area_m2 DESC NULLS LAST;

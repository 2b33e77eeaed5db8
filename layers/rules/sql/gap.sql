-- Rule 3, no gap, for streets (parent: district) and communities (parent: street): the parts of
-- a parent that none of its children cover, one row per part, where the level is in use
-- (docs/design.md, "Levels in use"). A parent with a child keeps the whole rule. A parent with
-- none is not a gap of its whole area: it is one notice, 'not_divided', when the level is in use
-- elsewhere in its area (any child whose code starts with the parent code's first notice_len
-- digits: 0 the whole city, 6 its district), and nothing when the level is not loaded there.
-- scope_like: a LIKE pattern of the parent codes checked (a street or community code and a
-- wildcard, or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {child}, {parent} tables, {fk} the child's parent column.
-- Parameters: metric_srid, tolerance_m (m), min_area_m2 (m²): thinner or smaller parts are
-- noding noise along shared edges; notice_len (digits of the code prefix naming the area).
-- Returns: rule, kind ('gap', or the notice 'not_divided'), codes (the parent), area_m2 (m²;
-- NULL for a notice), geom (the uncovered part, or the undivided parent; EPSG:4326).
-- Trap: the area's children are found by a range of codes in byte order (~>=~ and ~<~, which the
-- varchar_pattern_ops index on code answers; LIKE with a computed pattern cannot use it). Codes
-- are digits only, so ':', the byte after '9', closes the range.
WITH scoped AS (
  SELECT p.id, p.code, p.geom AS pg,
         EXISTS (SELECT 1 FROM {child} c WHERE c.{fk} = p.id) AS divided
    FROM {parent} p
   WHERE p.code LIKE %(scope_like)s
), cover AS (
  SELECT s.code, s.pg,
         (SELECT ST_Union(c.geom) FROM {child} c
           WHERE c.{fk} = s.id AND c.geom IS NOT NULL) AS cg
    FROM scoped s
   WHERE s.divided
), holes AS (
  SELECT code, ga_significant_parts(CASE WHEN cg IS NULL THEN pg ELSE ST_Difference(pg, cg) END,
                                    %(metric_srid)s, %(tolerance_m)s, %(min_area_m2)s) AS g
    FROM cover
   WHERE cg IS NULL OR NOT ST_CoveredBy(pg, cg)
), parts AS (
  SELECT code, (ST_Dump(g)).geom AS g FROM holes WHERE g IS NOT NULL
), undivided AS (
  SELECT s.code, s.pg
    FROM scoped s
   WHERE NOT s.divided
     AND EXISTS (SELECT 1 FROM {child} c
                  WHERE c.code ~>=~ left(s.code, %(notice_len)s::int)
                    AND c.code ~<~ (left(s.code, %(notice_len)s::int) || ':'))
)
SELECT 'gap' AS rule, 'gap' AS kind, ARRAY[code]::text[] AS codes,
       ST_Area(g::geography) AS area_m2, g AS geom
  FROM parts
 UNION ALL
SELECT 'gap', 'not_divided', ARRAY[code]::text[], NULL::float, pg
  FROM undivided
 ORDER BY codes, area_m2 DESC NULLS LAST;

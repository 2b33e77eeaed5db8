-- How much of each violation found after a write lies outside the same violation before it
-- (same rule and codes): an overlap or a gap that grew is new although its codes are not.
-- Parameters: news (bytea[], EWKB of the violations after, EPSG:4326), news_key (int[], each
-- one's key), olds (bytea[], EWKB of the violations before), olds_key (int[]); metric_srid,
-- tolerance_m (m), min_area_m2 (m²): growth thinner or smaller than these is noding noise or
-- within the drawing tolerance, as in every rule.
-- Returns: i (1-based position in news), grown_m2 (m² of the new part, 0 when none).
WITH olds AS (
  SELECT k, ST_Union(ST_GeomFromEWKB(w)) AS g
    FROM unnest(%(olds)s::bytea[], %(olds_key)s::int[]) AS o(w, k)
   GROUP BY k
), news AS (
  SELECT i, k, ST_GeomFromEWKB(w) AS g
    FROM unnest(%(news)s::bytea[], %(news_key)s::int[]) WITH ORDINALITY AS n(w, k, i)
)
SELECT n.i,
       coalesce(ST_Area(ga_significant_parts(ST_Difference(n.g, o.g), %(metric_srid)s,
                                             %(tolerance_m)s, %(min_area_m2)s)::geography), 0)
  FROM news n
  JOIN olds o ON o.k = n.k
 ORDER BY n.i;

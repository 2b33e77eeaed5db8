-- Rule 2, no overlap: sibling pairs (same parent) whose interiors share more than min_area_m2.
-- Slots: {child} table, {fk} its parent column.
-- Parameters: metric_srid, min_area_m2 (m²).
-- Returns: rule, codes (the two siblings), area_m2, geom (the shared area, EPSG:4326).
WITH pairs AS (
  SELECT a.code AS a_code, b.code AS b_code,
         ST_CollectionExtract(ST_Intersection(ST_Transform(a.geom, %(metric_srid)s),
                                              ST_Transform(b.geom, %(metric_srid)s)), 3) AS i
    FROM {child} a
    JOIN {child} b ON b.{fk} = a.{fk} AND a.id < b.id AND a.geom && b.geom
   WHERE ST_Relate(a.geom, b.geom, '2********')   -- interiors meet in an area, not an edge
)
SELECT 'overlap' AS rule, ARRAY[a_code, b_code]::text[] AS codes, ST_Area(i) AS area_m2,
       ST_Transform(i, 4326) AS geom
  FROM pairs
 WHERE ST_Area(i) > %(min_area_m2)s
 ORDER BY a_code, b_code;

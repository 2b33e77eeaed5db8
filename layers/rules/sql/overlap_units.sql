-- Rule 2, no overlap, for grids and micro-grids: as overlap.sql, but a pair of siblings both
-- derived from parcels is skipped: each is a union of distinct parcels, and parcels do not
-- overlap (they are the faces of the community), so such a pair can only share edges.
-- scope_like: a LIKE pattern of the codes checked; slots {child} table, {fk} its parent column.
-- Parameters: metric_srid, tolerance_m (m), min_area_m2 (m²).
-- Returns: rule, codes (the two siblings), area_m2 (m²), geom (the shared area, EPSG:4326).
WITH pairs AS (
  SELECT CASE WHEN a.id < b.id THEN a.code ELSE b.code END AS a_code,
         CASE WHEN a.id < b.id THEN b.code ELSE a.code END AS b_code,
         ga_significant_parts(ST_Intersection(a.geom, b.geom), %(metric_srid)s,
                              %(tolerance_m)s, %(min_area_m2)s) AS i
    FROM {child} a
    JOIN {child} b ON b.{fk} = a.{fk} AND a.id <> b.id AND a.geom && b.geom
   WHERE a.code LIKE %(scope_like)s AND (a.id < b.id OR b.code NOT LIKE %(scope_like)s)
     AND (a.geom_source <> 'parcels' OR b.geom_source <> 'parcels')
     AND ST_Relate(a.geom, b.geom, '2********')   -- interiors meet in an area, not an edge
)
SELECT 'overlap' AS rule, ARRAY[a_code, b_code]::text[] AS codes,
       ST_Area(i::geography) AS area_m2, i AS geom
  FROM pairs
 WHERE i IS NOT NULL
 ORDER BY a_code, b_code;

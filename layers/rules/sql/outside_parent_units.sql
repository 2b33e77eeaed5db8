-- Rule 1, inside its parent, for grids (parent: community): as outside_parent.sql, but a grid
-- derived from parcels is checked parcel by parcel. Its polygon is the union of its parcels, so
-- what reaches outside the community is the union of what each parcel has outside: small parcels
-- against the (prepared, cached) community polygon instead of an overlay of the whole grid,
-- which the derived union's re-noded edge defeats as a pre-filter.
-- scope_like: a LIKE pattern of the child codes checked.
-- Slots: {child}, {parent} tables, {fk} the child's parent column, {pchild} the parcel column
-- naming the child (grid_id).
-- Parameters: metric_srid (projected CRS in metres), tolerance_m (m), min_area_m2 (m²).
-- Returns: rule, codes (child, parent), area_m2 (m², on the spheroid), geom (the part outside,
-- EPSG:4326).
WITH outside AS (
  SELECT c.code AS child_code, p.code AS parent_code,
         ga_significant_parts(ST_Difference(c.geom, p.geom), %(metric_srid)s,
                              %(tolerance_m)s, %(min_area_m2)s) AS d
    FROM {child} c
    JOIN {parent} p ON p.id = c.{fk}
   WHERE c.code LIKE %(scope_like)s AND c.geom IS NOT NULL AND c.geom_source <> 'parcels'
     AND NOT ST_CoveredBy(c.geom, p.geom)
  UNION ALL
  SELECT c.code, p.code,
         ga_significant_parts(ST_Union(ST_Difference(pa.geom, p.geom)), %(metric_srid)s,
                              %(tolerance_m)s, %(min_area_m2)s)
    FROM {child} c
    JOIN {parent} p ON p.id = c.{fk}
    JOIN layers_parcel pa ON pa.{pchild} = c.id
   WHERE c.code LIKE %(scope_like)s AND c.geom IS NOT NULL AND c.geom_source = 'parcels'
     AND NOT ST_CoveredBy(pa.geom, p.geom)
   GROUP BY c.code, p.code
)
SELECT 'outside_parent' AS rule, ARRAY[child_code, parent_code]::text[] AS codes,
       ST_Area(d::geography) AS area_m2, d AS geom
  FROM outside
 WHERE d IS NOT NULL
 ORDER BY child_code;

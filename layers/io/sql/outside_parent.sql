-- Rule 1 (inside its parent) for the rows of an import, before anything is written.
-- Slots: {staging} the temporary table of the import (geom in EPSG:4326, _row), {fk_id} its
-- column holding the parent's id, {parent} the parent table.
-- Parameters: metric_srid (projected CRS in metres), tolerance_m (m), min_area_m2 (m²).
-- Returns: _row, parent code, area_m2 (m², on the spheroid), x, y (a point of the part outside,
-- degrees). ST_CoveredBy is only the fast pre-filter, as in layers/rules/sql/outside_parent.sql.
WITH outside AS (
  SELECT s._row, p.code,
         ga_significant_parts(ST_Difference(s.geom, p.geom), %(metric_srid)s,
                              %(tolerance_m)s, %(min_area_m2)s) AS d
    FROM {staging} s
    JOIN {parent} p ON p.id = s.{fk_id}
   WHERE s.geom IS NOT NULL AND p.geom IS NOT NULL AND NOT ST_CoveredBy(s.geom, p.geom)
)
SELECT _row, code, ST_Area(d::geography) AS area_m2,
       ST_X(ST_PointOnSurface(d)), ST_Y(ST_PointOnSurface(d))
  FROM outside
 WHERE d IS NOT NULL
 ORDER BY _row;

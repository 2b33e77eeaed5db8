-- The city's extent: the box around every street, for the pages' initial view.
-- Parameters: none. SRID: 4326 (lon/lat, as stored).
-- Returns one row: xmin, ymin, xmax, ymax (all NULL while there is no street).
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
  FROM (SELECT ST_Extent(geom) AS e FROM layers_street) s;

-- The service stations a coverage counts (layers/analysis/coverage.py): all of them, whatever area
-- the buildings are narrowed to, since a station across a street's edge serves it as well.
-- Parameters: levels (text[], NULL: every level) keeps stations of these levels only
--   (street, community, xiaoqu).
-- SRID: lon, lat in EPSG:4326 (storage); the caller projects them to the metric CRS.
-- Returns one row per station, ordered by id: id, level, name, lon, lat (degrees).
SELECT id,
       level,
       name,
       ST_X(geom) AS lon,
       ST_Y(geom) AS lat
  FROM layers_servicestation
 WHERE %(levels)s::text[] IS NULL OR level = ANY(%(levels)s::text[])
 ORDER BY id;

-- Every building of an area as one point, for the station coverage (layers/analysis/coverage.py).
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to the buildings whose
--   community lies in that district or street.
-- SRID: lon, lat in EPSG:4326 (storage); the caller projects them to the city's metric CRS, where
--   PROJ on an array is far cheaper than ST_Transform row by row.
-- The point is ST_PointOnSurface of the footprint: always inside it, even for an L-shaped block or
--   one around a courtyard, where the centroid can fall outside the building.
-- Returns one row per building, ordered by id: id, households, grid_id (the grid of its parcel;
--   -1 when it has no parcel or the parcel is in no grid), community_id, street_id, district_id,
--   lon, lat (degrees).
SELECT b.id,
       b.households,
       coalesce(p.grid_id, -1) AS grid_id,
       b.community_id,
       c.street_id,
       s.district_id,
       ST_X(pt.geom) AS lon,
       ST_Y(pt.geom) AS lat
  FROM layers_building b
  JOIN layers_community c ON c.id = b.community_id
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN layers_parcel p ON p.id = b.parcel_id
 CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.geom) AS geom) pt
 WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
 ORDER BY b.id;

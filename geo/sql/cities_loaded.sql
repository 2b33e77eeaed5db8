-- The cities loaded (geo/city_profile.py): one row per 4-digit city prefix of the districts.
-- Parameters: none. SRID: 4326 (lon/lat degrees, as stored).
-- Returns code (4 digits), districts, communities, the code and stored name of its first district
-- (by code), the box (xmin, ymin, xmax, ymax) around its streets (its
-- districts' when it has no street yet; NULL when neither has a geometry), and a point on the data
-- nearest the middle of that box (centre_lon, centre_lat), ordered by code. Districts are not
-- drawn on the maps: their geometry stands in only for a city with no street yet.
-- Trap: the middle of a box is not on the data when the data is L-shaped or two distant districts
-- share a city; the centre is the closest point of the street (or district) nearest the middle, so
-- a map opened there shows a boundary, never a blank. KNN (<->) against the per-row middle keeps
-- that to one index probe per city.
WITH cities AS (
  SELECT left(d.code, 4) AS code, count(*) AS districts,
         min(d.code) AS district_code,
         (array_agg(d.name ORDER BY d.code))[1] AS district_name,
         ST_Extent(d.geom) AS district_box
    FROM layers_district d
   GROUP BY left(d.code, 4)
), streets AS (
  SELECT left(s.code, 4) AS code, ST_Extent(s.geom) AS street_box
    FROM layers_street s
   GROUP BY left(s.code, 4)
), communities AS (
  SELECT left(c.code, 4) AS code, count(*) AS n
    FROM layers_community c
   GROUP BY left(c.code, 4)
), boxed AS (
  SELECT c.code, c.districts, coalesce(n.n, 0) AS communities, c.district_code, c.district_name,
         coalesce(s.street_box, c.district_box)::geometry AS box
    FROM cities c
    LEFT JOIN streets s USING (code)
    LEFT JOIN communities n USING (code)
)
SELECT b.code, b.districts, b.communities, b.district_code, b.district_name,
       ST_XMin(b.box), ST_YMin(b.box), ST_XMax(b.box), ST_YMax(b.box),
       ST_X(coalesce(on_street.p, on_district.p)), ST_Y(coalesce(on_street.p, on_district.p))
  FROM boxed b
  LEFT JOIN LATERAL (
    SELECT ST_ClosestPoint(s.geom, ST_SetSRID(ST_Centroid(b.box), 4326)) AS p
      FROM layers_street s
     WHERE left(s.code, 4) = b.code AND s.geom IS NOT NULL
     ORDER BY s.geom <-> ST_SetSRID(ST_Centroid(b.box), 4326)
     LIMIT 1
  ) on_street ON b.box IS NOT NULL
  LEFT JOIN LATERAL (
    SELECT ST_ClosestPoint(d.geom, ST_SetSRID(ST_Centroid(b.box), 4326)) AS p
      FROM layers_district d
     WHERE on_street.p IS NULL AND left(d.code, 4) = b.code AND d.geom IS NOT NULL
     ORDER BY d.geom <-> ST_SetSRID(ST_Centroid(b.box), 4326)
     LIMIT 1
  ) on_district ON b.box IS NOT NULL
 ORDER BY b.code;

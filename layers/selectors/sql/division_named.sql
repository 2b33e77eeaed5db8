-- The divisions a query names when it names nothing else (江岸区, 后湖街道, 花桥社区), for
-- layers.selectors.address_search.division_named.
-- Parameters: names (text[]): district, street office and community names as typed.
-- Returns one row per division with one of those names, the most specific level first
-- (community, street, district), then by code: level, code, name, its parent's name, the
-- extent [xmin, ymin, xmax, ymax] and a point on its surface, in EPSG:4326 degrees.
SELECT d.level, d.code, d.name, d.parent_name,
       ST_XMin(d.geom) AS xmin, ST_YMin(d.geom) AS ymin,
       ST_XMax(d.geom) AS xmax, ST_YMax(d.geom) AS ymax,
       ST_X(ST_PointOnSurface(d.geom)) AS lon, ST_Y(ST_PointOnSurface(d.geom)) AS lat
  FROM (SELECT 'community' AS level, 3 AS rank, c.code, c.name, s.name AS parent_name, c.geom
          FROM layers_community c JOIN layers_street s ON s.id = c.street_id
         WHERE c.name = ANY(%(names)s::text[])
        UNION ALL
        SELECT 'street', 2, s.code, s.name, di.name, s.geom
          FROM layers_street s JOIN layers_district di ON di.id = s.district_id
         WHERE s.name = ANY(%(names)s::text[])
        UNION ALL
        SELECT 'district', 1, di.code, di.name, NULL, di.geom
          FROM layers_district di
         WHERE di.name = ANY(%(names)s::text[])) d
 ORDER BY d.rank DESC, d.code
 LIMIT 20

-- Places by name or code, for the map's search-as-you-type: streets, communities, grids and
-- compounds (with their aliases). Parameters: q (the typed text, trimmed), pattern (q with LIKE
-- wildcards escaped, with a wildcard on both sides), prefix (the same, wildcard after), limit.
-- (No percent signs in this header: the driver would read them as placeholders.)
-- Rank: 0 exact code or name, 1 code or name prefix, 2 name contains; then shorter names first.
-- Returns kind, id, code, name, context (the parent's name), bbox in EPSG:4326 degrees.
WITH hits AS (
  SELECT 'streets' AS kind, s.id, s.code, s.name, d.name AS context, s.geom
    FROM layers_street s JOIN layers_district d ON d.id = s.district_id
   WHERE s.name ILIKE %(pattern)s OR s.code LIKE %(prefix)s
  UNION ALL
  SELECT 'communities', c.id, c.code, c.name, s.name, c.geom
    FROM layers_community c JOIN layers_street s ON s.id = c.street_id
   WHERE c.name ILIKE %(pattern)s OR c.code LIKE %(prefix)s
  UNION ALL
  SELECT 'grids', g.id, g.code, g.name, c.name, g.geom
    FROM layers_grid g JOIN layers_community c ON c.id = g.community_id
   WHERE g.geom IS NOT NULL AND (g.name ILIKE %(pattern)s OR g.code LIKE %(prefix)s)
  UNION ALL
  SELECT 'compounds', x.id, x.code, x.name, c.name, x.geom
    FROM layers_xiaoqu x JOIN layers_community c ON c.id = x.community_id
   WHERE x.name ILIKE %(pattern)s OR x.code LIKE %(prefix)s
      OR EXISTS (SELECT 1 FROM layers_compoundalias a
                  WHERE a.xiaoqu_id = x.id AND a.alias ILIKE %(pattern)s)
), ranked AS (
  SELECT *, CASE WHEN code = %(q)s OR name = %(q)s THEN 0
                 WHEN code LIKE %(prefix)s OR name ILIKE %(prefix)s THEN 1
                 ELSE 2 END AS rank
    FROM hits
)
SELECT kind, id, code, name, context,
       ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
  FROM ranked
 ORDER BY rank, char_length(name), array_position(
            ARRAY['streets', 'communities', 'grids', 'compounds'], kind), code
 LIMIT %(limit)s

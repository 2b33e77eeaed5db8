-- What changed between two revisions of one community, from their snapshots only (so the answer
-- survives parcels being cut or merged later).
-- Parameters: from_id, to_id (layers_layoutrevision ids, same community), min_area_m2 (m²:
-- smaller intersections are noding noise along shared edges).
-- Areas are m² on the spheroid (geography). Geometry is EPSG:4326 GeoJSON.
-- Returns one row: json {grids: [{code, households_from, households_to, buildings_from,
-- buildings_to, area_m2_gained, area_m2_lost}], moved: [{from_grid, to_grid, area_m2,
-- buildings, households, geometry}]}; a grid missing on one side has null totals there.
WITH a AS (
  SELECT code, geom, households, building_count FROM layers_layoutrevisiongrid
   WHERE revision_id = %(from_id)s AND level = 'grid'
), b AS (
  SELECT code, geom, households, building_count FROM layers_layoutrevisiongrid
   WHERE revision_id = %(to_id)s AND level = 'grid'
), bld AS (
  -- Buildings whose grid differs; households as of the later revision.
  SELECT ja.value ->> 0 AS from_grid, jb.value ->> 0 AS to_grid,
         coalesce((jb.value ->> 1)::int, (ja.value ->> 1)::int, 0) AS households
    FROM jsonb_each((SELECT buildings FROM layers_layoutrevision WHERE id = %(from_id)s)) ja
    FULL JOIN jsonb_each((SELECT buildings FROM layers_layoutrevision WHERE id = %(to_id)s)) jb
      ON ja.key = jb.key
   WHERE (ja.value ->> 0) IS DISTINCT FROM (jb.value ->> 0)
), grids AS (
  SELECT coalesce(a.code, b.code) AS code,
         a.households AS households_from, b.households AS households_to,
         a.building_count AS buildings_from, b.building_count AS buildings_to,
         round(CASE WHEN b.geom IS NULL THEN 0
                    WHEN a.geom IS NULL THEN ST_Area(b.geom::geography)
                    ELSE ST_Area(ST_Difference(b.geom, a.geom)::geography) END::numeric, 1)
           AS area_m2_gained,
         round(CASE WHEN a.geom IS NULL THEN 0
                    WHEN b.geom IS NULL THEN ST_Area(a.geom::geography)
                    ELSE ST_Area(ST_Difference(a.geom, b.geom)::geography) END::numeric, 1)
           AS area_m2_lost
    FROM a FULL JOIN b ON a.code = b.code
), pieces AS (
  SELECT a.code AS from_grid, b.code AS to_grid,
         ST_Multi(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)) AS geom
    FROM a JOIN b ON a.code <> b.code AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
), moved AS (
  SELECT p.from_grid, p.to_grid, round(ST_Area(p.geom::geography)::numeric, 1) AS area_m2,
         (SELECT count(*) FROM bld WHERE bld.from_grid = p.from_grid
                                     AND bld.to_grid = p.to_grid) AS buildings,
         (SELECT coalesce(sum(households), 0) FROM bld WHERE bld.from_grid = p.from_grid
                                                         AND bld.to_grid = p.to_grid) AS households,
         ST_AsGeoJSON(p.geom, 7)::json AS geometry
    FROM pieces p
   WHERE NOT ST_IsEmpty(p.geom) AND ST_Area(p.geom::geography) > %(min_area_m2)s
)
SELECT json_build_object(
  'grids', coalesce((SELECT json_agg(grids ORDER BY code) FROM grids), '[]'),
  'moved', coalesce((SELECT json_agg(moved ORDER BY from_grid, to_grid) FROM moved), '[]')
);

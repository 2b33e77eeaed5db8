-- The faces of a community cut by every edge it has: its own boundary, its grids' and
-- micro-grids' (freehand polygons, or unions of parcels), its parcels' and the compounds' that
-- reach into it. All edges are noded together once (ST_UnaryUnion) and polygonised, in
-- STORAGE_SRID where they are stored (no vertex moves): the faces inside the community tile it
-- exactly, and each face lies wholly inside or outside every unit drawn, so its point on surface
-- tells who owns it.
-- Parameters: community_id.
-- Returns per face: face (Polygon, STORAGE_SRID), area_m2 (m², on the spheroid), grids (ids of
-- the grids owning it, ascending), micros (ids of the micro-grids owning it), parcel_id (the
-- existing parcel holding it, lowest id, or NULL), lon, lat (its point on surface).
WITH c AS (
  SELECT id, geom FROM layers_community WHERE id = %(community_id)s
), units AS (
  SELECT g.id, g.geom, 'grid' AS kind FROM layers_grid g
   WHERE g.community_id = %(community_id)s AND g.geom IS NOT NULL
  UNION ALL
  SELECT m.id, m.geom, 'micro' FROM layers_microgrid m JOIN layers_grid g ON g.id = m.grid_id
   WHERE g.community_id = %(community_id)s AND m.geom IS NOT NULL
), lines AS (
  SELECT ST_Boundary(c.geom) AS g FROM c
  UNION ALL SELECT ST_Boundary(u.geom) FROM units u
  UNION ALL SELECT ST_Boundary(p.geom) FROM layers_parcel p WHERE p.community_id = %(community_id)s
  UNION ALL SELECT ST_Boundary(x.geom) FROM layers_xiaoqu x, c
             WHERE x.geom && c.geom AND ST_Intersects(x.geom, c.geom)
), noded AS (
  SELECT ST_UnaryUnion(ST_Collect(g)) AS lines FROM lines
), faces AS (
  SELECT (ST_Dump(ST_Polygonize(lines))).geom AS face FROM noded
), inside AS (
  SELECT f.face, ST_PointOnSurface(f.face) AS pt
    FROM faces f, c
   WHERE ST_Covers(c.geom, ST_PointOnSurface(f.face))
)
SELECT i.face, ST_Area(i.face::geography) AS area_m2,
       ARRAY(SELECT u.id FROM units u WHERE u.kind = 'grid' AND ST_Covers(u.geom, i.pt)
              ORDER BY u.id) AS grids,
       ARRAY(SELECT u.id FROM units u WHERE u.kind = 'micro' AND ST_Covers(u.geom, i.pt)
              ORDER BY u.id) AS micros,
       (SELECT p.id FROM layers_parcel p
         WHERE p.community_id = %(community_id)s AND ST_Covers(p.geom, i.pt)
         ORDER BY p.id LIMIT 1) AS parcel_id,
       ST_X(i.pt) AS lon, ST_Y(i.pt) AS lat
  FROM inside i
 ORDER BY ST_Y(i.pt) DESC, ST_X(i.pt);

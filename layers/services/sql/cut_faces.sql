-- The faces a cut line makes of the parcels it meets, all in STORAGE_SRID.
-- Exactness: the boundaries of every parcel the line meets and the line itself are noded
-- together once (ST_UnaryUnion) and polygonised, so each new vertex is computed once and shared
-- by every face that has it: pieces tile their old parcel, neighbours keep identical shared
-- edges, and no reprojection moves an existing vertex (it happens in degrees, where the parcels
-- are stored). Parts of the line that do not cross a parcel are dangles, which ST_Polygonize
-- drops. A face belongs to the parcel covering its point on surface; faces outside every
-- parcel (a hole between parcels) belong to none and are left out.
-- Parameters: community_id; line (EWKB, STORAGE_SRID).
-- Returns: parcel_id, face (Polygon), area_m2 (m², on the spheroid), parcel_points (the old
-- parcel's vertex count: a face with more has gained a node from the line).
WITH met AS (
  SELECT p.id, p.geom FROM layers_parcel p
   WHERE p.community_id = %(community_id)s
     AND p.geom && %(line)s::geometry AND ST_Intersects(p.geom, %(line)s::geometry)
), noded AS (
  SELECT ST_UnaryUnion(ST_Collect(g)) AS lines
    FROM (SELECT ST_Boundary(geom) AS g FROM met
          UNION ALL SELECT %(line)s::geometry) parts
), faces AS (
  SELECT (ST_Dump(ST_Polygonize(lines))).geom AS face FROM noded
)
SELECT owner.id AS parcel_id, f.face, ST_Area(f.face::geography) AS area_m2,
       ST_NPoints(owner.geom) AS parcel_points
  FROM faces f
  CROSS JOIN LATERAL (SELECT m.id, m.geom FROM met m
                       WHERE ST_Covers(m.geom, ST_PointOnSurface(f.face))
                       ORDER BY m.id LIMIT 1) owner
 ORDER BY owner.id, ST_Area(f.face::geography) DESC;

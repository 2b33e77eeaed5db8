-- Buildings whose footprint interior a cut line crosses (a cut may run along a footprint's
-- edge, never through it).
-- Parameters: community_id; line (EWKB, STORAGE_SRID).
-- Returns: code, lon, lat (a point of the crossing, STORAGE_SRID), length_m (m, on the spheroid).
SELECT b.code, ST_X(w) AS lon, ST_Y(w) AS lat, ST_Length(x::geography) AS length_m
  FROM layers_building b,
       LATERAL (SELECT ST_Intersection(b.geom, %(line)s::geometry) AS x) i,
       LATERAL (SELECT ST_PointOnSurface(x) AS w) p
 WHERE b.community_id = %(community_id)s
   AND b.geom && %(line)s::geometry
   AND ST_Relate(b.geom, %(line)s::geometry, 'T********')
 ORDER BY b.code;

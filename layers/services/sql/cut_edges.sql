-- The parcel edges a cut line may snap to: the boundaries of the community's parcels near it.
-- Parameters: community_id; line (EWKB, STORAGE_SRID); search_deg (degrees, a bounding-box
-- margin a little wider than the snapping tolerance).
-- Returns one row: edges (MultiLineString in STORAGE_SRID, or NULL when no parcel is near).
SELECT ST_Collect(ST_Boundary(p.geom)) AS edges
  FROM layers_parcel p
 WHERE p.community_id = %(community_id)s
   AND p.geom && ST_Expand(%(line)s::geometry, %(search_deg)s);

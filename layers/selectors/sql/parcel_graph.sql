-- The parcel graph of one community, for proposing grid layouts.
-- Parameters: community_code (12 digits).
-- Returns one row: a json object with
--   parcels: [{id, households, building_count, compound}] ordered by id, where compound is the
--     xiaoqu id shared by all the parcel's buildings, or null (no buildings, some outside any
--     compound, or buildings of two compounds);
--   adjacency: [[id_a, id_b]] with id_a below id_b, the parcels sharing an edge of positive length.
-- Two parcels touching only at a corner are not neighbours: the DE-9IM pattern F***1****
-- asks for interiors apart and boundaries meeting along a line. Parcels are faces of one
-- polygonised layer, so their shared edges are exact and no tolerance is needed. The && test
-- lets the GiST index on geom pick the candidates, as ST_Relate alone uses no index.
WITH c AS (
  SELECT id FROM layers_community WHERE code = %(community_code)s
), p AS (
  SELECT p.id, p.geom, p.households, p.building_count
    FROM layers_parcel p, c
   WHERE p.community_id = c.id
), owner AS (
  SELECT b.parcel_id,
         CASE WHEN count(DISTINCT b.xiaoqu_id) = 1 AND count(b.xiaoqu_id) = count(*)
              THEN min(b.xiaoqu_id) END AS compound
    FROM layers_building b
   WHERE b.parcel_id IN (SELECT id FROM p)
   GROUP BY b.parcel_id
)
SELECT json_build_object(
  'found', EXISTS (SELECT 1 FROM c),
  'parcels', COALESCE((
     SELECT json_agg(json_build_object(
              'id', p.id, 'households', p.households, 'building_count', p.building_count,
              'compound', owner.compound) ORDER BY p.id)
       FROM p LEFT JOIN owner ON owner.parcel_id = p.id), '[]'::json),
  'adjacency', COALESCE((
     SELECT json_agg(json_build_array(a.id, b.id))
       FROM p a JOIN p b ON a.id < b.id AND a.geom && b.geom
      WHERE ST_Relate(a.geom, b.geom, 'F***1****')), '[]'::json)
);

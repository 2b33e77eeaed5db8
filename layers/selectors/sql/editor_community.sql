-- Everything the layout editor draws for one community (EPSG:4326 GeoJSON, 6 decimals ≈ 0.1 m).
-- Returns one row: found (whether the community exists) and body, a json object as text with
--   community: {code, name, geometry};
--   parcels: FeatureCollection, id = parcel id, properties {households, buildings, compound
--     (the xiaoqu id all its buildings share, or null), grid, microgrid (codes), x, y (a point
--     on its surface, for box selection)};
--   edges: FeatureCollection of the lines two parcels share, id = running number, properties
--     {a, b} (parcel ids, a < b): the editor thickens an edge whose parcels are in two grids,
--     so grid outlines follow a draft without any geometry computed in the browser.
-- Buildings and compounds are drawn from the vector tiles: a click on a building is a click
-- on the parcel under it, so the editor needs no copy of them.
-- Parameters: community_code (12 digits). Shared edges are exact (parcels are faces of one
-- polygonised layer); F***1**** keeps pairs meeting along a line, not at a corner.
WITH c AS (
  SELECT id, code, name, geom FROM layers_community WHERE code = %(community_code)s
), p AS (
  SELECT p.id, p.geom, p.households, p.building_count, g.code AS grid, m.code AS microgrid
    FROM layers_parcel p
    JOIN c ON p.community_id = c.id
    LEFT JOIN layers_grid g ON g.id = p.grid_id
    LEFT JOIN layers_microgrid m ON m.id = p.micro_grid_id
), owner AS (
  SELECT b.parcel_id,
         CASE WHEN count(DISTINCT b.xiaoqu_id) = 1 AND count(b.xiaoqu_id) = count(*)
              THEN min(b.xiaoqu_id) END AS compound
    FROM layers_building b
   WHERE b.parcel_id IN (SELECT id FROM p)
   GROUP BY b.parcel_id
), e AS (
  SELECT a.id AS a, b.id AS b,
         ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2) AS geom
    FROM p a JOIN p b ON a.id < b.id AND a.geom && b.geom
   WHERE ST_Relate(a.geom, b.geom, 'F***1****')
)
SELECT EXISTS (SELECT 1 FROM c) AS found, json_build_object(
  'community', (SELECT json_build_object('code', code, 'name', name,
                                         'geometry', ST_AsGeoJSON(geom, 6)::json) FROM c),
  'parcels', json_build_object('type', 'FeatureCollection', 'features', COALESCE((
     SELECT json_agg(json_build_object(
              'type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 6)::json,
              'properties', json_build_object(
                 'households', p.households, 'buildings', p.building_count,
                 'compound', owner.compound, 'grid', p.grid, 'microgrid', p.microgrid,
                 'x', round(ST_X(ST_PointOnSurface(p.geom))::numeric, 6),
                 'y', round(ST_Y(ST_PointOnSurface(p.geom))::numeric, 6))) ORDER BY p.id)
       FROM p LEFT JOIN owner ON owner.parcel_id = p.id), '[]'::json)),
  'edges', json_build_object('type', 'FeatureCollection', 'features', COALESCE((
     SELECT json_agg(json_build_object(
              'type', 'Feature', 'id', n, 'geometry', ST_AsGeoJSON(geom, 6)::json,
              'properties', json_build_object('a', a, 'b', b)))
       FROM (SELECT row_number() OVER (ORDER BY a, b) AS n, * FROM e
              WHERE NOT ST_IsEmpty(geom)) numbered), '[]'::json))
)::text AS body;

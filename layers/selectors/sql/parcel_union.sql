-- The outlines of proposed grids: the union of each group's parcels, as GeoJSON (EPSG:4326).
-- Parameters: parcel_ids (bigint[]), groups (int[], the group of each parcel, same length).
-- Returns rows (group, geojson text), ordered by group. Parcels share exact edges, so the union
-- dissolves them without slivers.
SELECT t.grp, ST_AsGeoJSON(ST_Union(p.geom), 7)
  FROM unnest(%(parcel_ids)s::bigint[], %(groups)s::int[]) AS t(id, grp)
  JOIN layers_parcel p ON p.id = t.id
 GROUP BY t.grp
 ORDER BY t.grp;

-- Freeze the grids and micro-grids of a community into a revision: code, name, polygon
-- (EPSG:4326, as derived from the parcels or imported freehand) and totals.
-- Parameters: community_id, revision_id (the revision just created, in the same transaction).
-- Returns nothing; inserts one layers_layoutrevisiongrid row per grid and per micro-grid.
INSERT INTO layers_layoutrevisiongrid
       (revision_id, level, code, name, geom, households, building_count)
SELECT %(revision_id)s, 'grid', g.code, g.name, g.geom, g.households, g.building_count
  FROM layers_grid g
 WHERE g.community_id = %(community_id)s
UNION ALL
SELECT %(revision_id)s, 'microgrid', m.code, m.name, m.geom, m.households, m.building_count
  FROM layers_microgrid m
  JOIN layers_grid g ON g.id = m.grid_id
 WHERE g.community_id = %(community_id)s;

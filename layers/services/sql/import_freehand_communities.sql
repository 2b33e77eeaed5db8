-- The communities an import of grids or micro-grids touched whose layout is still freehand (a
-- grid or a micro-grid with geom_source 'freehand'), to be cut into parcels in the same
-- transaction (layers/services/import_parcels.py). Codes, not geometry: a unit is in the
-- community its code's parent column names, wherever it is drawn.
-- Parameters: grids (text[], grid codes written), microgrids (text[], micro-grid codes
-- written); either may be empty.
-- Returns: code (the community's 12-digit code), in code order.
WITH touched AS (
    SELECT g.community_id FROM layers_grid g WHERE g.code = ANY(%(grids)s)
     UNION
    SELECT g.community_id
      FROM layers_microgrid m JOIN layers_grid g ON g.id = m.grid_id
     WHERE m.code = ANY(%(microgrids)s)
)
SELECT c.code
  FROM layers_community c
 WHERE c.id IN (SELECT community_id FROM touched)
   AND (EXISTS (SELECT 1 FROM layers_grid f
                 WHERE f.community_id = c.id AND f.geom_source = 'freehand')
        OR EXISTS (SELECT 1 FROM layers_microgrid f JOIN layers_grid fg ON fg.id = f.grid_id
                    WHERE fg.community_id = c.id AND f.geom_source = 'freehand'))
 ORDER BY c.code;

-- What the address search needs to judge its candidates (layers.selectors.address_search),
-- for the few it kept: the divisions of their communities, and the grids of their compounds.
-- Parameters: communities (int[]) community ids; compounds (int[]) compound ids.
-- Returns rows of two kinds:
--   kind 'community': id, community, street and district names (grids NULL);
--   kind 'xiaoqu': id and the compound's households per grid of the live layout, most first,
--                  as JSON [{code, name, households}] (names NULL).
-- Buildings are in grids through their parcel (set by trigger): no spatial join here.
SELECT 'community' AS kind, c.id, c.name AS community_name, s.name AS street_name,
       d.name AS district_name, NULL::json AS grids
  FROM layers_community c
  JOIN layers_street s ON s.id = c.street_id
  JOIN layers_district d ON d.id = s.district_id
 WHERE c.id = ANY(%(communities)s::int[])
UNION ALL
SELECT 'xiaoqu', g.xiaoqu_id, NULL, NULL, NULL,
       json_agg(json_build_object('code', g.code, 'name', g.name, 'households', g.households)
                ORDER BY g.households DESC, g.code)
  FROM (SELECT b.xiaoqu_id, gr.code, gr.name, sum(b.households)::int AS households
          FROM layers_building b
          JOIN layers_parcel p ON p.id = b.parcel_id
          JOIN layers_grid gr ON gr.id = p.grid_id
         WHERE b.xiaoqu_id = ANY(%(compounds)s::int[])
         GROUP BY b.xiaoqu_id, gr.code, gr.name) g
 GROUP BY g.xiaoqu_id

-- The city's headline figures for the landing page, in one round trip.
-- Parameters: none. SRIDs: none (counts only).
-- Returns one row: districts, streets, communities, grids, microgrids, xiaoqus, buildings,
--   households (sum of the households typed on buildings, the one place they are entered),
--   stations, units, communities_unpaired (communities that no sent-down unit is paired with).
SELECT (SELECT count(*) FROM layers_district)                       AS districts,
       (SELECT count(*) FROM layers_street)                         AS streets,
       (SELECT count(*) FROM layers_community)                      AS communities,
       (SELECT count(*) FROM layers_grid)                           AS grids,
       (SELECT count(*) FROM layers_microgrid)                      AS microgrids,
       (SELECT count(*) FROM layers_xiaoqu)                         AS xiaoqus,
       (SELECT count(*) FROM layers_building)                       AS buildings,
       (SELECT coalesce(sum(households), 0) FROM layers_building)   AS households,
       (SELECT count(*) FROM layers_servicestation)                 AS stations,
       (SELECT count(*) FROM layers_sentdownunit)                   AS units,
       (SELECT count(*)
          FROM layers_community c
         WHERE NOT EXISTS (SELECT 1 FROM layers_pairing p WHERE p.community_id = c.id))
                                                                    AS communities_unpaired;

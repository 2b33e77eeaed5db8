-- The figures a city report quotes (layers/analysis/report.py), for an area, in one round trip.
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to that district or street.
-- Returns one row: communities, grids, compounds, compounds_party (compounds with a party
--   organisation: the field is not blank), stations_street, stations_community, stations_xiaoqu
--   (stations of the area by level), units_paired (distinct sent-down units paired with at least
--   one community of the area), pairings, registered_members, households (summed over buildings).
-- Counts only: no geometry, no SRID.
WITH community AS (
    SELECT c.id
      FROM layers_community c
      JOIN layers_street s ON s.id = c.street_id
     WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
       AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
), station AS (
    SELECT st.level
      FROM layers_servicestation st
      JOIN layers_street s ON s.id = st.street_id
     WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
       AND (%(street_id)s::bigint IS NULL OR st.street_id = %(street_id)s::bigint)
)
SELECT (SELECT count(*) FROM community) AS communities,
       (SELECT count(*) FROM layers_grid g WHERE g.community_id IN (SELECT id FROM community))
           AS grids,
       (SELECT count(*) FROM layers_xiaoqu x WHERE x.community_id IN (SELECT id FROM community))
           AS compounds,
       (SELECT count(*) FROM layers_xiaoqu x
         WHERE x.community_id IN (SELECT id FROM community) AND btrim(x.party_organisation) <> '')
           AS compounds_party,
       (SELECT count(*) FROM station WHERE level = 'street') AS stations_street,
       (SELECT count(*) FROM station WHERE level = 'community') AS stations_community,
       (SELECT count(*) FROM station WHERE level = 'xiaoqu') AS stations_xiaoqu,
       (SELECT count(DISTINCT p.unit_id) FROM layers_pairing p
         WHERE p.community_id IN (SELECT id FROM community)) AS units_paired,
       (SELECT count(*) FROM layers_pairing p
         WHERE p.community_id IN (SELECT id FROM community)) AS pairings,
       (SELECT coalesce(sum(p.registered_members), 0) FROM layers_pairing p
         WHERE p.community_id IN (SELECT id FROM community)) AS registered_members,
       (SELECT coalesce(sum(b.households), 0) FROM layers_building b
         WHERE b.community_id IN (SELECT id FROM community)) AS households;

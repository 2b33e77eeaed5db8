-- Every compound (xiaoqu) of an area with what the organisation coverage asks of it
-- (layers/analysis/organisation.py).
-- Parameters: district_id, street_id (bigint, NULL: no filter) narrow to the compounds whose
--   community lies in that district or street.
-- SRID: geom_wkb is the compound's polygon in EPSG:4326 (storage), as WKB; the caller projects it.
-- A blank party_organisation, owners_committee or property_company means none (the model's
--   convention); households and buildings are summed over the compound's buildings.
-- Returns one row per compound, ordered by code: id, code, name, kind, community_code,
--   community_name, street_code, street_name, has_party_organisation, has_owners_committee,
--   has_property_company, households, buildings, geom_wkb.
SELECT x.id,
       x.code,
       x.name,
       x.kind,
       c.code AS community_code,
       c.name AS community_name,
       s.code AS street_code,
       s.name AS street_name,
       btrim(x.party_organisation) <> '' AS has_party_organisation,
       btrim(x.owners_committee) <> '' AS has_owners_committee,
       btrim(x.property_company) <> '' AS has_property_company,
       coalesce(b.households, 0) AS households,
       coalesce(b.buildings, 0) AS buildings,
       ST_AsBinary(x.geom) AS geom_wkb
  FROM layers_xiaoqu x
  JOIN layers_community c ON c.id = x.community_id
  JOIN layers_street s ON s.id = c.street_id
  LEFT JOIN (SELECT xiaoqu_id, sum(households) AS households, count(*) AS buildings
               FROM layers_building
              WHERE xiaoqu_id IS NOT NULL
              GROUP BY xiaoqu_id) b ON b.xiaoqu_id = x.id
 WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)
   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)
 ORDER BY x.code;

-- Rule 5, balanced load, where the households are known (docs/design.md, "Levels in use"): a
-- unit whose community has buildings loaded is held to the band by its derived households (0
-- included: the count is real), when it has a derived count: households are summed over parcels,
-- so a freehand unit without parcels has none. Other units are held to their
-- households_reported (the figure a source file gave), kind 'load_band_reported'; a unit with
-- neither is one notice, 'households_unknown', whatever its stored 0 says.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {unit}, the grid or micro-grid table; {pchild}, the parcel column naming it.
-- Parameters: households_min, households_max (inclusive band: geo.domain.Band.as_sql_params);
-- community_len (digits of a community code: a unit's code starts with its community's, which
-- code_parent checks, and the unique index finds it by that prefix).
-- Returns: rule, kind ('load_band', 'load_band_reported', or the notice 'households_unknown'),
-- codes (the unit), area_m2 (NULL), geom, households (the count held to the band; NULL when
-- unknown).
WITH units AS (
  SELECT u.code, u.geom, u.households, u.households_reported,
         EXISTS (SELECT 1 FROM layers_building b WHERE b.community_id = c.id)
         AND (u.geom_source = 'parcels'
              OR EXISTS (SELECT 1 FROM layers_parcel pa WHERE pa.{pchild} = u.id)) AS built
    FROM {unit} u
    LEFT JOIN layers_community c ON c.code = left(u.code, %(community_len)s)
   WHERE u.code LIKE %(scope_like)s
), known AS (
  SELECT code, geom,
         CASE WHEN built THEN 'load_band'
              WHEN households_reported IS NOT NULL THEN 'load_band_reported'
              ELSE 'households_unknown' END AS kind,
         CASE WHEN built THEN households ELSE households_reported END AS households
    FROM units
)
SELECT 'load_band' AS rule, kind, ARRAY[code]::text[] AS codes, NULL::float AS area_m2, geom,
       households
  FROM known
 WHERE households IS NULL
    OR households < %(households_min)s OR households > %(households_max)s
 ORDER BY code;

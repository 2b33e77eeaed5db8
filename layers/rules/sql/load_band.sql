-- Rule 5, balanced load: units whose derived households fall outside the band.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {unit}, the grid or micro-grid table.
-- Parameters: households_min, households_max (inclusive band: geo.domain.Band.as_sql_params).
-- Returns: rule, codes (the unit), area_m2 (NULL), geom, households.
SELECT 'load_band' AS rule, ARRAY[u.code]::text[] AS codes, NULL::float AS area_m2, u.geom,
       u.households
  FROM {unit} u
 WHERE u.code LIKE %(scope_like)s
   AND (u.households < %(households_min)s OR u.households > %(households_max)s)
 ORDER BY u.code;

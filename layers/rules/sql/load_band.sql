-- Rule 5, balanced load: units whose derived households fall outside the band.
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {unit}, the grid or micro-grid table.
-- Parameters: min_households, max_households (inclusive band).
-- Returns: rule, codes (the unit), area_m2 (NULL), geom, households.
SELECT 'load_band' AS rule, ARRAY[u.code]::text[] AS codes, NULL::float AS area_m2, u.geom,
       u.households
  FROM {unit} u
 WHERE u.code LIKE %(scope_like)s
   AND (u.households < %(min_households)s OR u.households > %(max_households)s)
 ORDER BY u.code;

-- Rule 6, codes well-formed: a child's code must extend its parent's code (format and
-- uniqueness are database constraints already).
-- scope_like: a LIKE pattern of the codes checked (a street or community code and a wildcard,
-- or a lone wildcard for the whole city); the prefix index on code answers it.
-- Slots: {child}, {parent} tables, {fk} the child's parent column.
-- Parameters: none. Returns: rule, codes (child, parent), area_m2 (NULL), geom (the child).
SELECT 'code_parent' AS rule, ARRAY[c.code, p.code]::text[] AS codes, NULL::float AS area_m2,
       c.geom
  FROM {child} c
  JOIN {parent} p ON p.id = c.{fk}
 WHERE c.code LIKE %(scope_like)s AND left(c.code, length(p.code)) <> p.code
 ORDER BY c.code;

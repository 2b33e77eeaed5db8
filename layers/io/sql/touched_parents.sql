-- The parents an import of a boundary layer touches, whose whole coverage the boundary rules
-- then check: the parent each staged row names (resolved by code) and the parent of the stored
-- feature it replaces (matched by code), so a feature moved to another parent leaves both
-- checked.
-- Slots: {staging} the temporary table of the import, {fk_id} its column holding the parent's
-- id, {child} the layer's table, {fk} that table's parent column, {parent} the parent table.
-- Parameters: none. Returns: code (of each parent, once).
SELECT p.code
  FROM {staging} s
  JOIN {parent} p ON p.id = s.{fk_id}
UNION
SELECT p.code
  FROM {staging} s
  JOIN {child} t ON t.code = s.code
  JOIN {parent} p ON p.id = t.{fk};

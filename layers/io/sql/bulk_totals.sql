-- The derived totals after a bulk import of buildings, in three set-based statements, in place of
-- the statement triggers of migration 0002 (turned off for the import's transaction, see
-- layers/io/writer.py BULK_DERIVED): parcels from their buildings (the derivation's own
-- function, for all), then grids and micro-grids from their parcels. Totals only: a building
-- import moves no parcel, so no grid's polygon changes, and recomputing 72,000 unions (what
-- ga_refresh_units would do) is the minutes saved.
-- Parameters: none. Writes only rows whose totals differ (history records those).
SELECT ga_refresh_parcels(NULL);  -- every parcel, set-based (migrations 0002, 0009)

UPDATE layers_grid g
   SET households = s.hh, building_count = s.n
  FROM (SELECT g2.id, coalesce(sum(p.households), 0)::int AS hh,
               coalesce(sum(p.building_count), 0)::int AS n
          FROM layers_grid g2
          LEFT JOIN layers_parcel p ON p.grid_id = g2.id
         GROUP BY g2.id) s
 WHERE g.id = s.id
   AND (g.households, g.building_count) IS DISTINCT FROM (s.hh, s.n);

UPDATE layers_microgrid m
   SET households = s.hh, building_count = s.n
  FROM (SELECT m2.id, coalesce(sum(p.households), 0)::int AS hh,
               coalesce(sum(p.building_count), 0)::int AS n
          FROM layers_microgrid m2
          LEFT JOIN layers_parcel p ON p.micro_grid_id = m2.id
         GROUP BY m2.id) s
 WHERE m.id = s.id
   AND (m.households, m.building_count) IS DISTINCT FROM (s.hh, s.n);

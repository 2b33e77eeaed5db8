-- ga_refresh_parcels(ids bigint[]) → void: a parcel's households and building_count = the sums
-- over the buildings in it, for the parcels in `ids` (NULL: every parcel, for bulk loads that
-- disabled the triggers). Rows whose totals are already right are not rewritten.
-- PL/pgSQL plans each branch apart, so a list of ids uses the primary key instead of the full
-- scan one `ids IS NULL OR id = ANY(ids)` plan would take (35 ms a refresh on `city` data).
CREATE OR REPLACE FUNCTION ga_refresh_parcels(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL THEN
    UPDATE layers_parcel p
       SET households = s.hh, building_count = s.n
      FROM (SELECT p2.id, coalesce(sum(b.households), 0)::int AS hh, count(b.id)::int AS n
              FROM layers_parcel p2
              LEFT JOIN layers_building b ON b.parcel_id = p2.id
             GROUP BY p2.id) s
     WHERE p.id = s.id
       AND (p.households, p.building_count) IS DISTINCT FROM (s.hh, s.n);
  ELSE
    UPDATE layers_parcel p
       SET households = s.hh, building_count = s.n
      FROM (SELECT p2.id, coalesce(sum(b.households), 0)::int AS hh, count(b.id)::int AS n
              FROM layers_parcel p2
              LEFT JOIN layers_building b ON b.parcel_id = p2.id
             WHERE p2.id = ANY(ids)
             GROUP BY p2.id) s
     WHERE p.id = s.id
       AND (p.households, p.building_count) IS DISTINCT FROM (s.hh, s.n);
  END IF;
END $$;

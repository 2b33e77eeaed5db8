"""Database-resident derivation (docs/design.md: grids and micro-grids are sets of parcels).

Every path that changes a building or a parcel (admin, API, import, the editor, raw SQL) goes
through these triggers, so a grid's polygon and households cannot disagree with its parcels:

  building  --(BEFORE row)-->  parcel_id = the parcel covering the footprint's point on surface
  building  --(AFTER stmt)-->  ga_refresh_parcels(touched parcels)      households, building_count
  parcel    --(AFTER stmt)-->  ga_refresh_units(touched grids, micro-grids)   geom, totals

A composite foreign key keeps a parcel's micro-grid inside the parcel's grid, and moving a
micro-grid to another grid carries its parcels along (ON UPDATE CASCADE).

Passing NULL to a refresh function refreshes every row (bulk loads disable the triggers and call
them once).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ga_refresh_parcels(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE layers_parcel p
     SET households = s.hh, building_count = s.n
    FROM (SELECT p2.id, coalesce(sum(b.households), 0)::int AS hh, count(b.id)::int AS n
            FROM layers_parcel p2
            LEFT JOIN layers_building b ON b.parcel_id = p2.id
           WHERE ids IS NULL OR p2.id = ANY(ids)
           GROUP BY p2.id) s
   WHERE p.id = s.id
     AND (p.households, p.building_count) IS DISTINCT FROM (s.hh, s.n);
$$;

-- Grids and micro-grids: polygon = union of their parcels (freehand layouts keep their own),
-- totals = sums over their parcels.
CREATE OR REPLACE FUNCTION ga_refresh_units(grid_ids bigint[], microgrid_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE layers_grid g
     SET geom = CASE WHEN g.geom_source = 'parcels' THEN s.geom ELSE g.geom END,
         households = s.hh, building_count = s.n
    FROM (SELECT g2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                 coalesce(sum(p.households), 0)::int AS hh,
                 coalesce(sum(p.building_count), 0)::int AS n
            FROM layers_grid g2
            LEFT JOIN layers_parcel p ON p.grid_id = g2.id
           WHERE grid_ids IS NULL OR g2.id = ANY(grid_ids)
           GROUP BY g2.id) s
   WHERE g.id = s.id;
  UPDATE layers_microgrid m
     SET geom = CASE WHEN m.geom_source = 'parcels' THEN s.geom ELSE m.geom END,
         households = s.hh, building_count = s.n
    FROM (SELECT m2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                 coalesce(sum(p.households), 0)::int AS hh,
                 coalesce(sum(p.building_count), 0)::int AS n
            FROM layers_microgrid m2
            LEFT JOIN layers_parcel p ON p.micro_grid_id = m2.id
           WHERE microgrid_ids IS NULL OR m2.id = ANY(microgrid_ids)
           GROUP BY m2.id) s
   WHERE m.id = s.id;
$$;

-- A building's parcel: the one covering its point on surface (a point on a shared edge is
-- covered by both; the lower id wins so the answer is the same every time).
CREATE OR REPLACE FUNCTION ga_building_set_parcel() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.parcel_id IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NOT (NEW.geom IS DISTINCT FROM OLD.geom
                               OR NEW.community_id IS DISTINCT FROM OLD.community_id) THEN
    RETURN NEW;
  END IF;
  SELECT p.id INTO NEW.parcel_id
    FROM layers_parcel p
   WHERE p.community_id = NEW.community_id
     AND ST_Covers(p.geom, ST_PointOnSurface(NEW.geom))
   ORDER BY p.id LIMIT 1;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ga_building_touch_parcels() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT parcel_id) INTO ids FROM new_rows WHERE parcel_id IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT parcel_id) INTO ids FROM old_rows WHERE parcel_id IS NOT NULL;
  ELSE
    SELECT array_agg(DISTINCT x) INTO ids FROM (
      SELECT parcel_id AS x FROM new_rows UNION SELECT parcel_id FROM old_rows) u
     WHERE x IS NOT NULL;
  END IF;
  IF ids IS NOT NULL THEN PERFORM ga_refresh_parcels(ids); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ga_parcel_touch_units() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE gids bigint[]; mids bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT grid_id) FILTER (WHERE grid_id IS NOT NULL),
           array_agg(DISTINCT micro_grid_id) FILTER (WHERE micro_grid_id IS NOT NULL)
      INTO gids, mids FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT grid_id) FILTER (WHERE grid_id IS NOT NULL),
           array_agg(DISTINCT micro_grid_id) FILTER (WHERE micro_grid_id IS NOT NULL)
      INTO gids, mids FROM old_rows;
  ELSE
    SELECT array_agg(DISTINCT grid_id) FILTER (WHERE grid_id IS NOT NULL),
           array_agg(DISTINCT micro_grid_id) FILTER (WHERE micro_grid_id IS NOT NULL)
      INTO gids, mids
      FROM (SELECT grid_id, micro_grid_id FROM new_rows
            UNION ALL SELECT grid_id, micro_grid_id FROM old_rows) u;
  END IF;
  IF gids IS NOT NULL OR mids IS NOT NULL THEN
    PERFORM ga_refresh_units(coalesce(gids, '{}'), coalesce(mids, '{}'));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ga_building_set_parcel BEFORE INSERT OR UPDATE ON layers_building
  FOR EACH ROW EXECUTE FUNCTION ga_building_set_parcel();
CREATE TRIGGER ga_building_ins AFTER INSERT ON layers_building
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();
CREATE TRIGGER ga_building_upd AFTER UPDATE ON layers_building
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();
CREATE TRIGGER ga_building_del AFTER DELETE ON layers_building
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_building_touch_parcels();

CREATE TRIGGER ga_parcel_ins AFTER INSERT ON layers_parcel
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();
CREATE TRIGGER ga_parcel_upd AFTER UPDATE ON layers_parcel
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();
CREATE TRIGGER ga_parcel_del AFTER DELETE ON layers_parcel
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();

ALTER TABLE layers_parcel
  ADD CONSTRAINT parcel_microgrid_needs_grid CHECK (micro_grid_id IS NULL OR grid_id IS NOT NULL),
  ADD CONSTRAINT parcel_microgrid_in_grid FOREIGN KEY (micro_grid_id, grid_id)
      REFERENCES layers_microgrid (id, grid_id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""

BACKWARD = r"""
ALTER TABLE layers_parcel DROP CONSTRAINT IF EXISTS parcel_microgrid_in_grid,
                          DROP CONSTRAINT IF EXISTS parcel_microgrid_needs_grid;
DROP TRIGGER IF EXISTS ga_parcel_del ON layers_parcel;
DROP TRIGGER IF EXISTS ga_parcel_upd ON layers_parcel;
DROP TRIGGER IF EXISTS ga_parcel_ins ON layers_parcel;
DROP TRIGGER IF EXISTS ga_building_del ON layers_building;
DROP TRIGGER IF EXISTS ga_building_upd ON layers_building;
DROP TRIGGER IF EXISTS ga_building_ins ON layers_building;
DROP TRIGGER IF EXISTS ga_building_set_parcel ON layers_building;
DROP FUNCTION IF EXISTS ga_parcel_touch_units(), ga_building_touch_parcels(),
  ga_building_set_parcel(), ga_refresh_units(bigint[], bigint[]), ga_refresh_parcels(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

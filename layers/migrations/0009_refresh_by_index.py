"""The derivation refreshes of 0002 look their rows up by index.

`WHERE ids IS NULL OR id = ANY(ids)` in one SQL function is planned once for both cases, so a
refresh of four parcels scanned every parcel of the city (35 ms on `city` data; the refresh of two
grids and six micro-grids 30 ms), on every commit, cut and edit. PL/pgSQL plans each branch apart:
NULL (refresh all, for bulk loads) keeps the full scan, a list of ids uses the primary key.
The bodies are those of 0002 with the filter written once per branch; reversing restores 0002's
(a copy of its text here, so that this migration does not depend on another's wording).
"""

from django.db import migrations

PARCELS = """
    UPDATE layers_parcel p
       SET households = s.hh, building_count = s.n
      FROM (SELECT p2.id, coalesce(sum(b.households), 0)::int AS hh, count(b.id)::int AS n
              FROM layers_parcel p2
              LEFT JOIN layers_building b ON b.parcel_id = p2.id
             {where}
             GROUP BY p2.id) s
     WHERE p.id = s.id
       AND (p.households, p.building_count) IS DISTINCT FROM (s.hh, s.n);"""

UNIT = """
    UPDATE layers_{unit} u
       SET geom = CASE WHEN u.geom_source = 'parcels' THEN s.geom ELSE u.geom END,
           households = s.hh, building_count = s.n
      FROM (SELECT u2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                   coalesce(sum(p.households), 0)::int AS hh,
                   coalesce(sum(p.building_count), 0)::int AS n
              FROM layers_{unit} u2
              LEFT JOIN layers_parcel p ON p.{fk} = u2.id
             {where}
             GROUP BY u2.id) s
     WHERE u.id = s.id;"""


def _branches(statement: str, ids: str, alias: str, **slots) -> str:
    every = statement.format(where="", **slots)
    some = statement.format(where=f"WHERE {alias}.id = ANY({ids})", **slots)
    return f"IF {ids} IS NULL THEN{every}\n  ELSE{some}\n  END IF;"


FORWARD = f"""
CREATE OR REPLACE FUNCTION ga_refresh_parcels(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  {_branches(PARCELS, "ids", "p2")}
END $$;

CREATE OR REPLACE FUNCTION ga_refresh_units(grid_ids bigint[], microgrid_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  {_branches(UNIT, "grid_ids", "u2", unit="grid", fk="grid_id")}
  {_branches(UNIT, "microgrid_ids", "u2", unit="microgrid", fk="micro_grid_id")}
END $$;
"""


# 0002's definitions (CREATE OR REPLACE may change the language back).
BACKWARD = r"""
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
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0008_layout_drafts")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]

-- ga_refresh_units(grid_ids bigint[], microgrid_ids bigint[]) → void: a grid's and a micro-grid's
-- polygon = the union of their parcels (EPSG:4326; a freehand layout keeps its own polygon) and
-- households, building_count = the sums over their parcels. NULL refreshes every row of that
-- level (bulk loads), '{}' none. One branch per case, as in ga_refresh_parcels.
CREATE OR REPLACE FUNCTION ga_refresh_units(grid_ids bigint[], microgrid_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF grid_ids IS NULL THEN
    UPDATE layers_grid u
       SET geom = CASE WHEN u.geom_source = 'parcels' THEN s.geom ELSE u.geom END,
           households = s.hh, building_count = s.n
      FROM (SELECT u2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                   coalesce(sum(p.households), 0)::int AS hh,
                   coalesce(sum(p.building_count), 0)::int AS n
              FROM layers_grid u2
              LEFT JOIN layers_parcel p ON p.grid_id = u2.id
             GROUP BY u2.id) s
     WHERE u.id = s.id;
  ELSE
    UPDATE layers_grid u
       SET geom = CASE WHEN u.geom_source = 'parcels' THEN s.geom ELSE u.geom END,
           households = s.hh, building_count = s.n
      FROM (SELECT u2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                   coalesce(sum(p.households), 0)::int AS hh,
                   coalesce(sum(p.building_count), 0)::int AS n
              FROM layers_grid u2
              LEFT JOIN layers_parcel p ON p.grid_id = u2.id
             WHERE u2.id = ANY(grid_ids)
             GROUP BY u2.id) s
     WHERE u.id = s.id;
  END IF;
  IF microgrid_ids IS NULL THEN
    UPDATE layers_microgrid u
       SET geom = CASE WHEN u.geom_source = 'parcels' THEN s.geom ELSE u.geom END,
           households = s.hh, building_count = s.n
      FROM (SELECT u2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                   coalesce(sum(p.households), 0)::int AS hh,
                   coalesce(sum(p.building_count), 0)::int AS n
              FROM layers_microgrid u2
              LEFT JOIN layers_parcel p ON p.micro_grid_id = u2.id
             GROUP BY u2.id) s
     WHERE u.id = s.id;
  ELSE
    UPDATE layers_microgrid u
       SET geom = CASE WHEN u.geom_source = 'parcels' THEN s.geom ELSE u.geom END,
           households = s.hh, building_count = s.n
      FROM (SELECT u2.id, ST_Multi(ST_Union(p.geom)) AS geom,
                   coalesce(sum(p.households), 0)::int AS hh,
                   coalesce(sum(p.building_count), 0)::int AS n
              FROM layers_microgrid u2
              LEFT JOIN layers_parcel p ON p.micro_grid_id = u2.id
             WHERE u2.id = ANY(microgrid_ids)
             GROUP BY u2.id) s
     WHERE u.id = s.id;
  END IF;
END $$;

-- After any statement that changes parcels: refresh the grids and micro-grids they were in and
-- are in now (ga_refresh_units), once per statement.
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

CREATE OR REPLACE TRIGGER ga_parcel_ins AFTER INSERT ON layers_parcel
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();
CREATE OR REPLACE TRIGGER ga_parcel_upd AFTER UPDATE ON layers_parcel
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();
CREATE OR REPLACE TRIGGER ga_parcel_del AFTER DELETE ON layers_parcel
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ga_parcel_touch_units();

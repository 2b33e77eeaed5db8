-- Published layout revisions and their grid snapshots are history: the database refuses to
-- delete them or change them, except the state columns of a scheduled publish, each once:
-- applied_at and cancelled_at from empty to a time (never both), apply_error freely (the last
-- failure), and author/cancelled_by to empty when their user is deleted. A snapshot row has
-- none of those columns, so updating one fails as well.
CREATE OR REPLACE FUNCTION ga_layout_revision_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state_columns text[] := ARRAY['applied_at', 'cancelled_at', 'cancelled_by_id', 'apply_error',
                                'author_id'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'layout revisions are immutable: publish a new one instead';
  END IF;
  IF (to_jsonb(OLD) - state_columns) IS DISTINCT FROM (to_jsonb(NEW) - state_columns)
     OR (OLD.applied_at IS NOT NULL AND NEW.applied_at IS DISTINCT FROM OLD.applied_at)
     OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at)
     OR (NEW.applied_at IS NOT NULL AND NEW.cancelled_at IS NOT NULL)
     OR (NEW.author_id IS NOT NULL AND NEW.author_id IS DISTINCT FROM OLD.author_id)
     OR (OLD.cancelled_by_id IS NOT NULL AND NEW.cancelled_by_id IS NOT NULL
         AND NEW.cancelled_by_id <> OLD.cancelled_by_id) THEN
    RAISE EXCEPTION 'layout revisions are immutable: a scheduled one may only take effect or '
                    'be cancelled, once; publish a new one instead';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER layout_revision_immutable BEFORE UPDATE OR DELETE
  ON layers_layoutrevision FOR EACH ROW
  EXECUTE FUNCTION ga_layout_revision_immutable();
CREATE OR REPLACE TRIGGER layout_revision_grid_immutable BEFORE UPDATE OR DELETE
  ON layers_layoutrevisiongrid FOR EACH ROW
  EXECUTE FUNCTION ga_layout_revision_immutable();

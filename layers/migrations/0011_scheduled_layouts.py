"""Scheduled layouts (issue 13): a publish dated in the future waits as a revision whose
applied_at is empty until a worker applies it on the day, and may be cancelled before then.

The immutability trigger now lets exactly those state columns change, each once: applied_at and
cancelled_at from empty to a time (never both), apply_error freely (the last failure), and
author/cancelled_by to empty when their user is deleted. Everything else stays refused."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

IMMUTABLE = """
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
"""

IMMUTABLE_BEFORE = """
CREATE OR REPLACE FUNCTION ga_layout_revision_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'layout revisions are immutable: publish a new one instead';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0010_jobs_batch_lookup"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="layoutrevision",
            name="applied_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When it became the live layout; empty while scheduled",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="layoutrevision",
            name="apply_error",
            field=models.TextField(
                blank=True, help_text="Why a scheduled publish could not take effect on its date"
            ),
        ),
        migrations.AddField(
            model_name="layoutrevision",
            name="cancelled_at",
            field=models.DateTimeField(
                blank=True, help_text="When a scheduled publish was withdrawn", null=True
            ),
        ),
        migrations.AddField(
            model_name="layoutrevision",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(IMMUTABLE, IMMUTABLE_BEFORE),
        # Every revision before this migration went live when it was published.
        migrations.RunSQL(
            "UPDATE layers_layoutrevision SET applied_at = created_at WHERE applied_at IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="layoutrevision",
            index=models.Index(
                fields=["effective_date"],
                name="layout_revision_pending",
                condition=models.Q(applied_at__isnull=True, cancelled_at__isnull=True),
            ),
        ),
    ]

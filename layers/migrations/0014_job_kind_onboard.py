"""A district onboarding is a background job too (issue 15, layers/jobs.py): a choice of
Job.kind, no change in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0013_onboarding_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(
                choices=[("batch_lookup", "batch lookup"), ("onboard", "district onboarding")],
                max_length=20,
            ),
        ),
    ]

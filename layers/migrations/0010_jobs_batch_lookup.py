"""Background jobs (batch lookups first) and their files, and who may run a batch lookup.

The `layers.batch_lookup` permission goes to a group, BATCH_LOOKUP_GROUP, which this migration
creates with every staff user and every planner (a user with streets to plan) in it: the people
who work with the city's tables at a desk. Field workers look addresses up one at a time on
/lookup/; an administrator adds anyone else to the group in /admin/.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH_LOOKUP_GROUP = "batch lookup (批量查询)"


def batch_lookup_grant(apps, schema_editor):
    # The permission is created here, not left to post_migrate, so the group can hold it now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    PlannerStreet = apps.get_model("layers", "PlannerStreet")
    content_type, _ = ContentType.objects.get_or_create(app_label="layers", model="job")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="batch_lookup",
        defaults={"name": "Can run batch lookups (批量查询)"},
    )
    group, _ = Group.objects.get_or_create(name=BATCH_LOOKUP_GROUP)
    group.permissions.add(permission)
    planners = PlannerStreet.objects.values("user_id")
    users = User.objects.filter(models.Q(is_staff=True) | models.Q(pk__in=planners))
    group.user_set.add(*users)


def batch_lookup_revoke(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=BATCH_LOOKUP_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0009_refresh_by_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "kind",
                    models.CharField(choices=[("batch_lookup", "batch lookup")], max_length=20),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("progress_done", models.PositiveIntegerField(default=0, help_text="rows done")),
                (
                    "progress_total",
                    models.PositiveIntegerField(
                        blank=True, help_text="rows in the input (known once it is read)", null=True
                    ),
                ),
                (
                    "params",
                    models.JSONField(
                        blank=True, default=dict, help_text="the task's options, e.g. crs"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        help_text="the UI language the result is written in", max_length=10
                    ),
                ),
                (
                    "input_name",
                    models.CharField(help_text="the uploaded file's name", max_length=255),
                ),
                (
                    "summary",
                    models.JSONField(blank=True, help_text="matched/unmatched counts", null=True),
                ),
                ("error", models.TextField(blank=True, help_text="why it failed, for the user")),
                (
                    "queue_job_id",
                    models.BigIntegerField(
                        blank=True,
                        help_text="procrastinate_jobs.id of the task running it",
                        null=True,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "job (后台任务)",
                "ordering": ["-created_at"],
                "permissions": [("batch_lookup", "Can run batch lookups (批量查询)")],
            },
        ),
        migrations.CreateModel(
            name="JobFile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("input", "input"), ("result", "result")], max_length=10
                    ),
                ),
                ("name", models.CharField(max_length=255)),
                ("content_type", models.CharField(max_length=100)),
                ("data", models.BinaryField()),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="files",
                        to="layers.job",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["owner", "status"], name="job_owner_status"),
        ),
        migrations.AddConstraint(
            model_name="jobfile",
            constraint=models.UniqueConstraint(
                fields=("job", "role"), name="job_file_one_per_role"
            ),
        ),
        migrations.RunPython(batch_lookup_grant, batch_lookup_revoke),
    ]

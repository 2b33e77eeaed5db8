"""Background jobs a user started (batch lookups, district onboardings) and their files.

The queue itself is procrastinate's (layers/jobs.py); a `Job` is what the user sees of one queued
task: whose it is, how far it got, its error, its result. The input and result files are kept in
the database (`JobFile`), not on a disk: the web process that receives an upload and the worker
that reads it may run on different machines or containers (docker-compose's `app` and `worker`),
and a row is swept with its job, so nothing is left behind on a disk.
"""

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        BATCH_LOOKUP = "batch_lookup", "batch lookup"
        ONBOARD = "onboard", "district onboarding"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)  # what the per-user limit counts

    # A random id: a job's URL reveals nothing about how many jobs exist or whose they are.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0, help_text="rows done")
    progress_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="rows in the input (known once it is read)"
    )
    params = models.JSONField(default=dict, blank=True, help_text="the task's options, e.g. crs")
    language = models.CharField(max_length=10, help_text="the UI language the result is written in")
    input_name = models.CharField(max_length=255, help_text="the uploaded file's name")
    summary = models.JSONField(null=True, blank=True, help_text="matched/unmatched counts")
    error = models.TextField(blank=True, help_text="why it failed, for the user")
    queue_job_id = models.BigIntegerField(
        null=True, blank=True, help_text="procrastinate_jobs.id of the task running it"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "job (后台任务)"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status"], name="job_owner_status")]
        permissions = [("batch_lookup", "Can run batch lookups (批量查询)")]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.status})"


class JobFile(models.Model):
    """A job's input or result file (bounded by the upload limit, GRIDATLAS_UPLOAD_MAX_BYTES)."""

    class Role(models.TextChoices):
        INPUT = "input", "input"
        RESULT = "result", "result"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "role"], name="job_file_one_per_role")
        ]

    def __str__(self):
        return f"{self.job_id} {self.role}: {self.name}"

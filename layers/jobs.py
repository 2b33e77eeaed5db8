"""The job queue: long work runs in a worker process beside gunicorn, never in a web request.

The queue is procrastinate on the project's own PostgreSQL (no new server): a view defers a task
in its own transaction, so a request that fails queues nothing, and `manage.py procrastinate
worker` runs the tasks (`make run` starts one beside gunicorn; docker-compose has a `worker`
service). A `Job` row (layers/models/jobs.py) is what the user sees of a task: status, progress,
error and result file, readable only by its owner and staff.

One module in the `layers` app, not a `jobs` app of its own: the tasks run the layers' services
and the Job model needs an app and a migration; the next kinds of job (reports, scheduled layout
publishes, coverage refresh) add a task and a `Job.Kind` here.
"""

import datetime
import io
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from geo.chinese_crs import canonical_crs
from geo.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    SignInRequired,
    TooManyRequests,
)
from layers.io.archive_guard import zip_check
from layers.io.code_map import code_map_parse
from layers.io.division_checks import county_resolve
from layers.models import Job, JobFile
from layers.services.layout_schedule import layouts_due_apply
from layers.services.lookup_batch import FORMATS, batch_lookup, table_read, table_write
from layers.services.onboard import district_onboard, onboard_authorise

log = logging.getLogger(__name__)

BATCH_LOOKUP_PERMISSION = "layers.batch_lookup"
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNMATCHED_LISTED = 1000  # rows listed in a job's summary (the result file has them all)


# --- services (writes) ---------------------------------------------------------------------------


def _job_queued(kind, task, *, owner, params: dict, language: str, file: tuple) -> Job:
    """A job row with its input file, deferred to `task`, in the caller's transaction (the
    queue row and the job commit together, or neither)."""
    name, content_type, data = file
    job = Job.objects.create(
        kind=kind, owner=owner, params=params, language=language, input_name=name
    )
    JobFile.objects.create(
        job=job, role=JobFile.Role.INPUT, name=name, content_type=content_type, data=data
    )
    job.queue_job_id = task.defer(job_id=str(job.id))
    job.save(update_fields=["queue_job_id"])
    return job


def batch_lookup_submit(*, user, data: bytes, filename: str, crs: str, language: str) -> Job:
    """Queue a batch lookup of an uploaded CSV/XLSX for `user`: the Job, its input file and the
    task, in one transaction. TooManyRequests past GRIDATLAS_BATCH_JOBS_PER_USER_MAX queued or
    running; the file itself is read by the worker (a bad file fails the job, with the reason)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise BadRequest(f"{filename!r}: send a .csv or .xlsx file")
    crs = canonical_crs(crs)
    limit = settings.GRIDATLAS_BATCH_JOBS_PER_USER_MAX
    with transaction.atomic():
        # The user's row locked: two uploads at once cannot both slip under the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        active = Job.objects.filter(
            owner=user, kind=Job.Kind.BATCH_LOOKUP, status__in=Job.ACTIVE
        ).count()
        if active >= limit:
            raise TooManyRequests(
                f"you already have {active} batch lookups queued or running (at most {limit} at "
                "once): wait for one to finish, then upload this file again",
                limit=limit,
            )
        job = _job_queued(
            Job.Kind.BATCH_LOOKUP,
            batch_lookup_task,
            owner=user,
            params={"crs": crs},
            language=language,
            file=(filename, CONTENT_TYPES[suffix], data),
        )
    return job


def _job_update(job_id: uuid.UUID, **fields) -> None:
    # One autocommitted UPDATE: a poller sees the progress at once.
    Job.objects.filter(pk=job_id).update(**fields)


def _job_fail(job_id: uuid.UUID, message: str) -> None:
    _job_update(job_id, status=Job.Status.FAILED, error=message, finished_at=timezone.now())


def batch_lookup_run(*, job_id: uuid.UUID) -> None:
    """Run a queued batch lookup (in the worker): read the input, look every row up reporting
    progress every GRIDATLAS_JOB_PROGRESS_EVERY_ROWS rows, keep the result file and a summary.
    A file the lookup refuses fails the job with the reason the synchronous API gave as a 400."""
    job = Job.objects.filter(pk=job_id, status__in=Job.ACTIVE).first()
    if job is None:
        return  # swept, or already run by a retried task
    _job_update(job.pk, status=Job.Status.RUNNING, started_at=timezone.now(), progress_done=0)
    try:
        with translation.override(job.language):
            result_file, summary, total = _batch_lookup_file(job)
    except DomainError as exc:
        _job_fail(job.pk, exc.message)
        return
    except Exception:
        _job_fail(job.pk, f"the lookup failed on the server: tell the administrator job {job.pk}")
        raise  # the worker logs the traceback and marks its task failed
    with transaction.atomic():
        result_file.save()
        _job_update(
            job.pk,
            status=Job.Status.DONE,
            progress_done=total,
            summary=summary,
            finished_at=timezone.now(),
        )


def job_progress_reporter(*, job_id: uuid.UUID) -> Callable[[int], None]:
    """A `progress(rows_done)` callback that writes the job's progress once every
    GRIDATLAS_JOB_PROGRESS_EVERY_ROWS rows: often enough for a progress bar, one UPDATE per
    thousand rows, not per row."""
    every = max(1, settings.GRIDATLAS_JOB_PROGRESS_EVERY_ROWS)
    reported = 0

    def progress(done: int) -> None:
        nonlocal reported
        if done - reported >= every:
            reported = done
            _job_update(job_id, progress_done=done)

    return progress


def _batch_lookup_file(job: Job) -> tuple[JobFile, dict, int]:
    source = JobFile.objects.get(job=job, role=JobFile.Role.INPUT)
    table = table_read(data=bytes(source.data), filename=source.name)
    total = len(table.rows)
    _job_update(job.pk, progress_total=total)
    progress = job_progress_reporter(job_id=job.pk)
    result = batch_lookup(table=table, crs=job.params.get("crs", "wgs84"), progress=progress)
    summary = {
        "rows": total,
        "matched": result.matched,
        "blank": result.blank,
        # The true total; the list stops at UNMATCHED_LISTED (the result file has every row).
        "unmatched_count": len(result.unmatched),
        "unmatched": [{"row": n, "reason": why} for n, why in result.unmatched[:UNMATCHED_LISTED]],
        "unmatched_capped": len(result.unmatched) > UNMATCHED_LISTED,
        "columns_added": result.table.header[len(table.header) :],
    }
    stem = source.name.rsplit(".", 1)[0]
    result_file = JobFile(
        job=job,
        role=JobFile.Role.RESULT,
        name=f"{stem}-lookup.{table.fmt}",
        content_type=CONTENT_TYPES[table.fmt],
        data=table_write(result.table),
    )
    return result_file, summary, total


def onboard_submit(
    *, user, data: bytes, filename: str, county: str, code_map: str, language
) -> Job:
    """Queue the onboarding of a district's zip for `user` (layers.services.onboard): the Job,
    its input and the task in one transaction. What can be refused without unpacking the files
    is refused here (who, a zip, the county, the code map); the files are read by the worker."""
    onboard_authorise(user=user)
    if not filename.lower().endswith(".zip"):
        raise BadRequest(f"{filename!r}: send the district's files as one .zip")
    zip_check(source=data, name=filename)
    _zip_readable(data, filename)
    county_resolve(county)
    code_map_parse(code_map)  # inline only: from the web a path is refused unread
    with transaction.atomic():
        job = _job_queued(
            Job.Kind.ONBOARD,
            onboard_task,
            owner=user,
            params={"county": county, "code_map": code_map},
            language=language,
            file=(filename, "application/zip", data),
        )
    return job


def _zip_readable(data: bytes, filename: str) -> None:
    """A damaged zip is refused now, not by the worker after the user has left the page."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise BadRequest(
            f"{filename} is not a complete zip archive ({exc}): zip it again"
        ) from None
    if bad is not None:
        raise BadRequest(f"{filename}: member {bad} is damaged: zip the folder again")


def onboard_run(*, job_id: uuid.UUID) -> None:
    """Run a queued onboarding (in the worker) as its owner, who must still be allowed to. The
    report is the job's summary and its result file (text); a folder refused before any import
    fails the job with the reason, a file refused by its rows is a done job whose report says
    REFUSED (nothing written either way)."""
    job = Job.objects.filter(pk=job_id, status__in=Job.ACTIVE).first()
    if job is None:
        return
    _job_update(job.pk, status=Job.Status.RUNNING, started_at=timezone.now(), progress_done=0)
    try:
        with translation.override(job.language), tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "district.zip"
            source = JobFile.objects.get(job=job, role=JobFile.Role.INPUT)
            path.write_bytes(bytes(source.data))
            report = district_onboard(
                path=path,
                county=job.params.get("county") or None,
                dry_run=False,
                user=job.owner,
                code_map=code_map_parse(job.params.get("code_map")),
                progress=_onboard_progress(job.pk),
            )
    except DomainError as exc:
        _job_fail(job.pk, exc.message)
        return
    except Exception:
        _job_fail(
            job.pk, f"the onboarding failed on the server: tell the administrator job {job.pk}"
        )
        raise
    stem = job.input_name.rsplit(".", 1)[0]
    result = JobFile(
        job=job,
        role=JobFile.Role.RESULT,
        name=f"{stem}-onboard.txt",
        content_type="text/plain; charset=utf-8",
        data=report.as_text().encode(),
    )
    with transaction.atomic():
        result.save()
        _job_update(
            job.pk,
            status=Job.Status.DONE,
            progress_done=len(report.files) + 3,
            summary=report.as_dict(),
            finished_at=timezone.now(),
        )


def _onboard_progress(job_id: uuid.UUID) -> Callable[[str, int, int], None]:
    """Progress in steps (read, recognise, each file, check). Only the steps before the imports
    are written: the imports run in one transaction, and an UPDATE made inside it would be seen
    by nobody until it ends (and undone with it when a file is refused)."""

    def progress(step: str, done: int, total: int) -> None:
        if not connection.in_atomic_block:
            _job_update(job_id, progress_done=done, progress_total=total)

    return progress


def job_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Give up jobs whose task can no longer finish them, and delete jobs (with their files)
    finished more than GRIDATLAS_JOB_KEEP_HOURS ago. Returns {"lost": n, "deleted": n}.

    A task is over when procrastinate says it failed, was cancelled or aborted, or no longer has
    it; it is lost when its worker has sent no heartbeat for GRIDATLAS_JOB_STALLED_AFTER_S (the
    worker was killed mid-job). Its Job would otherwise hold one of the user's slots forever."""
    now = now or timezone.now()
    heartbeat_after = now - datetime.timedelta(seconds=settings.GRIDATLAS_JOB_STALLED_AFTER_S)
    alive = ProcrastinateJob.objects.filter(
        Q(status="todo") | Q(status="doing", worker__last_heartbeat__gte=heartbeat_after)
    ).values("id")
    lost = Job.objects.filter(status__in=Job.ACTIVE, created_at__lt=heartbeat_after).exclude(
        queue_job_id__in=alive
    )
    n_lost = lost.update(
        status=Job.Status.FAILED,
        error="the job stopped before it finished (its worker was stopped): upload the file again",
        finished_at=now,
    )
    old = now - datetime.timedelta(hours=settings.GRIDATLAS_JOB_KEEP_HOURS)
    _, deleted = Job.objects.filter(finished_at__lt=old).delete()  # their files with them
    return {"lost": n_lost, "deleted": deleted.get(Job._meta.label, 0)}


# --- selectors (reads) ---------------------------------------------------------------------------


def job_for_user(*, job_id: uuid.UUID, user) -> Job:
    """The job, if `user` started it or is staff; NotFound otherwise (another user's job is not
    revealed to exist)."""
    jobs = Job.objects.all() if user.is_staff else Job.objects.filter(owner=user)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"no job {job_id} of yours: it may have been deleted after a day")
    return job


def job_result(*, job: Job) -> JobFile:
    """The result file of a finished job; Conflict while it runs, with what to do."""
    if job.status != Job.Status.DONE:
        hint = job.error if job.status == Job.Status.FAILED else "poll its status until done"
        raise Conflict(f"job {job.pk} is {job.status}, it has no result: {hint}", status=job.status)
    return JobFile.objects.get(job=job, role=JobFile.Role.RESULT)


# --- the tasks the worker runs (names are kept stable: queued rows refer to them) ----------------


@app.task(name="batch_lookup", queue="lookup")
def batch_lookup_task(*, job_id: str) -> None:
    batch_lookup_run(job_id=uuid.UUID(job_id))


@app.task(name="onboard", queue="onboard")
def onboard_task(*, job_id: str) -> None:
    onboard_run(job_id=uuid.UUID(job_id))


@app.periodic(cron="*/10 * * * *", periodic_id="jobs_sweep")
@app.task(name="jobs_sweep", queue="maintenance", pass_context=True)
async def jobs_sweep_task(context, timestamp: int) -> None:
    counts = await sync_to_async(job_sweep)()
    if any(counts.values()):
        log.info("jobs swept: %s", counts)
    # procrastinate's own rows of finished tasks, kept as long as the Jobs.
    await context.app.job_manager.delete_old_jobs(
        nb_hours=settings.GRIDATLAS_JOB_KEEP_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


@app.periodic(cron="* * * * *", periodic_id="layouts_take_effect")
@app.task(name="layouts_take_effect", queue="maintenance")
def layouts_take_effect_task(timestamp: int) -> None:
    """Scheduled layouts go live on their date (layers/services/layout_schedule.py). The date is
    the tick's, not the clock's when the task runs: a tick queued at 23:59 behind a long job
    does not apply the next day's layouts early."""
    tick = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    counts = layouts_due_apply(today=timezone.localdate(tick))
    if any(counts.values()):
        log.info("scheduled layouts: %s", counts)


# --- the edges the views share -------------------------------------------------------------------


def batch_lookup_authorise(*, user) -> None:
    """SignInRequired (401) for anonymous users, Forbidden (403) without the permission."""
    if not user.is_authenticated:
        raise SignInRequired("sign in (/accounts/login/) to run a batch lookup")
    if not user.has_perm(BATCH_LOOKUP_PERMISSION):
        raise Forbidden(
            "batch lookups need the layers.batch_lookup permission: ask an administrator to add "
            "you to the group “batch lookup (批量查询)”"
        )


def job_as_json(job: Job) -> dict:
    """A job as GET /api/jobs/{id} answers it (URLs included, so a client only follows them)."""
    body = {
        "id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "input_name": job.input_name,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error or None,
        "summary": job.summary,
        "status_url": reverse("api-job", args=[job.pk]),
        "result_url": None,
    }
    if job.status == Job.Status.DONE:
        body["result_url"] = reverse("api-job-result", args=[job.pk])
    return body

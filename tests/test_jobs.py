"""The job queue and the batch lookup as a background job: POST /api/lookup/batch needs a signed-in
user with layers.batch_lookup, answers 202 and queues a procrastinate task; the worker (run
in-process) fills the Job's progress and result; only the owner and staff see a job; a user may
have GRIDATLAS_BATCH_JOBS_PER_USER_MAX jobs at once; the sweep gives up lost jobs and deletes old
ones; the migration grants the permission to staff and planners."""

import csv
import datetime
import importlib
import io
import threading
import uuid

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from layers.jobs import job_progress_reporter, job_sweep
from layers.models import Grid, Job, JobFile, PlannerStreet
from layers.services.lookup_batch import ADDED_COLUMNS
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost, sign_in
from tests.demo_city_support import city_loaded, plan_make
from tests.factories import hierarchy_make

POINTS_CSV = b"name,lon,lat\nnowhere,100.0,20.0\n"
PW = "pw-jobs-1"
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000


def user_make(name, *, permitted=True, staff=False):
    user = get_user_model().objects.create_user(name, password=PW, is_staff=staff)
    if permitted:
        user.user_permissions.add(Permission.objects.get(codename="batch_lookup"))
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, name="points.csv", data=POINTS_CSV, **fields):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/api/lookup/batch", {"file": upload, **fields})


QUEUE_TABLES = "procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers"


@pytest.fixture
def empty_queue():
    """procrastinate's tables are not Django-managed, so a committing test's flush leaves them
    as they are: empty them before and after, so no other test's worker runs these tasks."""

    def empty():
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {QUEUE_TABLES} CASCADE")

    empty()
    yield
    empty()


def worker_drain() -> None:
    """Run the queued tasks as `manage.py procrastinate worker` does (its own psycopg connector;
    the Django connector is for deferring) until the queue is empty, in a thread of its own:
    Playwright's sync API holds an event loop in this one."""

    def run():
        with app.replace_connector(app.connector.get_worker_connector()):
            app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)


def queued() -> tuple[int, int]:
    return Job.objects.count(), ProcrastinateJob.objects.count()


@pytest.mark.django_db
def test_anonymous_and_users_without_the_permission_queue_nothing(client):
    before = queued()
    r = post(client)
    assert r.status_code == 401 and "sign in" in r.json()["error"]
    r = post(signed_in(user_make("plain", permitted=False)))
    assert r.status_code == 403 and "layers.batch_lookup" in r.json()["error"]
    r = post(signed_in(user_make("staff-only", permitted=False, staff=True)))
    assert r.status_code == 403
    assert queued() == before
    assert client.get(f"/api/jobs/{uuid.uuid4()}").status_code == 401


@pytest.mark.django_db
def test_csrf_is_checked_after_the_sign_in():
    client = Client(enforce_csrf_checks=True)
    assert post(client).status_code == 401  # anonymous: told to sign in, not about a token
    client.force_login(user_make("scripted"))
    r = post(client)
    assert r.status_code == 403 and "X-CSRFToken" in r.json()["error"]
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_a_permitted_upload_is_queued_and_only_its_owner_and_staff_see_it():
    owner = signed_in(user_make("owner"))
    r = post(owner, crs="gcj02")
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued" and body["result_url"] is None
    assert r["Location"] == body["status_url"] == f"/api/jobs/{body['id']}"
    job = Job.objects.get(pk=body["id"])
    assert job.params == {"crs": "gcj02"} and job.input_name == "points.csv"
    assert bytes(job.files.get(role="input").data) == POINTS_CSV
    task = ProcrastinateJob.objects.get(pk=job.queue_job_id)
    assert (task.task_name, task.status, task.args) == (
        "batch_lookup",
        "todo",
        {"job_id": body["id"]},
    )

    assert owner.get(body["status_url"]).json()["progress"] == {"done": 0, "total": None}
    r = owner.get(f"{body['status_url']}/result")
    assert r.status_code == 409 and "poll its status" in r.json()["error"]
    stranger = signed_in(user_make("stranger"))
    assert stranger.get(body["status_url"]).status_code == 404
    assert stranger.get(f"{body['status_url']}/result").status_code == 404
    assert signed_in(user_make("admin", staff=True)).get(body["status_url"]).status_code == 200


@pytest.mark.django_db
def test_files_and_options_the_lookup_cannot_take_are_400_before_queueing():
    client = signed_in(user_make("careless"))
    r = post(client, name="points.txt")
    assert r.status_code == 400 and "send a .csv or .xlsx" in r.json()["error"]
    r = post(client, crs="utm")
    assert r.status_code == 400 and "unknown coordinate system" in r.json()["error"]
    r = client.post("/api/lookup/batch", {})
    assert r.status_code == 400 and "field named `file`" in r.json()["error"]
    assert client.get("/api/lookup/batch").status_code == 405
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_a_user_may_have_only_so_many_jobs_queued_or_running(settings):
    settings.GRIDATLAS_BATCH_JOBS_PER_USER_MAX = 2
    busy = signed_in(user_make("busy"))
    first, second = post(busy).json(), post(busy).json()
    r = post(busy)
    assert r.status_code == 429
    assert "2 batch lookups queued or running" in r.json()["error"] and r.json()["limit"] == 2
    assert Job.objects.filter(owner__username="busy").count() == 2
    assert post(signed_in(user_make("other"))).status_code == 202  # a limit per user
    Job.objects.filter(pk=first["id"]).update(status=Job.Status.RUNNING)
    assert post(busy).status_code == 429  # running counts too
    Job.objects.filter(pk=second["id"]).update(status=Job.Status.DONE)
    assert post(busy).status_code == 202


def csv_bytes(rows):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_job_and_the_owner_downloads_the_result(
    empty_queue, django_db_blocker, settings
):
    settings.GRIDATLAS_JOB_PROGRESS_EVERY_ROWS = 2
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        grids = list(Grid.objects.order_by("code")[:3])
        rows = [["name", "lon", "lat"]]
        rows += [
            [g.code, f"{p.x:.7f}", f"{p.y:.7f}"] for g in grids for p in [g.geom.point_on_surface]
        ]
        rows.append(["nowhere", "100.0", "20.0"])
        client = signed_in(user_make("clerk"))
        good = post(client, name="网格点.csv", data=csv_bytes(rows)).json()
        bad = post(client, name="bad.csv", data="名称,备注\n甲,乙\n".encode()).json()

        worker_drain()

        status = client.get(good["status_url"]).json()
        assert status["status"] == "done", status
        assert status["progress"] == {"done": 4, "total": 4}
        assert status["summary"]["matched"] == 3
        assert status["summary"]["unmatched"] == [{"row": 5, "reason": "不在任何网格内"}]
        r = client.get(status["result_url"])
        assert r.status_code == 200 and r["Content-Type"] == "text/csv"
        assert (
            "attachment" in r["Content-Disposition"] and "-lookup.csv" in r["Content-Disposition"]
        )
        out = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert out[0] == rows[0] + list(ADDED_COLUMNS)
        grid_col = out[0].index("网格编码")
        assert [row[grid_col] for row in out[1:]] == [g.code for g in grids] + [""]
        assert signed_in(user_make("nosy")).get(status["result_url"]).status_code == 404

        failed = client.get(bad["status_url"]).json()
        assert failed["status"] == "failed" and "no address column" in failed["error"]
        assert client.get(f"{bad['status_url']}/result").status_code == 409
        assert set(ProcrastinateJob.objects.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.django_db
def test_the_sweep_gives_up_lost_jobs_and_deletes_old_ones(settings):
    settings.GRIDATLAS_BATCH_JOBS_PER_USER_MAX = 3
    client = signed_in(user_make("sweeper"))
    waiting, lost, old = (post(client).json()["id"] for _ in range(3))
    Job.objects.filter(pk=lost).update(status=Job.Status.RUNNING, queue_job_id=-1)  # task gone
    Job.objects.filter(pk=old).update(
        status=Job.Status.DONE, finished_at=timezone.now() - datetime.timedelta(days=2)
    )
    counts = job_sweep(now=timezone.now() + datetime.timedelta(hours=1))
    assert counts == {"lost": 1, "deleted": 1}
    assert Job.objects.get(pk=waiting).status == Job.Status.QUEUED  # its task is still to do
    gone = Job.objects.get(pk=lost)
    assert gone.status == Job.Status.FAILED and "upload the file again" in gone.error
    assert not Job.objects.filter(pk=old).exists()
    assert not JobFile.objects.filter(job_id=old).exists()


@pytest.mark.django_db
def test_the_migration_grants_batch_lookups_to_staff_and_planners():
    migration = importlib.import_module("layers.migrations.0010_jobs_batch_lookup")
    User = get_user_model()
    User.objects.create_user("desk", is_staff=True)
    planner = User.objects.create_user("planner")
    PlannerStreet.objects.create(user=planner, street=hierarchy_make().street)
    worker = User.objects.create_user("field-worker")
    migration.batch_lookup_grant(apps, None)
    permitted = {u.username for u in User.objects.all() if u.has_perm("layers.batch_lookup")}
    assert permitted == {"desk", "planner"} and not worker.has_perm("layers.batch_lookup")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_lookup_page_uploads_polls_and_offers_the_result(
    empty_queue, live_server, django_db_blocker, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        grids = list(Grid.objects.order_by("code")[:5])
        rows = [["名称", "经度", "纬度"]]
        rows += [
            [g.name, f"{p.x:.7f}", f"{p.y:.7f}"] for g in grids for p in [g.geom.point_on_surface]
        ]
        user_make("desk-clerk")
        problems: list[str] = []
        requests: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                anonymous = browser.new_page(viewport=PHONE)
                anonymous.goto(live_server.url + "/lookup/")
                assert anonymous.locator("#batch").count() == 0  # only with the permission

                context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
                page = context.new_page()
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(str(e)))
                sign_in(page, live_server.url + "/accounts/login/?next=/lookup/", "desk-clerk", PW)
                # The script, not the browser, must handle the submit: wait until it is attached
                # (on a busy machine the deferred script can run after the form is shown).
                page.wait_for_selector("#batch[data-ready='1']", timeout=TIMEOUT_MS)
                assert "批量查询" in page.locator("#batch-title").inner_text()
                page.set_input_files(
                    "#batch-file",
                    {"name": "网格点.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)},
                )
                page.locator("#batch-form button[type=submit]").click()
                page.wait_for_selector("#batch[data-status=queued]", timeout=TIMEOUT_MS)
                assert "已排队" in page.locator("#batch-status").inner_text()
                page.locator("#batch").scroll_into_view_if_needed()
                page.screenshot(path=artifacts_dir / "lookup_batch_queued_phone.png")

                worker_drain()

                page.wait_for_selector("#batch[data-status=done]", timeout=TIMEOUT_MS)
                assert "完成：5 行中已匹配 5 行" in page.locator("#batch-status").inner_text()
                assert page.locator("#batch-progress").evaluate("p => p.value === p.max")
                with page.expect_download() as download:
                    page.locator("#batch-result").click()
                assert download.value.suggested_filename == "网格点-lookup.csv"
                page.screenshot(path=artifacts_dir / "lookup_batch_done_phone.png", full_page=True)
                page.set_viewport_size({"width": 1400, "height": 1000})
                page.screenshot(
                    path=artifacts_dir / "lookup_batch_done_desktop.png", full_page=True
                )
            finally:
                browser.close()
        assert problems == []
        assert requests_leaving_localhost(requests) == []


@pytest.mark.django_db
def test_progress_is_written_every_so_many_rows(settings):
    settings.GRIDATLAS_JOB_PROGRESS_EVERY_ROWS = 100
    job = Job.objects.get(pk=post(signed_in(user_make("counter"))).json()["id"])
    progress = job_progress_reporter(job_id=job.pk)
    seen = []
    for done in (50, 100, 150, 199, 250, 300):
        progress(done)
        job.refresh_from_db()
        seen.append(job.progress_done)
    assert seen == [0, 100, 100, 100, 250, 250]

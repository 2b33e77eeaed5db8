"""The onboarding page in headless Chromium, as a district's staff use it: sign in, upload the
district's zip on /import/, see the job queued, and (once the worker has run it) the report of
what went in; at desktop and phone size, nothing loaded from outside."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from fixtures.district_corpus import corpus_build
from layers.models import Grid, Job
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost, sign_in
from tests.test_jobs import empty_queue, worker_drain  # noqa: F401 (a fixture, used by name)
from tests.test_onboard import _zip

PW = "pw-onboard-1"
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60_000


def off_loop(fn):
    """Run an ORM call in a thread of its own: Playwright's sync API holds an event loop in
    this one, where Django refuses to query."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.mark.django_db(transaction=True)
def test_staff_onboard_a_district_from_the_import_page(
    empty_queue,  # noqa: F811
    live_server,
    tmp_path,
    chromium_path,
    artifacts_dir,
):
    from playwright.sync_api import sync_playwright

    folder = tmp_path / "zhangwan"
    folder.mkdir()
    manifest = corpus_build(out_dir=folder, county="420303", size="small")
    staff = get_user_model().objects.create_user("onboard-staff", password=PW, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            sign_in(page, live_server.url + "/accounts/login/?next=/import/", "onboard-staff", PW)
            page.wait_for_selector("#onboard-form", timeout=TIMEOUT_MS)
            page.set_input_files(
                "#onboard-file",
                {"name": "张湾区.zip", "mimeType": "application/zip", "buffer": _zip(folder)},
            )
            page.fill("#onboard-county", "张湾区")
            page.locator("#onboard-submit").click()
            page.wait_for_url("**/import/onboard/**", timeout=TIMEOUT_MS)
            job = off_loop(lambda: Job.objects.get(kind=Job.Kind.ONBOARD, owner=staff))
            assert job.status in (Job.Status.QUEUED, Job.Status.RUNNING)
            page.screenshot(path=artifacts_dir / "onboard_queued.png", full_page=True)

            worker_drain()

            job = off_loop(lambda: Job.objects.get(pk=job.pk))
            assert job.status == Job.Status.DONE, job.error
            page.wait_for_selector("[data-written='true']", timeout=TIMEOUT_MS)
            text = page.locator("main").inner_text()
            assert "张湾区" in text and "网格.gpkg" in text
            assert "420303500598" in text  # the retired code, and what it was taken as
            grids = off_loop(lambda: Grid.objects.filter(code__startswith="420303").count())
            assert grids == manifest.features["grids"]
            page.screenshot(path=artifacts_dir / "onboard_report.png", full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=artifacts_dir / "onboard_report_phone.png", full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"] + 1, f"the report is {width} px wide on a phone"
        finally:
            browser.close()
    assert problems == []
    assert requests_leaving_localhost(requests) == []

"""/import/: signed-in planners only; a dry run shows the report and writes nothing; "Import"
writes exactly the file that was checked. Then the same in Debian's Chromium."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from layers.models import Building, PlannerStreet, Street
from tests import import_corpus as corpus
from tests.conftest import CHROMIUM_ARGS, english_page, requests_leaving_localhost, sign_in
from tests.factories import hierarchy_make

TIMEOUT_MS = 30_000


def planner_make():
    """A planner of every street there is (imports are scoped to the planner's streets)."""
    user = get_user_model().objects.create_user("planner_i", password="pw-import-1")
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    PlannerStreet.objects.bulk_create(
        PlannerStreet(user=user, street=s) for s in Street.objects.all()
    )
    return user


@pytest.mark.django_db
def test_anonymous_and_clerks_cannot_import(client):
    assert client.get("/import/").status_code == 302  # to the sign-in page
    clerk = get_user_model().objects.create_user("clerk_i", password="x")
    client.force_login(clerk)
    assert client.get("/import/").status_code == 403


@pytest.mark.django_db
def test_check_then_import(client, tmp_path):
    hierarchy_make()
    client.force_login(planner_make())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    path = corpus.geojson(corpus.building_frame(2), tmp_path / "b.geojson")
    with open(path, "rb") as f:
        r = client.post("/import/", {"layer": "buildings", "action": "check", "file": f})
    assert r.status_code == 200
    report = r.context["report"]
    assert (report.created, report.written, report.errors) == (2, False, [])
    assert not Building.objects.exists()
    token = r.context["token"]
    r = client.post("/import/", {"layer": "buildings", "action": "import", "token": token})
    assert r.context["report"].written
    assert Building.objects.count() == 2
    # The token is spent: a second confirmation cannot write again.
    r = client.post("/import/", {"layer": "buildings", "action": "import", "token": token})
    assert r.status_code == 400, r.context["error"]
    assert "expired" in r.context["error"]


@pytest.mark.django_db
def test_broken_file_shows_errors_and_no_import_button(client, tmp_path):
    hierarchy_make()
    client.force_login(planner_make())
    path = corpus.geojson(corpus.bowtie_frame(), tmp_path / "b.geojson")
    with open(path, "rb") as f:
        r = client.post("/import/", {"layer": "buildings", "action": "check", "file": f})
    html = r.content.decode()
    assert "invalid_geometry" in html and "ST_MakeValid" in html
    assert 'id="import-confirm"' not in html
    with open(
        corpus.truncated(corpus.shapefile_zip(corpus.building_frame(1), tmp_path)), "rb"
    ) as f:
        r = client.post("/import/", {"layer": "buildings", "action": "check", "file": f})
    assert r.status_code == 400 and "not a complete zip archive" in r.content.decode()


@pytest.mark.django_db
def test_the_report_says_how_many_issues_it_does_not_list(client, tmp_path, monkeypatch):
    monkeypatch.setattr("layers.io.validate.MAX_LISTED_ISSUES", 2)  # stands for the real 1,000
    hierarchy_make()
    client.force_login(planner_make())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    frame = corpus.building_frame(5)
    frame["户数"] = -1  # five bad_value errors: two listed
    path = corpus.geojson(frame, tmp_path / "b.geojson")
    with open(path, "rb") as f:
        r = client.post("/import/", {"layer": "buildings", "action": "check", "file": f})
    html = r.content.decode()
    assert html.count('<tr class="issue-error">') == 2
    assert "… and 3 more “bad_value” issues, not listed." in html
    assert 'data-errors="5"' in html and "5 errors: nothing can be written" in html


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_import_page_in_chromium(live_server, chromium_path, artifacts_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    hierarchy_make()
    planner_make()
    broken = corpus.geojson(corpus.bowtie_frame(), tmp_path / "broken.geojson")
    good = corpus.shapefile_zip(corpus.building_frame(3), tmp_path, epsg=corpus.GK_CM_114E)
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = english_page(
                browser, live_server.url, requests=requests, problems=problems, width=1300
            )
            sign_in(page, f"{live_server.url}/import/", "planner_i", "pw-import-1")
            page.wait_for_selector("#import-form", timeout=TIMEOUT_MS)

            # A broken file: the report lists the row and the rule, and offers no import.
            page.select_option("#import-layer", "buildings")
            page.set_input_files("#import-file", str(broken))
            page.click("#import-check")
            page.wait_for_selector("#import-report", timeout=TIMEOUT_MS)
            assert page.locator("#import-report").get_attribute("data-errors") == "1"
            issues = page.locator("#import-issues").inner_text()
            assert "invalid_geometry" in issues and "Self-intersection" in issues
            assert page.locator("#import-confirm").count() == 0

            # A good zipped Shapefile (Gauss-Krüger metres, GBK text): dry run, then import.
            page.select_option("#import-layer", "buildings")
            page.set_input_files("#import-file", str(good))
            page.click("#import-check")
            page.wait_for_selector("#import-confirm", timeout=TIMEOUT_MS)
            summary = page.locator("#import-summary").inner_text()
            assert "would create 3" in summary
            assert "EPSG:4547" in page.locator(".import-facts").inner_text()
            page.screenshot(path=artifacts_dir / "import_checked.png", full_page=True)
            page.click("#import-confirm")
            page.wait_for_selector("#import-report[data-written=true]", timeout=TIMEOUT_MS)
            summary = page.locator("#import-summary").inner_text()
            assert "Imported: 3 created, 0 updated, 0 unchanged." in summary
            page.screenshot(path=artifacts_dir / "import_done.png", full_page=True)
        finally:
            browser.close()
    assert sorted(Building.objects.values_list("name", flat=True)) == [
        "幸福家园1栋",
        "幸福家园2栋",
        "幸福家园3栋",
    ]
    assert problems == []
    assert requests_leaving_localhost(requests) == []

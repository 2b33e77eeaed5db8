"""The leadership dashboard and the offline report map, on the tiny demo city, in Debian's
Chromium: figures, the coverage table (street → community on a click), the choropleth, the
heatmap overlay, the gap lists; the report map draws with no request at all."""

import re

import pytest

from layers.models import Street
from layers.services.report_map import report_map_html
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost
from tests.demo_city_support import city_loaded, plan_make
from tests.test_dashboard_figures import NO_PARTY_SQL, area_params, sql_coverage, sql_one

TIMEOUT_MS = 60_000


@pytest.mark.django_db
def test_report_map_is_one_offline_file(tiny_city):
    html = report_map_html(distance_m=500)
    # Leaflet is inlined and nothing is linked from anywhere.
    # (Leaflet's own attribution is a link a user may click, not an asset that loads.)
    assert not re.search(r'<(?:script|link|img)\b[^>]*(?:src|href)="(?:https?:)?//', html)
    assert "https://cdn" not in html and "code.jquery.com" not in html
    assert "L.map(" in html and "Leaflet" in html
    street = Street.objects.first()
    assert street.name in html  # the communities' tooltips name their street


@pytest.mark.django_db
def test_report_map_download_and_bad_distance(client, tiny_city):
    r = client.get("/dashboard/report-map.html", {"distance": "300"})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert b"L.map(" in r.content
    assert client.get("/dashboard/report-map.html", {"distance": "-5"}).status_code == 400
    assert client.get("/dashboard/report-map.html", {"distance": "far"}).status_code == 400


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dashboard_in_a_browser(
    live_server, django_db_blocker, chromium_path, artifacts_dir, settings
):
    from playwright.sync_api import sync_playwright

    settings.GRIDATLAS_DASHBOARD_LIST_ROWS = 2  # so a gap list is capped on the tiny city
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        street = Street.objects.order_by("code").first()
        streets = Street.objects.count()
        communities = street.communities.count()
        community_code = street.communities.order_by("code").first().code
        html = report_map_html(distance_m=500)
        truth = sql_coverage(300, None)  # SQL before Playwright (its loop is async)
        no_party = sql_one(NO_PARTY_SQL, area_params())[0]
        requests: list[str] = []
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(live_server.url + "/dashboard/")
                page.wait_for_function(
                    "() => document.getElementById('dashboard').dataset.loaded === '1'",
                    timeout=TIMEOUT_MS,
                )
                assert page.locator("#dash-status").inner_text() == ""
                assert page.locator("#figures .dash-figure").count() == 7
                body_rows = page.locator("#coverage-table tbody tr:not(.total)")
                assert body_rows.count() == streets
                assert page.locator("#gap-tabs button").count() == 5
                # The choropleth colours communities by code; the heatmap has its place.
                fill = page.evaluate(
                    "window.gridatlasDashboardMap.getPaintProperty('coverage-fill', 'fill-color')"
                )
                assert fill[0] == "match" and community_code in fill
                # MapLibre sets an image source's coordinates once the new image has loaded.
                page.wait_for_function(
                    "() => window.gridatlasDashboardMap.getSource('heatmap').coordinates[0][0] "
                    "!== 0",
                    timeout=TIMEOUT_MS,
                )
                coords = page.evaluate(
                    "window.gridatlasDashboardMap.getSource('heatmap').coordinates"
                )
                assert 114 < coords[0][0] < 115 and 30 < coords[0][1] < 31
                page.wait_for_function(
                    "() => window.gridatlasDashboardMap.areTilesLoaded()", timeout=TIMEOUT_MS
                )
                page.wait_for_timeout(800)
                page.screenshot(path=artifacts_dir / "dashboard.png", full_page=True)

                # The 5-minute circle: the headline says 300 m with the server's figure, and
                # the uncovered tab counts every building though it lists the first 2 (issue 13).
                page.select_option("#f-distance", "300")
                page.wait_for_function(
                    "() => document.getElementById('dashboard').dataset.loaded === '2'",
                    timeout=TIMEOUT_MS,
                )
                covered = page.locator("#figures .dash-figure").last.inner_text()
                assert "300" in covered and f"{truth['covered']:,}" in covered
                tab = page.locator("#gap-tabs button[data-gap='uncovered'] .n")
                assert tab.inner_text() == f"{truth['uncovered_buildings']:,}"
                assert truth["uncovered_buildings"] > 2
                assert page.locator("#gap-list tbody tr").count() == 2
                capped = page.locator("#gap-list .gap-capped").inner_text()
                assert "2" in capped and str(truth["uncovered_buildings"]) in capped
                party = page.locator("#gap-tabs button[data-gap='party'] .n").inner_text()
                assert party == str(no_party)
                assert "distance=300" in page.locator("#dl-map").get_attribute("href")
                page.screenshot(path=artifacts_dir / "dashboard-300m-capped.png", full_page=True)

                # A street's row narrows the table to its communities.
                page.locator(f"#coverage-table tr[data-code='{street.code}']").click()
                page.wait_for_function(
                    "() => document.getElementById('dashboard').dataset.loaded === '3'",
                    timeout=TIMEOUT_MS,
                )
                assert body_rows.count() == communities
                page.locator("#gap-tabs button[data-gap='party']").click()
                assert page.locator("#gap-list").inner_text() != ""

                # The offline report map draws its communities with no request at all.
                offline = browser.new_page()
                fetched: list[str] = []
                offline.on("request", lambda r: fetched.append(r.url))
                offline.set_content(html)
                offline.wait_for_function("() => typeof L === 'object'")
                assert offline.locator("path.leaflet-interactive").count() >= communities
                assert [u for u in fetched if not u.startswith("data:")] == []
            finally:
                browser.close()

    assert not problems, problems
    outside = requests_leaving_localhost(requests)
    assert not outside, f"requests left localhost: {outside}"

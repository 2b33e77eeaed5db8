"""The site's own pages: the map page's figures and language, /healthz, and the admin's offline
map as a browser sees it (Debian's Chromium, no request leaving localhost). The map itself is
driven in a browser in test_map_page.py."""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from geo.city_profile import city_profile_forget
from layers.models import (
    Building,
    Community,
    District,
    Grid,
    MicroGrid,
    SentDownUnit,
    ServiceStation,
    Street,
    Xiaoqu,
)
from layers.selectors.summary import city_summary
from tests.admin_world import world_make
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def figure(html: str, key: str) -> str:
    """The number shown in the map page's figure tile `key`."""
    match = re.search(rf'data-key="{key}">\s*<span class="figure-value">([^<]*)</span>', html)
    assert match, f"no figure {key}"
    return match.group(1)


@pytest.mark.django_db
def test_city_summary_counts_every_layer_in_one_query(django_assert_num_queries):
    w = world_make()
    with django_assert_num_queries(1):
        s = city_summary()
    assert (s.districts, s.streets, s.communities) == (
        District.objects.count(),
        Street.objects.count(),
        Community.objects.count(),
    )
    assert (s.grids, s.microgrids, s.xiaoqus, s.buildings) == (
        Grid.objects.count(),
        MicroGrid.objects.count(),
        Xiaoqu.objects.count(),
        Building.objects.count(),
    )
    assert (s.stations, s.units) == (ServiceStation.objects.count(), SentDownUnit.objects.count())
    assert s.households >= 230  # the world's three buildings: 120 + 80 + 30
    assert s.communities_unpaired == Community.objects.filter(pairings__isnull=True).count()
    assert w.unpaired.pairings.count() == 0 and s.communities_unpaired >= 1


@pytest.mark.django_db
def test_map_page_shows_the_figures(client):
    world_make()
    city_profile_forget()  # else cached from world_make's area checks
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    # One statement reads the figures and one the city profile with its bounds, cached after (the
    # savepoints of ATOMIC_REQUESTS and pghistory's context are statements of their own).
    reads = [q["sql"] for q in queries.captured_queries if "layers_" in q["sql"]]
    assert len(reads) == 2, reads
    html = response.content.decode()
    assert "<title>网格一张图 GridAtlas · 武汉市</title>" in html
    s = city_summary()
    assert figure(html, "buildings") == f"{s.buildings:,}"
    assert figure(html, "households") == f"{s.households:,}"
    assert figure(html, "communities_unpaired") == str(s.communities_unpaired)
    for label in ("网格", "微网格", "小区", "楼栋", "户数", "下沉单位", "未结对社区"):
        assert f'<span class="figure-label">{label}</span>' in html
    # Administration and Status are staff-only links (tests/test_error_pages.py signs in).
    assert 'href="/admin/"' not in html and 'href="/healthz"' not in html
    # The map has no footer: the data credit is the map's attribution, from the style's source.
    assert (
        "Vonng/adcode, NBS 2016 (CC BY 4.0)"
        in client.get("/tiles/style.json").json()["sources"]["gridatlas"]["attribution"]
    )
    # Nothing from the internet: every asset is a same-origin path.
    assets = re.findall(r'<(?:link|script|img)\b[^>]*(?:href|src)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets


@pytest.mark.django_db
def test_chinese_unless_the_user_switches_to_english(client):
    # A browser that prefers English still gets Chinese: the product's language is Chinese.
    html = client.get("/", headers={"accept-language": "en-US,en"}).content.decode()
    assert "查找地点" in html and 'lang="zh-Hans"' in html
    assert 'name="language" value="en"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    html = page.content.decode()
    assert "Find a place" in html and "查找地点" not in html and 'lang="en"' in html
    assert '<span class="figure-label">households</span>' in html
    assert "Cookie" in page["Vary"]
    # The JS strings follow the page's language too.
    assert '"zoomForName": "zoom in to see its name"' in html
    tile = client.get("/tiles/style.json")
    assert "Cookie" not in tile.get("Vary", "")  # tiles and JSON stay shareable


@pytest.mark.django_db
def test_healthz_reports_postgis(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert "PostgreSQL" in body["postgresql"]
    assert re.search(r'POSTGIS="3\.\d+', body["postgis"]), body["postgis"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_grid_change_page_draws_an_offline_map(live_server, client, chromium_path, artifacts_dir):
    from playwright.sync_api import sync_playwright

    # All database work happens before Playwright starts its event loop (Django refuses the
    # ORM inside one).
    world = world_make()
    admin = get_user_model().objects.create_superuser("mapper", "m@example.invalid", "pw-map-1")
    client.force_login(admin)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    grid_url = live_server.url + reverse("admin:layers_grid_change", args=[world.grid.pk])

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "url": live_server.url,
                    }
                ]
            )
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))

            with page.expect_response(lambda r: "/admin-context/outlines.geojson" in r.url) as got:
                page.goto(grid_url)
            assert got.value.status == 200
            viewport = page.locator("#id_geom_map .ol-viewport")
            viewport.wait_for(state="visible")
            assert page.locator("#id_geom_map canvas").count() >= 1
            # The outline layer drew the street, community and both grids around this one.
            page.wait_for_function(
                "() => Number(document.getElementById('id_geom_map').dataset.outlines) >= 4"
            )
            assert page.evaluate("geodjango_geom.featureCollection.getLength()") == 1
            assert page.evaluate("geodjango_geom.interactions.modify.getActive()") is False
            page.wait_for_timeout(300)  # let the last frame paint before the picture
            page.screenshot(path=artifacts_dir / "admin_grid_change.png", full_page=True)
            viewport.screenshot(path=artifacts_dir / "admin_grid_map.png")
        finally:
            browser.close()

    assert not problems, problems
    outside = requests_leaving_localhost(requests)
    assert not outside, f"requests left localhost: {outside}"
    assert any("/static/vendor/ol/ol.js" in u for u in requests)

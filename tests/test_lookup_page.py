"""/lookup/ on a phone-sized Chromium: "use my location" (a granted geolocation), a typed
address and pasted GCJ-02 coordinates each show the grid card over the small map; no console
error, nothing fetched from outside localhost. Screenshots are kept as test artefacts."""

import pytest

from geo.chinese_crs import gcj02_from_wgs84
from layers.models import Address
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost
from tests.demo_city_support import city_loaded, plan_make

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}


def card_title(page) -> str:
    page.wait_for_selector("#card:not([hidden]) .card-title", timeout=TIMEOUT_MS)
    return page.locator("#card .card-title").inner_text()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_lookup_page_on_a_phone(live_server, django_db_blocker, chromium_path, artifacts_dir):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        address = (
            Address.objects.filter(building__parcel__grid__isnull=False)
            .select_related("building__parcel__grid")
            .order_by("normalized")
            .first()
        )
        grid = address.building.parcel.grid
        here = address.building.geom.point_on_surface
        gcj_lon, gcj_lat = gcj02_from_wgs84(here.x, here.y)
        requests: list[str] = []
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport=PHONE,
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                    geolocation={"longitude": here.x, "latitude": here.y, "accuracy": 10},
                    permissions=["geolocation"],
                )
                page = context.new_page()
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(live_server.url + "/lookup/")
                page.wait_for_function(
                    "() => document.getElementById('lookup-map').dataset.ready === 'true'",
                    timeout=TIMEOUT_MS,
                )

                # "Use my location": the browser's WGS84 fix → the grid card.
                page.locator("#locate").click()
                assert card_title(page) == grid.name
                assert grid.code in page.locator("#card .card-code").inner_text()
                # Anonymous: who is responsible is shown, their contacts are not.
                people = page.locator("#card .card-people").inner_text()
                assert "登录" in people or "sign in" in people
                page.wait_for_timeout(500)
                page.screenshot(path=artifacts_dir / "lookup_location.png")

                # Pasted coordinates from a WeChat/AMap pin (GCJ-02).
                page.select_option("#lookup-crs", "gcj02")
                page.fill("#lookup-q", f"{gcj_lon:.7f},{gcj_lat:.7f}")
                page.locator("#lookup-form button[type=submit]").click()
                page.wait_for_function(
                    "() => document.getElementById('lookup-status').textContent === ''",
                    timeout=TIMEOUT_MS,
                )
                assert card_title(page) == grid.name
                assert address.building.name in page.locator("#card .card-rows").inner_text()

                # A typed address.
                page.fill("#lookup-q", address.text)
                page.keyboard.press("Enter")
                page.wait_for_function(
                    f"() => document.querySelector('#card .card-rows').textContent.includes("
                    f"'{address.building.name}')",
                    timeout=TIMEOUT_MS,
                )
                assert card_title(page) == grid.name
                page.wait_for_timeout(500)
                page.screenshot(path=artifacts_dir / "lookup_address.png", full_page=True)
                # The card fits the phone: nothing wider than the screen.
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            finally:
                browser.close()

    assert not problems, problems
    outside = requests_leaving_localhost(requests)
    assert not outside, f"requests left localhost: {outside}"

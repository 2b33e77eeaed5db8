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


def lookup_open(context, base_url: str, requests: list, problems: list):
    """/lookup/ in a new page of `context` (requests and errors recorded), its map ready."""
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + "/lookup/")
    page.wait_for_function(
        "() => document.getElementById('lookup-map').dataset.ready === 'true'",
        timeout=TIMEOUT_MS,
    )
    return page


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
                page = lookup_open(context, live_server.url, requests, problems)

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


def wait_shown(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}:not([hidden])", timeout=TIMEOUT_MS)


def search(page, text: str) -> None:
    page.fill("#lookup-q", text)
    page.locator("#lookup-form button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_lookup_page_says_when_it_is_not_sure(
    live_server, django_db_blocker, chromium_path, artifacts_dir
):
    """A compound over several grids: the not-sure banner with the notes in Chinese, the
    candidates, its grids with households and shares, each tapped to that grid's card; a query
    naming only a division shows the division and zooms the map to it; (0, 0) is refused where
    the answer goes. On a phone (390×844) and a desktop (1400×900)."""
    from playwright.sync_api import sync_playwright

    from fixtures.demo_city.sample import SAMPLE_PATH, plan_read
    from layers.selectors.address_search import address_candidates

    plan, _srid = plan_read(SAMPLE_PATH)
    with city_loaded(django_db_blocker, plan):
        with django_db_blocker.unblock():
            grids = address_candidates(q="东万城").candidates[0].grids
            x0, y0, x1, y1 = address_candidates(q="新荣社区").divisions[0]["extent"]
        assert [g["households"] for g in grids] == [408, 300, 180]  # the frozen sample's split
        requests: list[str] = []
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                for name, viewport, phone in (
                    ("phone", PHONE, True),
                    ("desktop", {"width": 1400, "height": 900}, False),
                ):
                    context = browser.new_context(
                        viewport=viewport,
                        device_scale_factor=2 if phone else 1,
                        is_mobile=phone,
                        has_touch=phone,
                    )
                    page = lookup_open(context, live_server.url, requests, problems)

                    # A compound over three grids: not sure, and why, in Chinese.
                    search(page, "东万城")
                    wait_shown(page, "#lookup-unsure")
                    banner = page.locator("#lookup-unsure").inner_text()
                    assert "不确定" in banner and "跨 3 个网格" in banner, banner
                    assert page.locator("#candidates .candidate").count() >= 1
                    assert "东万城" in page.locator("#candidates").inner_text()
                    wait_shown(page, "#compound-grids")
                    shares = page.locator("#compound-grids .grid-share")
                    assert shares.count() == 3
                    first = shares.nth(0).inner_text()
                    assert grids[0]["name"] in first and "408户" in first, first
                    assert f"{round(grids[0]['share'] * 100)}%" in first, first
                    # Tapping a grid shows that grid's card, one after the other.
                    for g in (grids[1], grids[2]):
                        shares.locator(f"button[data-code='{g['code']}']").click()
                        page.wait_for_function(
                            "(code) => document.querySelector('#card .card-code')?.textContent"
                            " === code",
                            arg=g["code"],
                            timeout=TIMEOUT_MS,
                        )
                        assert card_title(page) == g["name"]
                    page.wait_for_timeout(500)
                    page.screenshot(
                        path=artifacts_dir / f"lookup_unsure_{name}.png", full_page=True
                    )
                    assert (
                        page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                    )

                    # A range: both ends listed; tapping the other shows its card. A district
                    # that contradicts the match is said, in Chinese.
                    search(page, "紫晴小区5栋到9栋")
                    page.wait_for_function(
                        "() => document.getElementById('lookup-unsure').textContent"
                        ".includes('两端都已列出')",
                        timeout=TIMEOUT_MS,
                    )
                    picks = page.locator("#candidates .candidate")
                    texts = [picks.nth(i).inner_text() for i in range(picks.count())]
                    first = "5栋" if "5栋" in texts[0] else "9栋"  # the card shown first
                    building = {"5栋": "9栋", "9栋": "5栋"}[first]
                    picks.nth(next(i for i, t in enumerate(texts) if building in t)).click()
                    page.wait_for_function(
                        "(b) => document.querySelector('#card .card-rows')"
                        "?.textContent.includes(b)",
                        arg=building,
                        timeout=TIMEOUT_MS,
                    )
                    assert page.locator("#lookup-unsure").is_visible()  # still not sure
                    search(page, "武昌区紫晴小区3栋")
                    page.wait_for_function(
                        "() => document.getElementById('lookup-unsure').textContent"
                        ".includes('地址写的是 武昌区')",
                        timeout=TIMEOUT_MS,
                    )

                    # A division alone: its name and level, the map on its extent, no card.
                    search(page, "新荣社区")
                    wait_shown(page, "#divisions")
                    division = page.locator("#divisions .division").first.inner_text()
                    assert "新荣社区" in division and "社区" in division, division
                    assert page.locator("#card").is_hidden()
                    assert page.locator("#lookup-unsure").is_hidden()
                    page.wait_for_timeout(300)
                    bounds = page.evaluate(
                        "() => window.gridatlasLookupMap.getBounds().toArray().flat()"
                    )
                    assert bounds[0] <= x0 and bounds[1] <= y0, (bounds, (x0, y0, x1, y1))
                    assert bounds[2] >= x1 and bounds[3] >= y1, (bounds, (x0, y0, x1, y1))
                    # …and the whole extent fills the map: not the city view of before.
                    assert (bounds[2] - bounds[0]) < 4 * (x1 - x0) + 0.01
                    page.screenshot(
                        path=artifacts_dir / f"lookup_division_{name}.png", full_page=True
                    )

                    # (0, 0), a GPS with no fix: refused where the answer goes, not an alert.
                    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
                    search(page, "0,0")
                    wait_shown(page, "#lookup-refused")
                    refused = page.locator("#lookup-refused").inner_text()
                    assert "无法查询" in refused and "GPS" in refused, refused
                    assert page.locator("#card").is_hidden()
                    assert page.locator("#divisions").is_hidden()
                    search(page, "2.3522,48.8566")  # Paris: lon/lat of another country
                    page.wait_for_function(
                        "() => document.getElementById('lookup-refused').textContent"
                        ".includes('不在中国境内')",
                        timeout=TIMEOUT_MS,
                    )
                    page.screenshot(
                        path=artifacts_dir / f"lookup_refused_{name}.png", full_page=True
                    )
                    context.close()
            finally:
                browser.close()

    # The refusals are answered 400 on purpose: Chromium logs each one (two a page).
    refused = "the server responded with a status of 400"
    assert sum(refused in p for p in problems) == 4, problems
    assert not [p for p in problems if refused not in p], problems
    outside = requests_leaving_localhost(requests)
    assert not outside, f"requests left localhost: {outside}"

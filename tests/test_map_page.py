"""The map page as a user sees it, in Debian's Chromium: the tiles render (queryRenderedFeatures),
search flies to a place and opens its card, a click on the map opens the clicked grid's card,
layers toggle, zoom-to fills the community list, the language switch works; no console error and
no request leaves localhost. Screenshots are kept as test artefacts."""

import pytest

from layers.models import Grid, Street
from tests.conftest import CHROMIUM_ARGS, requests_leaving_localhost
from tests.demo_city_support import city_loaded, plan_make, tile_cache_clear
from tiles.registry import LAYERS

TIMEOUT_MS = 30_000

RENDERED_LAYERS_JS = """() => {
  const seen = {};
  for (const f of window.gridatlasMap.queryRenderedFeatures()) {
    seen[f.sourceLayer] = (seen[f.sourceLayer] || 0) + 1;
  }
  return seen;
}"""
MAP_READY_JS = "() => document.getElementById('map').dataset.ready === 'true'"
MAP_IDLE_JS = "() => window.gridatlasMap.loaded() && window.gridatlasMap.areTilesLoaded()"


def wait_idle(page):
    page.wait_for_function(MAP_IDLE_JS, timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)  # one more frame: rendered features are those drawn


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_map_page_renders_searches_and_clicks(
    live_server, django_db_blocker, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        # All database reads before Playwright starts its event loop (no ORM inside one).
        grid = Grid.objects.select_related("community").order_by("code").first()
        grid_point = grid.geom.point_on_surface
        street = Street.objects.order_by("code").first()
        community_names = sorted(street.communities.values_list("name", flat=True))
        requests: list[str] = []
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(str(e)))

                page.goto(live_server.url + "/")
                page.wait_for_function(MAP_READY_JS, timeout=TIMEOUT_MS)
                wait_idle(page)
                seen = page.evaluate(RENDERED_LAYERS_JS)
                for layer in ("streets", "communities", "grids", "labels"):
                    assert seen.get(layer, 0) > 0, seen
                # The legend is built from the style's groups, one toggle per layer.
                assert page.locator("#legend li").count() == len(LAYERS)
                page.screenshot(path=artifacts_dir / "map_city.png")

                # Search as you type: the grid by name, Enter flies there and opens its card.
                page.fill("#place-search", grid.name)
                page.wait_for_selector(f"#search-results [data-id='{grid.pk}']")
                page.keyboard.press("Enter")
                page.wait_for_function(
                    f"() => document.querySelector('#feature-card .card-code').textContent === "
                    f"'{grid.code}'",
                    timeout=TIMEOUT_MS,
                )
                assert page.locator("#feature-card .card-kind").inner_text() == "网格"
                assert (
                    grid.community.name in page.locator("#feature-card .card-parents").inner_text()
                )
                wait_idle(page)
                assert page.evaluate("window.gridatlasMap.getZoom()") >= 15
                assert page.evaluate(
                    "window.gridatlasMap.getLayer('selection-highlight') !== undefined"
                )
                page.screenshot(path=artifacts_dir / "map_search_grid.png")

                # Roads: thin lines, their names along them from z15.
                seen = page.evaluate(RENDERED_LAYERS_JS)
                assert seen.get("roads", 0) > 0, seen
                assert page.evaluate(
                    "window.gridatlasMap.queryRenderedFeatures({layers: ['roads-label']}).length"
                )
                page.screenshot(path=artifacts_dir / "map_roads.png")

                # Toggle off what lies on top of grids, then click inside the grid: its card.
                for group in ("buildings", "compounds", "microgrids", "stations", "units"):
                    page.locator(f"#legend li[data-group='{group}'] input").uncheck()
                assert (
                    page.evaluate(
                        "window.gridatlasMap.getLayoutProperty('buildings-fill', 'visibility')"
                    )
                    == "none"
                )
                page.locator("#feature-card [data-role=close]").click()
                assert page.locator("#feature-card").is_hidden()
                wait_idle(page)
                x, y = page.evaluate(
                    f"(() => {{ const p = window.gridatlasMap.project([{grid_point.x}, "
                    f"{grid_point.y}]); const r = document.getElementById('map')"
                    ".getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; })()"
                )
                page.mouse.move(x, y)
                page.wait_for_selector(".map-tooltip")
                assert grid.name in page.locator(".map-tooltip").inner_text()
                page.mouse.click(x, y)
                page.wait_for_function(
                    f"() => document.getElementById('feature-card').dataset.id === '{grid.pk}'",
                    timeout=TIMEOUT_MS,
                )
                assert page.locator("#feature-card").get_attribute("data-kind") == "grids"
                households = page.locator("#feature-card .card-facts dd").first.inner_text()
                assert households.replace(",", "") == str(grid.households)

                # Zoom to a street: the community list fills with its communities.
                page.select_option("#street-select", street.code)
                page.wait_for_function(
                    "() => document.getElementById('community-select').options.length > 1"
                )
                options = page.locator("#community-select option").all_inner_texts()[1:]
                assert sorted(options) == community_names
                wait_idle(page)
                page.screenshot(path=artifacts_dir / "map_street.png")

                # English on request, and the map still draws.
                page.locator(".lang-switch button").click()
                page.wait_for_function(MAP_READY_JS, timeout=TIMEOUT_MS)
                assert page.locator("label[for=place-search]").inner_text() == "Find a place"
                wait_idle(page)
                page.screenshot(path=artifacts_dir / "map_english.png")
            finally:
                browser.close()

    assert not problems, problems
    outside = requests_leaving_localhost(requests)
    assert not outside, f"requests left localhost: {outside}"
    assert any("/tiles/all/" in u and ".mvt" in u for u in requests)  # one request per tile
    assert any("/static/vendor/maplibre-gl/maplibre-gl.js" in u for u in requests)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_map_page_downloads_the_chosen_layer_for_the_chosen_street(
    live_server, django_db_blocker, chromium_path, artifacts_dir, tmp_path
):
    import pyogrio
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        street = Street.objects.order_by("code").first()
        codes = sorted(
            Grid.objects.filter(code__startswith=street.code).values_list("code", flat=True)
        )
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(live_server.url + "/")
                page.wait_for_function(MAP_READY_JS, timeout=TIMEOUT_MS)
                page.wait_for_function(
                    "() => document.getElementById('street-select').options.length > 1"
                )
                page.select_option("#street-select", street.code)
                page.select_option("#download-format", "kml")
                assert page.locator("#download-crs").is_disabled()  # KML is WGS84 only
                page.select_option("#download-format", "shp")
                assert page.locator("#download-crs option[value=gcj02]").is_disabled()
                page.select_option("#download-crs", "cgcs2000")
                page.select_option("#download-layer", "grids")
                assert street.name in page.locator("#download-scope").inner_text()
                page.locator("#download-panel").screenshot(path=artifacts_dir / "map_download.png")
                with page.expect_download() as info:
                    page.locator("#download-link").click()
                download = info.value
                assert download.suggested_filename == f"grids-{street.code}-cgcs2000.shp.zip"
                target = tmp_path / download.suggested_filename
                download.save_as(target)
            finally:
                browser.close()
        frame = pyogrio.read_dataframe(target)
        assert sorted(frame["code"]) == codes
        assert frame.crs.to_epsg() == 4490
    assert not problems, problems

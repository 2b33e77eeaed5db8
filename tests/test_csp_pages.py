"""Every page passes its own Content-Security-Policy, in Debian's Chromium on the tiny demo city:
no "Refused to …" console error and no securitypolicyviolation event, and each map still draws
(MapLibre's blob: worker, the admin's OpenLayers widget built from its JSON options)."""

import pytest

from layers.models import Community, Grid
from tests.conftest import CHROMIUM_ARGS, sign_in
from tests.demo_city_support import city_loaded, plan_make, tile_cache_clear

TIMEOUT_MS = 30_000
# Recorded in every document before its own scripts run (an init script is not subject to CSP).
RECORD_VIOLATIONS_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""


def maplibre_drawn(name: str) -> str:
    """True once the MapLibre map `window[name]` has loaded its tiles and drawn features."""
    return (
        f"() => window.{name} && window.{name}.loaded() && window.{name}.areTilesLoaded() && "
        f"window.{name}.queryRenderedFeatures().length > 0"
    )


# The admin's OpenLayers widget: the outline layer (its base layer) holds features.
ADMIN_MAP_DRAWN = (
    "() => window.geodjango_geom && "
    "window.geodjango_geom.map.getLayers().item(0).getSource().getFeatures().length > 0"
)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_page_passes_its_content_security_policy(
    live_server, django_db_blocker, django_user_model, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        community = Community.objects.order_by("code").first()
        grid = Grid.objects.order_by("code").first()
        django_user_model.objects.create_superuser("chief", password="pw-chief-1")
        pages = [
            ("/", maplibre_drawn("gridatlasMap")),
            ("/lookup/", maplibre_drawn("gridatlasLookupMap")),
            ("/dashboard/", maplibre_drawn("gridatlasDashboardMap")),
            (f"/edit/?community={community.code}", maplibre_drawn("gridatlasEditorMap")),
            ("/import/", "() => document.querySelector('form') !== null"),
            ("/check/", "() => document.querySelector('.check') !== null"),
            (f"/admin/layers/grid/{grid.pk}/change/", ADMIN_MAP_DRAWN),
        ]
        problems: list[str] = []
        violations: dict[str, list[str]] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_init_script(RECORD_VIOLATIONS_JS)
                page = context.new_page()
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                page.on("pageerror", lambda e: problems.append(str(e)))

                # The sign-in page itself, then every page signed in as staff.
                sign_in(page, live_server.url + "/accounts/login/", "chief", "pw-chief-1")
                page.wait_for_url(live_server.url + "/")
                for path, drawn in pages:
                    response = page.goto(live_server.url + path)
                    assert response.status == 200, path
                    assert "script-src 'self'" in response.headers["content-security-policy"]
                    page.wait_for_function(drawn, timeout=TIMEOUT_MS)
                    page.wait_for_timeout(500)  # late workers and images
                    violations[path] = page.evaluate("window.__csp")
                    name = path.strip("/").split("/")[0].split("?")[0] or "map"
                    page.screenshot(path=artifacts_dir / f"csp_{name}.png")
            finally:
                browser.close()
    refused = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not refused, refused
    assert all(not v for v in violations.values()), violations
    assert not problems, problems
    assert len(violations) == len(pages)

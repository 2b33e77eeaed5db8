"""The editor on a community left freehand by an import (issue 15): it says why it cannot edit,
offers the one action (build the parcels), and after the click the layout is made of parcels and
the editing tools appear. In Debian's Chromium, on the factories' community (0..400 × 0..200)
with two freehand grids that leave a gap (300..400), so the import could not parcelise it."""

import pytest

from layers.models import GeomSource, Grid, Parcel
from tests.conftest import CHROMIUM_ARGS, english_page, sign_in
from tests.demo_city_support import planner_make
from tests.factories import box, grid_make, hierarchy_make, multi

TIMEOUT_MS = 30_000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_freehand_community_offers_to_build_its_parcels(
    live_server, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    community = hierarchy_make()
    for seq, extent in ((1, (0, 0, 150, 200)), (2, (150, 0, 300, 200))):
        grid_make(
            community=community,
            seq=seq,
            geom=multi(box(*extent)),
            geom_source=GeomSource.FREEHAND,
        )
    planner_make("planner_f", password="pw-free-1", streets=[community.street])
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = english_page(browser, live_server.url, problems=problems)
            sign_in(
                page,
                f"{live_server.url}/edit/?community={community.code}",
                "planner_f",
                "pw-free-1",
            )
            block = page.locator("#ed-freehand-block")
            block.wait_for(state="visible", timeout=TIMEOUT_MS)
            assert "freehand polygons (imported), not made of parcels" in block.inner_text()
            assert page.locator("#ed-status").inner_text() == (
                "Not editable yet: this layout has no parcels."
            )
            assert page.locator("#ed-tools").is_hidden()
            page.screenshot(path=artifacts_dir / "edit_freehand.png")

            page.locator("#ed-parcelise").click()
            page.wait_for_function(
                "() => document.getElementById('ed-status').textContent.startsWith('Parcels')",
                timeout=TIMEOUT_MS,
            )
            assert page.locator("#ed-status").inner_text() == (
                "Parcels built: 3 parcels; 1 gap(s) or overlap(s) left to assign."
            )
            assert block.is_hidden() and page.locator("#ed-tools").is_visible()
            page.screenshot(path=artifacts_dir / "edit_freehand_parcelised.png")
        finally:
            browser.close()
    assert problems == []
    assert Parcel.objects.filter(community=community).count() == 3
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.PARCELS}

"""The layout editor as a planner uses it, in Debian's Chromium, on the tiny demo city: sign in,
open a community, give a parcel to the neighbouring grid by a click (the live total follows),
merge two grids (the server's check shows the band violation), reload (the draft and its undo
survive), undo (the rules pass again) and publish (a revision is written with the move)."""

import pytest
from django.conf import settings
from django.db import connection

from layers.models import Grid, LayoutRevision, Parcel
from tests.conftest import CHROMIUM_ARGS, english_page, requests_leaving_localhost, sign_in
from tests.demo_city_support import city_loaded, plan_make, planner_make, tile_cache_clear

TIMEOUT_MS = 30_000
READY_JS = (
    "() => window.gridatlasEditor && window.gridatlasEditor.parcels.size > 0 && "
    "window.gridatlasEditorMap.loaded() && !document.getElementById('ed-tools').hidden"
)


def neighbour_pair():
    """A parcel of grid A sharing an edge with grid B of the same community, such that B is in
    the band with the parcel and over it with all of A; with the parcel's households."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT a.id, ga.code, gb.code, a.households, c.code
                 FROM layers_parcel a
                 JOIN layers_parcel b ON b.community_id = a.community_id
                      AND b.grid_id <> a.grid_id AND a.geom && b.geom
                      AND ST_Relate(a.geom, b.geom, 'F***1****')
                 JOIN layers_grid ga ON ga.id = a.grid_id
                 JOIN layers_grid gb ON gb.id = b.grid_id
                 JOIN layers_community c ON c.id = a.community_id
                WHERE a.households > 0
                  AND gb.households + a.households BETWEEN %(lo)s AND %(hi)s
                  AND ga.households + gb.households > %(hi)s
                ORDER BY a.households, a.id LIMIT 1""",
            {
                "lo": settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN,
                "hi": settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX,
            },
        )
        return cur.fetchone()


CHECKED_JS = """() => {
  const t = document.getElementById('ed-check-status').textContent;
  return t === 'Every rule passes.' || t.startsWith('Rule violations');
}"""


def checked(page) -> dict[str, set[str]]:
    """Wait for the server's check of the draft; the violations it shows, by rule → codes."""
    try:
        page.wait_for_function(CHECKED_JS, timeout=TIMEOUT_MS)
    except Exception:
        said = page.locator("#ed-check-status").inner_text()
        raise AssertionError(f"the draft was not checked: {said!r}") from None
    found: dict[str, set[str]] = {}
    for li in page.locator("#ed-violations li").all():
        codes = (li.get_attribute("data-codes") or "").split()
        found.setdefault(li.get_attribute("data-rule"), set()).update(codes)
    return found


def other_parcel_next_to(*, grid_a, grid_b, not_id):
    """Another parcel of grid A that shares an edge with grid B."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT a.id FROM layers_parcel a
                 JOIN layers_grid ga ON ga.id = a.grid_id AND ga.code = %(a)s
                 JOIN layers_parcel b ON b.grid_id = (SELECT id FROM layers_grid WHERE code = %(b)s)
                      AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, 'F***1****')
                WHERE a.id <> %(not_id)s ORDER BY a.id LIMIT 1""",
            {"a": grid_a, "b": grid_b, "not_id": not_id},
        )
        return cur.fetchone()[0]


# Someone else publishing: the commit API, as another browser would call it.
COMMIT_JS = """async ([code, parcel, grid]) => {
  const el = document.getElementById('edit-map');
  const r = await fetch(`/api/edit/communities/${code}/commit`, {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': el.dataset.csrf},
    body: JSON.stringify({base_revision: 1, moves: [{parcel, grid}],
                          band_reason: 'rebase test'})});
  return r.status;
}"""


def row(code):
    return f"#ed-grids tr[data-code='{code}']"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_planner_assigns_sees_violation_undoes_and_publishes(
    live_server, django_db_blocker, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        parcel_id, grid_a, grid_b, parcel_households, community = neighbour_pair()
        parcel = Parcel.objects.get(pk=parcel_id)
        point = parcel.geom.point_on_surface
        b_before = Grid.objects.get(code=grid_b).households
        a_before = Grid.objects.get(code=grid_a).households
        planner_make("planner_e", password="pw-edit-1", streets=[parcel.community.street])
        revisions_before = LayoutRevision.objects.filter(community__code=community).count()
        other_id = other_parcel_next_to(grid_a=grid_a, grid_b=grid_b, not_id=parcel_id)
        requests: list[str] = []
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = english_page(browser, live_server.url, requests=requests, problems=problems)
                sign_in(
                    page, f"{live_server.url}/edit/?community={community}", "planner_e", "pw-edit-1"
                )
                page.wait_for_function(READY_JS, timeout=TIMEOUT_MS)
                assert page.locator(row(grid_b)).count() == 1
                page.screenshot(path=artifacts_dir / "edit_open.png")

                # Click grid B's name: it becomes the active grid; click the parcel of A.
                page.locator(f"{row(grid_b)} .ed-pick").click()
                assert page.evaluate("window.gridatlasEditor.active") == grid_b
                x, y = page.evaluate(
                    f"(() => {{ const p = window.gridatlasEditorMap.project([{point.x}, "
                    f"{point.y}]); return [p.x, p.y]; }})()"
                )
                box = page.locator("#edit-map").bounding_box()
                page.mouse.click(box["x"] + x, box["y"] + y)
                total = page.locator(f"{row(grid_b)} [data-role=households]")
                page.wait_for_function(
                    f'() => document.querySelector("{row(grid_b)} [data-role=households]")'
                    f".textContent === '{b_before + parcel_households}'",
                    timeout=5_000,
                )
                assert total.inner_text() == str(b_before + parcel_households)
                assert page.locator(f"{row(grid_a)} [data-role=households]").inner_text() == str(
                    a_before - parcel_households
                )
                # The tiny city has grids under the band already; the move breaks nothing else.
                before = checked(page)
                assert set(before) <= {"load_band"}, before
                assert grid_b not in before.get("load_band", set())

                # Merge A into B: B is far over the band, and the server's check says so.
                page.locator(f"{row(grid_a)} .ed-merge").click()
                page.wait_for_selector(
                    f"#ed-violations li[data-rule='load_band'][data-codes~='{grid_b}']",
                    timeout=TIMEOUT_MS,
                )
                assert "over" in page.locator(f"{row(grid_b)} .load").inner_text()
                page.screenshot(path=artifacts_dir / "edit_violation.png")

                # The draft and its undo stack survive a reload.
                page.reload()
                page.wait_for_function(READY_JS, timeout=TIMEOUT_MS)
                assert page.evaluate("window.gridatlasEditor.undo.length") == 2
                assert page.locator(f"{row(grid_b)} [data-role=households]").inner_text() == str(
                    b_before + a_before
                )
                assert not page.locator("#ed-undo").is_disabled()

                # Undo the merge: B is back in the band.
                page.locator("#ed-undo").click()
                page.wait_for_selector(
                    f"#ed-violations li[data-codes~='{grid_b}']",
                    state="detached",
                    timeout=TIMEOUT_MS,
                )
                after_undo = checked(page)
                moves = page.evaluate("JSON.stringify(window.gridatlasEditor.undo)")
                assert after_undo == before, (grid_a, grid_b, parcel_id, moves)
                assert page.locator(f"{row(grid_b)} [data-role=households]").inner_text() == str(
                    b_before + parcel_households
                )

                # Publishing over the other grids' band violations needs a reason.
                page.fill("#ed-reason", "old compounds: grids kept small until the 2027 review")
                page.locator("#ed-publish").click()
                page.wait_for_function(
                    "() => document.getElementById('ed-publish-status').textContent"
                    ".startsWith('Published as revision')",
                    timeout=TIMEOUT_MS,
                )
                # The versions list the baseline and the new revision; the diff shows the move.
                page.wait_for_selector(
                    "#ed-versions li[data-number='0'] [data-act=diff]", timeout=TIMEOUT_MS
                )
                page.locator("#ed-versions li[data-number='0'] [data-act=diff]").click()
                diff_row = page.locator(f"#ed-diff tr[data-code='{grid_b}']")
                diff_row.wait_for(timeout=TIMEOUT_MS)
                assert f"{b_before} → {b_before + parcel_households}" in diff_row.inner_text()
                page.screenshot(path=artifacts_dir / "edit_published.png")

                # A draft begun on revision 1 (the parcel back to A) outlives someone else's
                # publish of revision 2 (another parcel of A to B): re-applied, and said so.
                page.locator(f"{row(grid_a)} .ed-pick").click()
                page.mouse.click(box["x"] + x, box["y"] + y)
                checked(page)
                status = page.evaluate(COMMIT_JS, [community, other_id, grid_b])
                assert status == 201
                page.reload()
                page.wait_for_function(READY_JS, timeout=TIMEOUT_MS)
                assert "re-applied to revision 2" in page.locator("#ed-status").inner_text()
                assert page.evaluate(f"window.gridatlasEditor.parcels.get({parcel_id}).grid") == (
                    grid_a
                )
                assert page.evaluate(f"window.gridatlasEditor.parcels.get({other_id}).grid") == (
                    grid_b
                )
                assert page.evaluate("window.gridatlasEditor.undo.length") == 1
            finally:
                browser.close()
        assert Parcel.objects.get(pk=parcel_id).grid.code == grid_b
        assert Parcel.objects.get(pk=other_id).grid.code == grid_b
        assert Grid.objects.get(code=grid_b).households == b_before + parcel_households
        assert LayoutRevision.objects.filter(community__code=community).count() > revisions_before
        assert problems == [], problems
        assert requests_leaving_localhost(requests) == []


def empty_parcel_cut(community_code):
    """A parcel with no building, and a west–east line across it through a point on its surface,
    its ends 0.3 m outside (within the cut's snapping tolerance): (parcel id, [[lon, lat], …])."""
    with connection.cursor() as cur:
        cur.execute(
            """WITH p AS (
                 SELECT p.id, ST_Transform(p.geom, 32650) AS g
                   FROM layers_parcel p JOIN layers_community c ON c.id = p.community_id
                  WHERE c.code = %(code)s AND p.building_count = 0
                    AND ST_Area(p.geom::geography) > 2000
                  ORDER BY ST_Area(p.geom::geography) DESC LIMIT 1
               ), s AS (
                 SELECT id, g, ST_PointOnSurface(g) AS o FROM p
               ), seg AS (
                 SELECT id, ST_GeometryN(ST_CollectionExtract(ST_Intersection(g,
                          ST_MakeLine(ST_Translate(o, -5000, 0), ST_Translate(o, 5000, 0))), 2),
                          1) AS l
                   FROM s
               )
               SELECT id, ST_AsGeoJSON(ST_Transform(ST_MakeLine(
                        ST_Translate(ST_StartPoint(l), -0.3, 0),
                        ST_Translate(ST_EndPoint(l), 0.3, 0)), 4326))
                 FROM seg""",
            {"code": community_code},
        )
        row = cur.fetchone()
    import json

    return row[0], json.loads(row[1])["coordinates"]


SCREEN_JS = """(coords) => coords.map(([x, y]) => {
  const p = window.gridatlasEditorMap.project([x, y]); return [p.x, p.y];
})"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_planner_boxes_brushes_splits_and_cuts(
    live_server, django_db_blocker, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        parcel_id, grid_a, grid_b, _households, community = neighbour_pair()
        point = Parcel.objects.get(pk=parcel_id).geom.point_on_surface
        cut_parcel, cut_line = empty_parcel_cut(community)
        parcels_before = Parcel.objects.filter(community__code=community).count()
        a_parcels = Parcel.objects.filter(grid__code=grid_a).count()
        street = Parcel.objects.get(pk=parcel_id).community.street
        planner_make("planner_t", password="pw-edit-2", streets=[street])
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = english_page(browser, live_server.url, problems=problems)
                sign_in(
                    page, f"{live_server.url}/edit/?community={community}", "planner_t", "pw-edit-2"
                )
                page.wait_for_function(READY_JS, timeout=TIMEOUT_MS)
                page.locator(f"{row(grid_b)} .ed-pick").click()
                box = page.locator("#edit-map").bounding_box()
                [(x, y)] = page.evaluate(SCREEN_JS, [[point.x, point.y]])
                grid_of = f"window.gridatlasEditor.parcels.get({parcel_id}).grid"

                # Box: a rectangle (Terra Draw: click, move, click) around the parcel's point.
                page.locator("[data-mode=box]").click()
                page.mouse.click(box["x"] + x - 4, box["y"] + y - 4)
                page.mouse.move(box["x"] + x + 4, box["y"] + y + 4, steps=4)
                page.mouse.click(box["x"] + x + 4, box["y"] + y + 4)
                page.wait_for_function(f"() => {grid_of} === '{grid_b}'", timeout=5_000)
                page.locator("#ed-undo").click()
                assert page.evaluate(grid_of) == grid_a

                # Brush: press, drag over the parcel, release: one undoable step.
                page.locator("[data-mode=brush]").click()
                undo_before = page.evaluate("window.gridatlasEditor.undo.length")
                page.mouse.move(box["x"] + x - 2, box["y"] + y)
                page.mouse.down()
                page.mouse.move(box["x"] + x + 2, box["y"] + y, steps=5)
                page.mouse.up()
                page.wait_for_function(f"() => {grid_of} === '{grid_b}'", timeout=5_000)
                assert page.evaluate("window.gridatlasEditor.undo.length") == undo_before + 1
                page.locator("#ed-undo").click()

                # Split grid A in two: a new grid takes part of its parcels, none is lost.
                page.locator(f"{row(grid_a)} .ed-split").click()
                page.wait_for_function(
                    "() => window.gridatlasEditor.newGrids.length === 1 && "
                    "window.gridatlasEditor.grids.get(window.gridatlasEditor.newGrids[0].code)"
                    ".parcels.size > 0",
                    timeout=TIMEOUT_MS,
                )
                new_code = page.evaluate("window.gridatlasEditor.newGrids[0].code")
                assert page.locator(row(new_code)).count() == 1
                sizes = page.evaluate(
                    f"[window.gridatlasEditor.grids.get('{grid_a}').parcels.size, "
                    f"window.gridatlasEditor.grids.get('{new_code}').parcels.size]"
                )
                assert sum(sizes) == a_parcels and min(sizes) > 0, sizes
                # The server's rebalance leaves both halves in one piece each.
                page.wait_for_function(
                    f"() => window.gridatlasEditor.grids.get('{grid_a}').pieces === 1 && "
                    f"window.gridatlasEditor.grids.get('{new_code}').pieces === 1",
                    timeout=TIMEOUT_MS,
                )
                page.screenshot(path=artifacts_dir / "edit_split.png")

                # Micro-grids for grid B: a proposal, used, gives B's parcels its micro-grids.
                page.locator(f"{row(grid_b)} .ed-pick").click()
                page.locator("#ed-propose-micro").click()
                page.locator("#ed-proposals [data-act=use]").first.click()
                micros = page.evaluate(
                    f"[...window.gridatlasEditor.parcels.values()]"
                    f".filter((p) => p.grid === '{grid_b}').map((p) => p.micro)"
                )
                assert micros and all(m and m.startswith(grid_b) for m in micros), micros
                groups = int(
                    page.locator("#ed-proposals .ed-proposal p").first.inner_text().split()[1]
                )
                assert len(set(micros)) == groups
                assert checked(page).keys() <= {"load_band"}

                # Cut line (Terra Draw line: click the points, click the last again to finish).
                page.locator("[data-mode=cut]").click()
                page.evaluate(
                    "(c) => window.gridatlasEditorMap.fitBounds([c[0], c[c.length - 1]], "
                    "{padding: 200, duration: 0})",
                    cut_line,
                )
                screen = page.evaluate(SCREEN_JS, cut_line)
                for sx, sy in screen:
                    page.mouse.click(box["x"] + sx, box["y"] + sy)
                    page.wait_for_timeout(150)
                page.mouse.click(box["x"] + screen[-1][0], box["y"] + screen[-1][1])
                page.wait_for_function(
                    f"() => window.gridatlasEditor.parcels.size === {parcels_before + 1}",
                    timeout=TIMEOUT_MS,
                )
                # The split grid survives the cut's reload of the parcels.
                assert page.evaluate("window.gridatlasEditor.newGrids.length") == 1
                page.screenshot(path=artifacts_dir / "edit_cut.png")
            finally:
                browser.close()
        assert Parcel.objects.filter(community__code=community).count() == parcels_before + 1
        assert Parcel.objects.filter(pk=cut_parcel).exists()
        assert problems == [], problems


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_planner_schedules_a_publish_sees_it_waiting_and_cancels_it(
    live_server, django_db_blocker, chromium_path, artifacts_dir
):
    """A date after today schedules the publish: the page says when it takes effect, the live
    layout stays, publishing is closed until the scheduled one is cancelled."""
    from playwright.sync_api import sync_playwright

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        tile_cache_clear()
        parcel_id, grid_a, grid_b, _households, community = neighbour_pair()
        parcel = Parcel.objects.get(pk=parcel_id)
        point = parcel.geom.point_on_surface
        planner_make("planner_s", password="pw-edit-3", streets=[parcel.community.street])
        problems: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                page = english_page(browser, live_server.url, problems=problems)
                page.on("dialog", lambda dialog: dialog.accept())
                sign_in(
                    page, f"{live_server.url}/edit/?community={community}", "planner_s", "pw-edit-3"
                )
                page.wait_for_function(READY_JS, timeout=TIMEOUT_MS)
                page.locator(f"{row(grid_b)} .ed-pick").click()
                x, y = page.evaluate(
                    f"(() => {{ const p = window.gridatlasEditorMap.project([{point.x}, "
                    f"{point.y}]); return [p.x, p.y]; }})()"
                )
                box = page.locator("#edit-map").bounding_box()
                page.mouse.click(box["x"] + x, box["y"] + y)
                checked(page)
                page.fill("#ed-effective", "2030-06-01")
                page.locator("#ed-effective").dispatch_event("input")
                assert "scheduled" in page.locator("#ed-effective-hint").inner_text()
                page.fill("#ed-reason", "grids kept small until the 2030 review")
                page.locator("#ed-publish").click()
                page.wait_for_function(
                    "() => document.getElementById('ed-publish-status').textContent"
                    ".startsWith('Scheduled: revision 1 takes effect on 2030-06-01')",
                    timeout=TIMEOUT_MS,
                )
                page.wait_for_selector(
                    "#ed-versions li[data-number='1'][data-state='scheduled']", timeout=TIMEOUT_MS
                )
                waits = page.locator("#ed-scheduled")
                assert waits.is_visible() and "2030-06-01" in waits.inner_text()
                # The editor shows the live layout again: the parcel is still A's.
                assert page.evaluate(f"window.gridatlasEditor.parcels.get({parcel_id}).grid") == (
                    grid_a
                )
                assert (
                    page.locator("#ed-versions li[data-number='0']")
                    .inner_text()
                    .count("in effect now")
                )
                page.screenshot(path=artifacts_dir / "edit_scheduled.png")

                page.locator("#ed-cancel-scheduled").click()
                page.wait_for_selector(
                    "#ed-versions li[data-number='1'][data-state='cancelled']", timeout=TIMEOUT_MS
                )
                assert page.locator("#ed-scheduled").is_hidden()
                assert "Revision 1 cancelled" in page.locator("#ed-status").inner_text()
            finally:
                browser.close()
        revision = LayoutRevision.objects.get(community__code=community, number=1)
        assert revision.state == "cancelled" and revision.applied_at is None
        assert Parcel.objects.get(pk=parcel_id).grid.code == grid_a
        assert problems == [], problems

"""The layout editor's live totals on a community of 20,000 buildings: does an edit's work fit
in one animation frame (16.7 ms at 60 Hz)?

The page (served by gunicorn on the scratch city database, as deployed) is driven in headless
Chromium. Its editing API answers are replaced in the browser by a synthetic community: a
lattice of square parcels, one building of 30 households each, in grids of 4×4 parcels (480
households), so the size is exact and nothing in the database changes. Each edit is a real
mouse click on a parcel of a neighbouring grid; the page records the time to apply the move
(parcel colour, grid outlines) and to refresh the totals (households, buildings, band,
contiguity of the affected grids). Baseline, same run: the same clicks on a 256-building
community, the browser's fixed cost per edit.

    .venv/bin/python bench/editor_frame.py [--buildings 20000] [--clicks 60]
"""

import argparse
import json
import math
import sys
import time
from contextlib import ExitStack

import harness as h

FRAME_MS = 1000 / 60
CODE = "420102999001"  # a community code no city has: every answer for it is synthetic
LON0, LAT0 = 114.30, 30.58
CELL_DEG = 0.0003  # ~30 m
GRID_SIDE = 4  # parcels per grid side


def synthetic(n_buildings: int) -> tuple[dict, dict]:
    """(editor.json, layout) for a lattice community of about n_buildings parcels."""
    side = max(GRID_SIDE, math.ceil(math.sqrt(n_buildings) / GRID_SIDE) * GRID_SIDE)
    parcels, edges, grids = [], [], {}

    def pid(i, j):
        return i * side + j + 1

    for i in range(side):
        for j in range(side):
            x0, y0 = LON0 + j * CELL_DEG, LAT0 - i * CELL_DEG
            ring = [
                [x0, y0],
                [x0 + CELL_DEG, y0],
                [x0 + CELL_DEG, y0 - CELL_DEG],
                [x0, y0 - CELL_DEG],
                [x0, y0],
            ]
            # 4 digits: a 20,000-building community has more than 999 grids of this size, so
            # the synthetic codes are one digit longer than real ones (the page only shows them).
            grid = f"{CODE}{(i // GRID_SIDE) * (side // GRID_SIDE) + j // GRID_SIDE + 1:04d}"
            grids.setdefault(grid, 0)
            grids[grid] += 30
            parcels.append(
                {
                    "type": "Feature",
                    "id": pid(i, j),
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "households": 30,
                        "buildings": 1,
                        "compound": None,
                        "grid": grid,
                        "microgrid": grid + "001",
                        "x": x0 + CELL_DEG / 2,
                        "y": y0 - CELL_DEG / 2,
                    },
                }
            )
            if j + 1 < side:
                edges.append(
                    ((i, j), (i, j + 1), [[x0 + CELL_DEG, y0], [x0 + CELL_DEG, y0 - CELL_DEG]])
                )
            if i + 1 < side:
                edges.append(
                    ((i, j), (i + 1, j), [[x0, y0 - CELL_DEG], [x0 + CELL_DEG, y0 - CELL_DEG]])
                )
    x1, y1 = LON0 + side * CELL_DEG, LAT0 - side * CELL_DEG
    outline = [[[LON0, LAT0], [x1, LAT0], [x1, y1], [LON0, y1], [LON0, LAT0]]]
    data = {
        "community": {
            "code": CODE,
            "name": "bench",
            "geometry": {"type": "Polygon", "coordinates": outline},
        },
        "parcels": {"type": "FeatureCollection", "features": parcels},
        "edges": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": n + 1,
                    "geometry": {"type": "LineString", "coordinates": line},
                    "properties": {"a": pid(*a), "b": pid(*b)},
                }
                for n, (a, b, line) in enumerate(edges)
            ],
        },
    }
    layout = {
        "community": {"code": CODE, "name": "bench"},
        "revision": 0,
        "editable": True,
        "next_grid_code": None,
        "parcels": [],
        "grids": [
            {"code": c, "name": c[-3:], "households": hh, "buildings": hh // 30, "load": "ok"}
            for c, hh in sorted(grids.items())
        ],
    }
    return data, layout


CLICK_JS = """async ([lon, lat]) => {
  const map = window.gridatlasEditorMap, S = window.gridatlasEditor;
  map.jumpTo({center: [lon, lat], zoom: 18});
  await new Promise((r) => map.once('idle', r));
  const p = map.project([lon, lat]);
  return [p.x, p.y];
}"""


def run_page(page, base: str, n: int, clicks: int) -> dict:
    data, layout = synthetic(n)
    body = json.dumps(data)
    page.unroute("**/api/edit/communities/**")

    def answer(route):
        url = route.request.url
        if url.endswith("/editor.json"):
            route.fulfill(status=200, content_type="application/json", body=body)
        elif url.endswith("/layout"):
            route.fulfill(status=200, content_type="application/json", body=json.dumps(layout))
        elif url.endswith("/revisions"):
            route.fulfill(status=200, content_type="application/json", body='{"revisions": []}')
        elif route.request.method == "DELETE":
            route.fulfill(status=204, body="")
        else:  # the draft: saved, every rule passes (the server's check is not what is timed)
            route.fulfill(
                status=200,
                content_type="application/json",
                body='{"base_revision": 0, "moves": [], "new_grids": [], '
                '"check": {"grids": [], "violations": []}}',
            )

    page.route("**/api/edit/communities/**", answer)
    page.goto(f"{base}/edit/?community={CODE}")
    page.evaluate("localStorage.clear()")
    started = time.perf_counter()
    page.reload()
    page.wait_for_function(
        "window.gridatlasEditor && window.gridatlasEditor.parcels.size > 0 && "
        "!document.getElementById('ed-tools').hidden",
        timeout=120_000,
    )
    page.evaluate("new Promise((r) => window.gridatlasEditorMap.once('idle', r))")
    load_s = time.perf_counter() - started
    side = int(math.sqrt(len(data["parcels"]["features"])))
    apply_ms, refresh_ms = [], []
    box = page.locator("#edit-map").bounding_box()
    # Parcels on a grid's west edge, each clicked once while the grid to its west is active.
    targets = [(i, j) for j in range(GRID_SIDE, side, GRID_SIDE) for i in range(side)]
    step = max(1, len(targets) // clicks)
    for i, j in targets[::step][:clicks]:
        target = data["parcels"]["features"][i * side + j]
        west = data["parcels"]["features"][i * side + j - 1]["properties"]["grid"]
        page.evaluate(f"window.gridatlasEditor.active = '{west}'")
        x, y = page.evaluate(CLICK_JS, [target["properties"]["x"], target["properties"]["y"]])
        page.evaluate("window.gridatlasEditor.applyMs = null")
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_function("window.gridatlasEditor.applyMs !== null", timeout=10_000)
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        a, r = page.evaluate("[window.gridatlasEditor.applyMs, window.gridatlasEditor.refreshMs]")
        apply_ms.append(a)
        refresh_ms.append(r)
    return {
        "load_s": load_s,
        "parcels": len(data["parcels"]["features"]),
        "grids": len(layout["grids"]),
        "apply_ms": apply_ms,
        "refresh_ms": refresh_ms,
        "edit_ms": [a + r for a, r in zip(apply_ms, refresh_ms, strict=True)],
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--buildings", type=int, default=20_000)
    ap.add_argument("--clicks", type=int, default=60)
    ap.add_argument("--db", default="gridatlas_bench")
    args = ap.parse_args()
    h.exit_on_sigterm()
    db_url = h.bench_setup(db=args.db)
    from django.contrib.auth import get_user_model
    from playwright.sync_api import sync_playwright

    user, _ = get_user_model().objects.get_or_create(username="bench_editor")
    user.is_superuser = user.is_staff = True
    user.set_password("bench-editor-pw")
    user.save()
    results = {}
    with sync_playwright() as pw, ExitStack() as stack:
        port = h.gunicorn_start(stack, db_url=db_url, constant_bytes=0)
        base = f"http://127.0.0.1:{port}"
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless=new", "--no-sandbox", "--disable-gpu"],
        )
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "bench_editor")
        page.fill("input[name=password]", "bench-editor-pw")
        page.click("button[type=submit]")
        for label, n in (("baseline", 256), ("target", args.buildings)):
            h.phase(f"{label}: {n} buildings, {args.clicks} clicks")
            results[label] = run_page(page, base, n, args.clicks)
    print(f"\nlayout editor, one edit (a click), ms of browser work, {args.clicks} clicks")
    print(
        f"{'community':>28} {'parcels':>8} {'grids':>6} {'p50':>7} {'p95':>7} {'max':>7} "
        f"{'open (s)':>9}"
    )
    for label, r in results.items():
        e = r["edit_ms"]
        print(
            f"{label:>28} {r['parcels']:8d} {r['grids']:6d} {h.pct(e, 50):7.2f} "
            f"{h.pct(e, 95):7.2f} {max(e):7.2f} {r['load_s']:9.1f}"
        )
    t = results["target"]["edit_ms"]
    base_p50 = h.pct(results["baseline"]["edit_ms"], 50)
    print(
        f"  apply p95 {h.pct(results['target']['apply_ms'], 95):.2f} ms, "
        f"totals p95 {h.pct(results['target']['refresh_ms'], 95):.2f} ms; "
        f"p50 {h.pct(t, 50) / max(base_p50, 0.01):.1f}× the baseline"
    )
    h.verdict(
        h.pct(t, 95) <= FRAME_MS,
        f"edit p95 {h.pct(t, 95):.2f} ms ≤ one frame ({FRAME_MS:.1f} ms) at "
        f"{results['target']['parcels']} buildings",
    )
    h.json_dump(str(h.VAR / "editor_frame.json"), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""The tile benchmark (issue 3): raw tile SQL, our endpoint cold and warm, tipg, and a Django
view returning constant bytes, on one seeded sample of `city` tiles, in ONE run; prints the
docs/design.md targets as ratios against baselines measured in the same run (the 2-core machine is
shared, so absolute numbers drift; ratios much less).

    .venv/bin/python bench/tiles.py [--per-zoom 40] [--seed 42] [--rebuild] [--skip-tipg]
                                    [--rounds 3] [--seconds 4] [--json PATH]

Uses the scratch database gridatlas_bench (BENCH_DATABASE_NAME), built by bench/build_city.py
when missing or empty (about 2 min). See bench/README.md for what each number means.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
import zlib
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# harness (found beside this script) puts the project root in front of sys.path on import, so
# that `import tiles` in the functions below finds the app, not this script.
import harness
import numpy as np
from harness import (
    CLIENTS,
    DEFAULT_DB,
    ROOT,
    VAR,
    Client,
    Run,
    hammer,
    hammer_sequential,
    kb,
    ms,
    pct,
    phase,
    serve,
    throughput,
    timed_get,
    verdict,
    wsgi_get,
)

TIPG_VENV = ROOT / "var" / "bench-venv-tipg"
ZOOMS = range(10, 17)
LOW_ZOOMS = range(10, 13)
COMPARE_LAYER = "grids"  # the per-layer endpoint set against tipg's table tiles
COMPARE_TABLE = "layers_grid"
# tipg serves the same columns as our grids layer (it has no computed `load`).
TIPG_PROPERTIES = ["id", "code", "name", "households", "building_count"]


# --- the database -------------------------------------------------------------------------------
def tile_sample(*, seed: int, per_zoom: int) -> list[tuple[int, int, int]]:
    """A seeded sample of up to per_zoom tiles per zoom, among the tiles that meet a street
    polygon (the city's land, not its bounding box)."""
    from django.db import connection

    rng = random.Random(seed)
    out = []
    with connection.cursor() as cur:
        for z in ZOOMS:
            cur.execute(
                """WITH e AS (SELECT ST_Extent(geom_3857) AS b FROM layers_street),
                        k AS (SELECT 20037508.342789244 AS h, 40075016.68557849 / 2 ^ %(z)s AS s)
                   SELECT x, y FROM e, k,
                     generate_series(floor((ST_XMin(b) + h) / s)::int,
                                     floor((ST_XMax(b) + h) / s)::int) x,
                     generate_series(floor((h - ST_YMax(b)) / s)::int,
                                     floor((h - ST_YMin(b)) / s)::int) y
                    WHERE EXISTS (SELECT 1 FROM layers_street st
                                   WHERE ST_Intersects(st.geom_3857, ST_TileEnvelope(%(z)s, x, y)))
                    ORDER BY x, y""",
                {"z": z},
            )
            tiles = cur.fetchall()
            out += [(z, x, y) for x, y in rng.sample(tiles, min(per_zoom, len(tiles)))]
    return out


def raw_render(cur, *, key: str, tile: tuple[int, int, int]) -> tuple[float, bytes]:
    """The product's own statement for the tile (tiles/render.py), timed around execute and
    fetch only: the floor any endpoint serving this tile stands on."""
    from tiles.registry import layers_for, query_params
    from tiles.render import _statement

    z, x, y = tile
    layers = [la for la in layers_for(key) if la.covers(z)]
    if not layers:
        return 0.0, b""
    params: dict = {}
    for la in layers:
        params.update(query_params(z=z, x=x, y=y, layer=la))
    sql = _statement(tuple(la.key for la in layers), tuple(la.sql_path for la in layers))
    t0 = time.perf_counter()
    cur.execute(sql, params)
    data = cur.fetchone()[0]
    return time.perf_counter() - t0, bytes(data or b"")


def raw_cursor():
    """psycopg's own cursor on Django's connection (no Django wrapper in the timing), with the
    session settings the product sets per tile transaction."""
    from django.conf import settings
    from django.db import connection

    connection.ensure_connection()
    cur = connection.connection.cursor()
    cur.execute(
        f"SET statement_timeout = {int(settings.GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS)}; "
        "SET max_parallel_workers_per_gather = 0"
    )
    return cur


def cache_truncate(cur) -> None:
    """Empty the database cache; its TRUNCATE trigger bumps the epoch, whose NOTIFY empties the
    workers' memories (tiles/memory.py) moments after the commit: wait those moments out, so a
    cold pass is cold."""
    cur.execute("TRUNCATE tiles_cache")
    if not cur.connection.autocommit:
        cur.connection.commit()
    time.sleep(0.2)


def tipg_venv() -> Path:
    """tipg (FastAPI, asyncpg) in a throwaway venv: it must not enter the project's deps."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    if not uvicorn.exists() or not (TIPG_VENV / "bin" / "python").exists():
        print(f"creating {TIPG_VENV} with tipg and uvicorn (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)  # noqa: S603
        pip = [str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"]
        subprocess.run(pip, check=True)  # noqa: S603 - constant argv
    return uvicorn


def tipg_start(stack: ExitStack, *, db_url: str, buffer: int) -> int:
    port = harness.free_port()
    conf = f"TIPG_TABLE_CONFIG__public_{COMPARE_TABLE}__"
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(urlsplit(db_url)._replace(scheme="postgresql")),
        "TIPG_DB_TABLES": json.dumps([f"public.{COMPARE_TABLE}"]),
        # The stored Mercator copy, as our SQL reads (tipg then transforms 3857 → 3857: a no-op).
        conf + "GEOMCOL": "geom_3857",
        conf + "PROPERTIES": json.dumps(TIPG_PROPERTIES),
        "TIPG_TILE_BUFFER": str(buffer),  # ours; tipg's default 256 would cut more geometry
    }
    argv = [str(tipg_venv()), "tipg.main:app", "--workers", "2", "--port", str(port)]
    serve(stack, "tipg", [*argv, "--no-access-log", "--log-level", "warning"], env, port)
    return port


# --- phases -------------------------------------------------------------------------------------
def tile_url(key: str, tile: tuple[int, int, int]) -> str:
    return "/tiles/{}/{}/{}/{}.mvt".format(key, *tile)


def tipg_url(tile: tuple[int, int, int]) -> str:
    return "/collections/public.{}/tiles/WebMercatorQuad/{}/{}/{}".format(COMPARE_TABLE, *tile)


def raw_pass(cur, key: str, tiles: list) -> tuple[list[float], list[bytes]]:
    out = [raw_render(cur, key=key, tile=t) for t in tiles]
    return [t for t, _ in out], [d for _, d in out]


def raw_per_layer(cur, tiles: list) -> dict[str, dict]:
    """Each layer's own statement per tile (0 where the layer does not cover the zoom)."""
    from tiles.registry import LAYERS

    out = {}
    for key in LAYERS:
        raw_s, data = raw_pass(cur, key, tiles)
        out[key] = {"raw_s": raw_s, "size": [len(d) for d in data]}
    return out


def cold_breakdown(cur, tiles: list, rounds: int) -> dict[str, list[float]]:
    """Where a cold composite tile's time goes, in this process (no HTTP): the raw statement,
    the cache lookup, the render in its transaction, md5 + cache put + commit, and the whole
    view through Django's handler and middleware. Per tile, the median over rounds."""
    import hashlib

    from django.db import transaction

    from tiles.cache import cache_lookup, cache_put
    from tiles.coords import TileCoord
    from tiles.registry import COMPOSITE, layers_for
    from tiles.render import tile_render

    handler = harness.wsgi_handler()  # the connection (and `cur` on it) outlives the requests
    parts = ("raw", "lookup", "render_tx", "put_commit", "view")
    t = {p: np.zeros((rounds, len(tiles))) for p in parts}
    for r in range(rounds):
        cache_truncate(cur)
        for i, tile in enumerate(tiles):
            coord = TileCoord(*tile)
            t["raw"][r, i] = raw_render(cur, key=COMPOSITE, tile=tile)[0]
            t0 = time.perf_counter()
            _, epoch = cache_lookup(key=COMPOSITE, coord=coord)
            t1 = time.perf_counter()
            with transaction.atomic():
                out = tile_render(coord=coord, layers=layers_for(COMPOSITE), droppable=True)
                t2 = time.perf_counter()
                etag = '"' + hashlib.md5(out.data, usedforsecurity=False).hexdigest() + '"'
                cache_put(key=COMPOSITE, coord=coord, data=out.data, etag=etag, epoch=epoch)
            t3 = time.perf_counter()
            # The view below must miss too (a DELETE: TRUNCATE would also reset relcaches).
            cur.execute(
                "DELETE FROM tiles_cache WHERE layer = %s AND z = %s AND x = %s AND y = %s",
                [COMPOSITE, *tile],
            )
            t["view"][r, i] = wsgi_get(handler, tile_url(COMPOSITE, tile))
            for part, dt in (("lookup", t1 - t0), ("render_tx", t2 - t1), ("put_commit", t3 - t2)):
                t[part][r, i] = dt
    return {p: np.median(v, axis=0).tolist() for p, v in t.items()}


def paired_cold(cur, port: int, key: str, tiles: list, rounds: int) -> dict:
    """Per tile, the raw statement and a cold HTTP request back to back (alternating which goes
    first), the cache emptied before each round; per tile the median over rounds. Pairing makes
    the per-tile difference robust to the machine's load drifting during the pass."""
    client = Client(port)
    raw = np.zeros((rounds, len(tiles)))
    http = np.zeros((rounds, len(tiles)))
    run = Run()
    for r in range(rounds):
        cache_truncate(cur)
        for i, tile in enumerate(tiles):
            if (i + r) % 2:
                raw[r, i] = raw_render(cur, key=key, tile=tile)[0]
                http[r, i] = timed_get(client, tile_url(key, tile), run)
            else:
                http[r, i] = timed_get(client, tile_url(key, tile), run)
                raw[r, i] = raw_render(cur, key=key, tile=tile)[0]
    client.close()
    return {
        "raw_s": np.median(raw, axis=0).tolist(),
        "http_s": np.median(http, axis=0).tolist(),
        "status": run.status[-len(tiles) :],
        "size": run.size[-len(tiles) :],
        "errors": run.errors,
        "misses_per_round": run.misses / rounds,
    }


def export_time(db_url: str) -> dict | None:
    cmd_file = ROOT / "tiles" / "management" / "commands" / "export_tiles.py"
    if not cmd_file.exists():
        return None
    out = VAR / "city.pmtiles"
    out.unlink(missing_ok=True)
    argv = [sys.executable, str(ROOT / "manage.py"), "export_tiles", "--format", "pmtiles"]
    argv += ["--output", str(out), "--maxzoom", "14"]
    t0 = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - constant argv
        argv, env={**os.environ, "DATABASE_URL": db_url}, cwd=ROOT, capture_output=True, text=True
    )
    took = time.perf_counter() - t0
    size = out.stat().st_size if out.exists() else 0
    return {
        "seconds": took,
        "returncode": proc.returncode,
        "bytes": size,
        "stderr_tail": proc.stderr[-2000:],
    }


# --- report -------------------------------------------------------------------------------------
def per_zoom_table(r: dict) -> None:
    print("   z    n  raw p50  p95 ms |  size p50   p95   max KB | gzip p95 KB  empty")
    zs = np.array([t[0] for t in r["tiles"]])
    sizes, gz, raw = np.array(r["raw_size"]), np.array(r["raw_gzip_size"]), np.array(r["raw_s"])
    for z in [*ZOOMS, None]:
        m = zs == z if z is not None else np.ones(len(zs), bool)
        label = f"z{z}" if z is not None else "all"
        print(
            f"{label:>4} {m.sum():4d}  {ms(raw[m], 50)} {ms(raw[m], 95)} |"
            f" {kb(sizes[m], 50)}{kb(sizes[m], 95)}{kb(sizes[m], 100)} |"
            f"    {kb(gz[m], 95)}  {int((sizes[m] == 0).sum()):5d}"
        )


def layer_table(r: dict) -> None:
    """p95 raw time (ms) / p95 size (KB) of each layer's own statement, by zoom."""
    zs = np.array([t[0] for t in r["tiles"]])
    print("  per layer, p95 ms / p95 KB:   " + "".join(f"{f'z{z}':>11}" for z in ZOOMS))
    for key, v in r["layers"].items():
        raw, size = np.array(v["raw_s"]), np.array(v["size"])
        cells = [
            f"{pct(raw[zs == z], 95) * 1000:5.1f}/{pct(size[zs == z], 95) / 1000:4.0f}"
            for z in ZOOMS
        ]
        print(f"  {key:<29}" + "".join(f"{c:>11}" for c in cells))


def breakdown_lines(r: dict) -> None:
    """The cold composite tile's time split into parts, each the p50 of per-tile values (so the
    parts need not add up exactly to the whole)."""
    if "breakdown" not in r:
        print(f"  where the cold time goes: the in-process run failed: {r['breakdown_error']}")
        return
    b = {k: np.array(v) for k, v in r["breakdown"].items()}
    http = np.array(r["cold"]["http_s"])
    parts = b["lookup"] + b["render_tx"] + b["put_commit"]
    rows = [
        ("raw statement (the floor)", b["raw"]),
        ("cache lookup (a miss)", b["lookup"]),
        ("transaction + SET LOCAL (render in atomic − raw)", b["render_tx"] - b["raw"]),
        ("md5 + cache put + commit", b["put_commit"]),
        ("Django handler, middleware, metrics (view − parts)", b["view"] - parts),
        ("HTTP + gunicorn (cold over HTTP − view in-process)", http - b["view"]),
        ("  for scale: the constant view over HTTP, 1 client", r["constant_seq"].latency_s),
    ]
    print("  where the cold composite's time goes (in-process, p50 per tile):")
    for label, v in rows:
        print(f"    {label:<52} {pct(v, 50) * 1000:6.2f} ms")


def cold_table(tiles: list, cold: dict) -> dict:
    """Per zoom: raw and cold p50, the paired overhead p50, cold p99. Returns the totals."""
    zs = np.array([t[0] for t in tiles])
    raw, http = np.array(cold["raw_s"]), np.array(cold["http_s"])
    diff = http - raw
    print("   z    n  raw p50  cold p50  overhead p50  cold p99  (ms; overhead = paired)")
    for z in [*ZOOMS, None]:
        m = zs == z if z is not None else np.ones(len(tiles), bool)
        label = f"z{z}" if z is not None else "all"
        print(
            f"{label:>4} {m.sum():4d}  {ms(raw[m], 50)}   {ms(http[m], 50)}"
            f"       {ms(diff[m], 50)}   {ms(http[m], 99)}"
        )
    return {
        "overhead_p50_ms": pct(diff, 50) * 1000,
        "p50_diff_ms": (pct(http, 50) - pct(raw, 50)) * 1000,
        "sum_ratio": float(http.sum() / raw.sum()),
        "raw_sum_s": float(raw.sum()),
        "http_sum_s": float(http.sum()),
    }


def run_line(label: str, run: Run) -> None:
    print(
        f"  {label:<34} {run.rate:8.0f} tiles/s   p50 {ms(run.latency_s, 50)} ms"
        f"   p99 {ms(run.latency_s, 99)} ms   ({len(run.latency_s)} requests,"
        f" {run.errors} errors, {run.misses} cache misses)"
    )


def targets_report(r: dict) -> list[str]:
    c, low, tp = r["cold_totals"], r["low_zoom"], r["throughput_ratios"]
    lines = [
        verdict(
            c["overhead_p50_ms"] <= 1.5,
            f"cold overhead over raw SQL, p50 of per-tile differences: "
            f"{c['overhead_p50_ms']:.2f} ms ≤ 1.5 ms (difference of p50s {c['p50_diff_ms']:.2f})",
        ),
        verdict(
            c["sum_ratio"] <= 1.3,
            f"cold summed over the sample: {c['http_sum_s']:.2f} s = {c['sum_ratio']:.2f} × raw "
            f"{c['raw_sum_s']:.2f} s ≤ 1.3 ×",
        ),
        verdict(
            low["cold_p95_ms"] <= 50,
            f"composite z10–z12 cold p95 {low['cold_p95_ms']:.1f} "
            f"ms ≤ 50 ms (raw SQL p95 {low['raw_p95_ms']:.1f} ms)",
        ),
        verdict(
            low["size_p95_kb"] <= 500,
            f"composite z10–z12 size p95 {low['size_p95_kb']:.0f} KB ≤ 500 KB",
        ),
        verdict(
            tp["warm_vs_constant"] >= 0.75,
            f"warm throughput {tp['warm_vs_constant']:.0%} of the constant-bytes view ≥ 75 %",
        ),
    ]
    if "grids_vs_tipg" in tp:
        lines.append(
            verdict(
                tp["grids_vs_tipg"] >= 2,
                f"warm `{COMPARE_LAYER}` throughput {tp['grids_vs_tipg']:.2f} × tipg ≥ 2 ×",
            )
        )
    else:
        lines.append("  SKIP  warm throughput vs tipg (--skip-tipg)")
        print(lines[-1])
    lines.append(
        verdict(
            r["size_p95_kb"] <= 100,
            f"raw tile size p95 (composite, all zooms) {r['size_p95_kb']:.0f} KB ≤ 100 KB",
        )
    )
    ex = r.get("export")
    if ex is None:
        lines.append("  ----  export: not available")
        print(lines[-1])
    else:
        ok = ex["returncode"] == 0 and ex["seconds"] <= 120
        lines.append(
            verdict(
                ok,
                f"PMTiles export z0–z14: {ex['seconds']:.1f} s ≤ 120 s "
                f"(exit {ex['returncode']}, {ex['bytes'] / 1e6:.1f} MB)",
            )
        )
    return lines


# --- main ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--per-zoom", type=int, default=40, help="tiles sampled per zoom (z10–z16)")
    ap.add_argument("--seed", type=int, default=42, help="sample seed (and the city's, if built)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the city database first")
    ap.add_argument("--skip-tipg", action="store_true", help="leave tipg out")
    ap.add_argument("--rounds", type=int, default=3, help="cold passes (per-tile median)")
    ap.add_argument("--seconds", type=float, default=4.0, help="per throughput measurement")
    ap.add_argument("--json", metavar="PATH", help="dump the raw numbers here")
    ap.add_argument("--db", default=DEFAULT_DB)
    return ap.parse_args()


def setup(args) -> str:
    """Point Django at the scratch database (building it when needed); its DATABASE_URL."""
    return harness.bench_setup(db=args.db, rebuild=args.rebuild)


def measure(args, db_url: str, stack: ExitStack) -> dict:
    from tiles.registry import BUFFER, COMPOSITE

    r: dict = {"args": vars(args)}
    phase("sampling tiles that meet the city")
    tiles = r["tiles"] = tile_sample(seed=args.seed, per_zoom=args.per_zoom)
    cur = raw_cursor()
    phase(f"raw SQL: warm-up pass, then timed passes over {len(tiles)} tiles, composite and layers")
    raw_pass(cur, COMPOSITE, tiles)  # pages into shared_buffers, as for every later phase
    raw_s, data = raw_pass(cur, COMPOSITE, tiles)
    r["raw_s"], r["raw_size"] = raw_s, [len(d) for d in data]
    r["raw_gzip_size"] = [len(zlib.compress(d, 6)) if d else 0 for d in data]  # over the wire
    r["layers"] = raw_per_layer(cur, tiles)
    # The throughput loop cycles through the sample, so the mean is its bytes per request.
    r["constant_bytes"] = int(np.mean(r["raw_size"]))
    phase("starting gunicorn" + ("" if args.skip_tipg else " and tipg"))
    port = harness.gunicorn_start(stack, db_url=db_url, constant_bytes=r["constant_bytes"])
    tport = None if args.skip_tipg else tipg_start(stack, db_url=db_url, buffer=BUFFER)
    measure_http(args, r, cur, port, tport)
    stack.close()  # servers down before the export runs
    phase(f"where the cold overhead goes: in-process, {args.rounds} rounds")
    try:
        r["breakdown"] = cold_breakdown(cur, tiles, args.rounds)
    except Exception as exc:  # a late phase must not lose the earlier numbers
        r["breakdown_error"] = repr(exc)
    from tiles.prerender import low_zooms_prerender

    cache_truncate(cur)  # leave the scratch database's cache as built: pre-rendered low zooms
    low_zooms_prerender()
    phase("export")
    r["export"] = export_time(db_url)
    return r


def measure_http(args, r: dict, cur, port: int, tport: int | None) -> None:
    from tiles.registry import COMPOSITE

    tiles = r["tiles"]
    grid_tiles = [t for t in tiles if t[0] >= 12]  # our grids layer starts at z12
    # Wake both workers (DB connection, SQL files, plans) so that "cold" means the tile cache
    # only; every cold round below empties the cache first.
    hammer(port, [tile_url(k, t) for t in grid_tiles for k in (COMPOSITE, COMPARE_LAYER)])
    r["constant_seq"] = hammer_sequential(port, ["/bench/constant.mvt"] * 200)
    phase(f"cold `{COMPARE_LAYER}`, {len(grid_tiles)} tiles × {args.rounds} rounds")
    r["grids_cold"] = paired_cold(cur, port, COMPARE_LAYER, grid_tiles, args.rounds)
    phase(f"cold composite, paired with raw SQL, {len(tiles)} tiles × {args.rounds} rounds")
    r["cold"] = paired_cold(cur, port, COMPOSITE, tiles, args.rounds)
    phase("cold composite, 2 clients")
    cache_truncate(cur)
    r["cold2"] = hammer(port, [tile_url(COMPOSITE, t) for t in tiles])
    if tport:
        phase("tipg: warm-up pass, then 1 client")
        paths = [tipg_url(t) for t in grid_tiles]
        hammer(tport, paths)
        r["tipg_seq"] = hammer_sequential(tport, paths)
    targets = {
        "constant": (port, ["/bench/constant.mvt"]),
        "warm all": (port, [tile_url(COMPOSITE, t) for t in tiles]),
        f"warm {COMPARE_LAYER}": (port, [tile_url(COMPARE_LAYER, t) for t in grid_tiles]),
    }
    if tport:
        targets[f"tipg {COMPARE_LAYER}"] = (tport, [tipg_url(t) for t in grid_tiles])
    phase(f"throughput, {CLIENTS} clients, {args.seconds:.0f} s each: " + ", ".join(targets))
    r["throughput"] = throughput(targets, args.seconds, args.rounds)


def report(r: dict) -> list[str]:
    tiles, thr, rounds = r["tiles"], r["throughput"], r["args"]["rounds"]
    zs = [t[0] for t in tiles]
    print(
        f"sample: {len(tiles)} tiles meeting the city, seed {r['args']['seed']}: "
        + ", ".join(f"z{z} {zs.count(z)}" for z in ZOOMS)
    )
    print("\n1. raw SQL floor: composite `all`, the product's statement, execute + fetch")
    per_zoom_table(r)
    layer_table(r)
    print(
        f"\n2. our endpoint, gunicorn 2 sync workers. Cold = tiles_cache emptied; 1 client, "
        f"each tile's HTTP request\n   paired with its raw SQL, median of {rounds} rounds"
    )
    r["cold_totals"] = cold_table(tiles, r["cold"])
    if r["cold"]["errors"] or r["cold2"].errors:
        print(f"  ! errors: {r['cold']['errors']} (1 client), {r['cold2'].errors} (2 clients)")
    breakdown_lines(r)
    run_line("cold composite, 2 clients", r["cold2"])
    run_line("warm composite, 2 clients", thr["warm all"])
    low = [i for i, t in enumerate(tiles) if t[0] in LOW_ZOOMS]
    r["low_zoom"] = {
        "cold_p95_ms": pct([r["cold"]["http_s"][i] for i in low], 95) * 1000,
        "raw_p95_ms": pct([r["raw_s"][i] for i in low], 95) * 1000,
        "size_p95_kb": pct([r["cold"]["size"][i] for i in low], 95) / 1000,
    }
    gc = r["grids_cold"]
    print(
        f"\n3. `{COMPARE_LAYER}` layer vs tipg's {COMPARE_TABLE} tiles, the sample's "
        f"{len(gc['http_s'])} tiles at z12–z16 (our layer starts at z12)"
    )
    print(
        f"  raw `{COMPARE_LAYER}` SQL, 1 client              p50 {ms(gc['raw_s'], 50)} ms"
        f"   p99 {ms(gc['raw_s'], 99)} ms"
    )
    print(
        f"  ours cold, 1 client                     p50 {ms(gc['http_s'], 50)} ms"
        f"   p99 {ms(gc['http_s'], 99)} ms   (paired overhead p50 "
        f"{pct(np.subtract(gc['http_s'], gc['raw_s']), 50) * 1000:.2f} ms)"
    )
    if "tipg_seq" in r:
        t = r["tipg_seq"]
        print(
            f"  tipg, 1 client (no server cache)        p50 {ms(t.latency_s, 50)} ms"
            f"   p99 {ms(t.latency_s, 99)} ms   ({t.errors} errors)"
        )
        run_line(f"tipg {COMPARE_LAYER}, 2 clients", thr[f"tipg {COMPARE_LAYER}"])
    run_line(f"ours warm {COMPARE_LAYER}, 2 clients", thr[f"warm {COMPARE_LAYER}"])
    print(
        f"\n4. constant-bytes Django view ({r['constant_bytes']:,} B = the mean tile), "
        "same gunicorn"
    )
    run_line("constant, 2 clients", thr["constant"])
    ratios = {"warm_vs_constant": thr["warm all"].rate / thr["constant"].rate}
    if f"tipg {COMPARE_LAYER}" in thr:
        ratios["grids_vs_tipg"] = (
            thr[f"warm {COMPARE_LAYER}"].rate / thr[f"tipg {COMPARE_LAYER}"].rate
        )
    r["throughput_ratios"] = ratios
    r["size_p95_kb"] = pct(r["raw_size"], 95) / 1000
    print("\n5. targets (docs/design.md, ratios in this run)")
    return targets_report(r)


def main() -> None:
    args = parse_args()
    harness.exit_on_sigterm()
    db_url = setup(args)
    with ExitStack() as stack:
        r = measure(args, db_url, stack)
    r["targets"] = report(r)
    if args.json:
        harness.json_dump(args.json, r)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The lookup benchmark (issue 4): a GPS point → its grid card, address search and batch
lookup, each over HTTP and against its floor (the bare SQL, or the selector in-process), on
seeded samples of the `city` data, in ONE run; prints the docs/design.md targets with PASS/MISS.

    .venv/bin/python bench/lookup.py [--points 2000] [--queries 1000] [--batch 100000]
                                     [--address-batch 100000] [--seed 42] [--seconds 3]
                                     [--json PATH]
    .venv/bin/python bench/lookup.py --batches-only   # only the point vs address batch
    .venv/bin/python bench/lookup.py --smoke [--no-build --db NAME]   # that, 300 rows

Runs on the scratch database gridatlas_bench (or BENCH_DATABASE_NAME) and nowhere else; builds
it when missing or empty (about 2 min). Writes nothing to it; the batch CSV goes to var/bench/.
See bench/README.md for what each number means.
"""

import argparse
import cProfile
import json
import pstats
import time
import unicodedata
from contextlib import ExitStack
from dataclasses import asdict

# harness (found beside this script) puts the project root in front of sys.path on import.
import harness
import lookup_samples as samples
import numpy as np
from harness import DEFAULT_DB, VAR, Client, Run, ms, pct, phase, verdict

POINT_TARGET_P99_MS = 20
ADDRESS_TARGET_P99_MS = 50
BATCH_TARGET_S = 5.0
BATCH_TARGET_ROWS = 100_000
ADDRESS_BATCH_TARGET_ROWS_S = 2_000  # address rows a second through the service (100,000 ≤ 60 s)
SMOKE_ROWS = 300
BREAKDOWN_MAX = 400  # points (and queries) taken apart in-process
PLAN_MAX = 200  # points (and queries) run under EXPLAIN ANALYZE for planning vs execution
THROUGHPUT_PATHS = 300  # distinct requests each throughput client cycles through
MINIMAL_SQL = """SELECT code FROM layers_grid
                  WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
                  ORDER BY code LIMIT 1"""
BATCH_FLOOR_SQL = """
SELECT g.code
  FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
  LEFT JOIN LATERAL (
        SELECT code FROM layers_grid g
         WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
         ORDER BY g.code LIMIT 1) g ON true
 ORDER BY p.i"""


# --- the floors ---------------------------------------------------------------------------------
def raw_cursor():
    """psycopg's own cursor on Django's connection (client-side binding, as Django's), so no
    Django wrapper is in the timing; autocommit, as outside a request."""
    from django.db import connection

    connection.ensure_connection()
    return connection.connection.cursor()


def point_params(p: samples.SamplePoint) -> dict:
    from layers.selectors.lookup import STATION_CANDIDATES, STATIONS_SHOWN

    return {
        "lon": p.wgs84_lon,
        "lat": p.wgs84_lat,
        "stations": STATIONS_SHOWN,
        "station_candidates": STATION_CANDIDATES,
    }


def timed(cur, sql: str, params: dict) -> tuple[float, list]:
    t0 = time.perf_counter()
    cur.execute(sql, params)
    rows = cur.fetchall()
    return time.perf_counter() - t0, rows


def point_sql() -> str:
    from geo.sql import sql_text
    from layers.selectors.lookup import SQL_DIR

    return sql_text(SQL_DIR / "point_lookup.sql")


def raw_lookup(cur, p) -> tuple[float, str | None]:
    """The product's statement for the point: seconds, and the grid code it answers."""
    dt, rows = timed(cur, point_sql(), point_params(p))
    grid = rows[0][0]["grid"]
    return dt, grid["code"] if grid else None


def minimal_lookup(cur, p) -> float:
    return timed(cur, MINIMAL_SQL, {"lon": p.wgs84_lon, "lat": p.wgs84_lat})[0]


def plan_split(cur, sql: str, param_sets: list[dict]) -> dict[str, list[float]]:
    """Planning and execution time (s) of each statement as PostgreSQL reports them, with JIT
    time when JIT kicked in (EXPLAIN ANALYZE: execution a little slower than plain)."""
    out: dict[str, list[float]] = {"planning": [], "execution": [], "jit": []}
    for params in param_sets:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0][0]
        out["planning"].append(plan["Planning Time"] / 1000)
        out["execution"].append(plan["Execution Time"] / 1000)
        out["jit"].append(plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0) / 1000)
    return out


# --- points -------------------------------------------------------------------------------------
def point_breakdown(cur, points: list, handler) -> dict[str, list[float]]:
    """Per point, in this process: the raw statement, the selector (Django's cursor, json, the
    GridCard), the selector in a transaction (ATOMIC_REQUESTS), parsing the query and encoding
    the JsonResponse, and the whole view through Django's WSGI handler and middleware."""
    from django.db import transaction

    from geo.http import json_response
    from layers.lookup import views as lookup_views
    from layers.selectors.lookup import grid_card_for_point

    t: dict[str, list[float]] = {k: [] for k in ("raw", "selector", "atomic", "json", "view")}
    t["size"] = []
    for p in points:
        t["raw"].append(raw_lookup(cur, p)[0])
        kw = {"lon": p.wgs84_lon, "lat": p.wgs84_lat, "contacts_visible": False}
        t0 = time.perf_counter()
        grid_card_for_point(**kw)
        t1 = time.perf_counter()
        with transaction.atomic():
            card = grid_card_for_point(**kw)
        t2 = time.perf_counter()
        params = {"lon": f"{p.lon:.7f}", "lat": f"{p.lat:.7f}", "crs": p.crs}
        query = lookup_views.PointQuery.parse(params)
        json_response({"query": asdict(query), "card": lookup_views._cardjson_response(card)})
        t3 = time.perf_counter()
        view_s, status, body = harness.wsgi_request(handler, p.path)
        if status != 200:
            raise RuntimeError(f"{p.path}: status {status} in-process: {body[:300]!r}")
        for part, dt in (("selector", t1 - t0), ("atomic", t2 - t1), ("json", t3 - t2)):
            t[part].append(dt)
        t["view"].append(view_s)
        t["size"].append(len(body))
    return t


def point_paired(cur, port: int, points: list) -> dict:
    """Per point, back to back (alternating which goes first): the product's statement, the
    minimal covers query, and GET /api/lookup with 1 client. Checks each HTTP answer's grid
    against the statement's."""
    client = Client(port)
    out: dict[str, list] = {"raw": [], "minimal": [], "http": [], "status": [], "grid_ok": []}
    for i, p in enumerate(points):
        if i % 2:
            raw_s, code = raw_lookup(cur, p)
            minimal_s = minimal_lookup(cur, p)
        t0 = time.perf_counter()
        resp = client.request("GET", p.path)
        http_s = time.perf_counter() - t0
        if not i % 2:
            raw_s, code = raw_lookup(cur, p)
            minimal_s = minimal_lookup(cur, p)
        card = json.loads(resp.body)["card"] if resp.status == 200 else {}
        grid = card.get("grid") or {}
        out["grid_ok"].append(resp.status == 200 and grid.get("code") == code)
        for k, v in (("raw", raw_s), ("minimal", minimal_s), ("http", http_s)):
            out[k].append(v)
        out["status"].append(resp.status)
    client.close()
    return out


# --- addresses ----------------------------------------------------------------------------------
def address_breakdown(cur, queries: list, handler) -> dict[str, list[float]]:
    """Per query, in this process: parsing, the bare SQL, the whole selector, the card of the
    top candidate (a point lookup), and the view through Django's handler."""
    from geo.errors import BadRequest
    from geo.sql import sql_text
    from layers.selectors import address_search as s
    from layers.selectors.lookup import grid_card_for_point

    sql = sql_text(s.SQL_DIR / "address_search.sql")
    t: dict[str, list[float]] = {k: [] for k in ("parse", "sql", "selector", "card", "view")}
    for q in queries:
        try:
            t0 = time.perf_counter()
            parsed = s._query_parse(q.q)
            t1 = time.perf_counter()
        except BadRequest:
            continue  # the view answers 400; counted in the HTTP pass
        sql_s = timed(cur, sql, s._sql_params(parsed))[0]
        t2 = time.perf_counter()
        result = s.address_candidates(q=q.q, limit=5)
        t3 = time.perf_counter()
        if result.candidates:
            top = result.candidates[0]
            grid_card_for_point(lon=top.lon, lat=top.lat, contacts_visible=False)
        t4 = time.perf_counter()
        view_s = harness.wsgi_request(handler, q.path)[0]
        for part, dt in (("parse", t1 - t0), ("sql", sql_s), ("selector", t3 - t2)):
            t[part].append(dt)
        t["card"].append(t4 - t3)
        t["view"].append(view_s)
    return t


def address_paired(port: int, queries: list) -> dict:
    """Per query, back to back (alternating): the selector in this process and GET
    /api/lookup?q= with 1 client; whether the top candidate is the query's building."""
    from geo.errors import BadRequest
    from layers.selectors.address_search import address_candidates

    def selector(q) -> float:
        t0 = time.perf_counter()
        try:
            address_candidates(q=q, limit=5)
        except BadRequest:
            pass
        return time.perf_counter() - t0

    client = Client(port)
    out: dict[str, list] = {"selector": [], "http": [], "status": [], "top_ok": [], "certain": []}
    for i, q in enumerate(queries):
        if i % 2:
            sel_s = selector(q.q)
        t0 = time.perf_counter()
        resp = client.request("GET", q.path)
        http_s = time.perf_counter() - t0
        if not i % 2:
            sel_s = selector(q.q)
        body = json.loads(resp.body) if resp.status == 200 else {}
        top = (body.get("candidates") or [None])[0]
        out["top_ok"].append(samples.top_is_expected(q, top))
        out["certain"].append(bool(body.get("certain")))
        out["selector"].append(sel_s)
        out["http"].append(http_s)
        out["status"].append(resp.status)
    client.close()
    return out


# --- the batch ----------------------------------------------------------------------------------
def profile_parts(stats: pstats.Stats, parts: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Cumulative seconds of each (file suffix, function name) in a profile."""
    out = dict.fromkeys(parts, 0.0)
    for (filename, _, func), (_, _, _, cum, _) in stats.stats.items():
        for label, (suffix, name) in parts.items():
            if func == name and filename.endswith(suffix):
                out[label] += cum
    return out


POINT_COLUMNS_PARTS = {
    "load layers: SQL and fetch (_layers)": ("selectors/batch_points.py", "_layers"),
    "  of which fetching the rows": ("psycopg/cursor.py", "fetchall"),
    "WKB → GEOS (shapely.from_wkb)": ("shapely/io.py", "from_wkb"),
    "STRtree builds": ("shapely/strtree.py", "__init__"),
    "covered_by queries + lowest code (_first_cover)": ("batch_points.py", "_first_cover"),
    "nearest station, geodesic distance": ("batch_points.py", "_nearest_stations"),
    "text columns (_pick)": ("batch_points.py", "_pick"),
    "total (point_columns)": ("batch_points.py", "point_columns"),
}


def batch_inprocess(lons: np.ndarray, lats: np.ndarray, csv_bytes: bytes) -> dict:
    """point_columns (timed, then once more under cProfile for its parts), and the full service:
    table_read, batch_lookup (with its point_columns call timed apart), table_write."""
    from layers.selectors.batch_points import point_columns
    from layers.services import lookup_batch as service

    point_columns(lons=lons[:1000], lats=lats[:1000])  # imports, pyproj's first transformer
    out: dict = {}
    t0 = time.perf_counter()
    cols = point_columns(lons=lons, lats=lats)
    out["point_columns_s"] = time.perf_counter() - t0
    out["matched"] = sum(1 for c in cols.grid_code if c)
    out["grid_codes"] = cols.grid_code
    prof = cProfile.Profile()
    prof.runcall(point_columns, lons=lons, lats=lats)
    out["parts"] = profile_parts(pstats.Stats(prof), POINT_COLUMNS_PARTS)

    inner = {"point_columns": 0.0, "to_wgs84_many": 0.0}

    def clocked(name, fn):
        def call(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                inner[name] += time.perf_counter() - t

        return call

    t0 = time.perf_counter()
    table = service.table_read(data=csv_bytes, filename="batch.csv")
    t1 = time.perf_counter()
    originals = service.point_columns, service.to_wgs84_many
    # Wrapped in this process only, to time the service's parts (the product is unchanged).
    service.point_columns = clocked("point_columns", service.point_columns)
    service.to_wgs84_many = clocked("to_wgs84_many", service.to_wgs84_many)
    try:
        result = service.batch_lookup(table=table, crs="wgs84")
    finally:
        service.point_columns, service.to_wgs84_many = originals
    t2 = time.perf_counter()
    data = service.table_write(result.table)
    t3 = time.perf_counter()
    out["service"] = {
        "table_read_s": t1 - t0,
        "batch_lookup_s": t2 - t1,
        "table_write_s": t3 - t2,
        "inner_point_columns_s": inner["point_columns"],
        "inner_to_wgs84_s": inner["to_wgs84_many"],
        "matched": result.matched,
        "bytes_out": len(data),
    }
    return out


def batch_floor(lons: np.ndarray, lats: np.ndarray) -> dict:
    """The set-based join in PostGIS, server-side parameters (binary arrays, not 100,000
    literals): seconds, and the grid code of each point."""
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    cur = psycopg.Cursor(connection.connection)
    params = {"lons": lons.tolist(), "lats": lats.tolist()}
    t0 = time.perf_counter()
    cur.execute(BATCH_FLOOR_SQL, params)
    codes = [r[0] for r in cur.fetchall()]
    took = time.perf_counter() - t0
    cur.close()
    return {"seconds": took, "grid_codes": codes}


def _service_batch(data: bytes, name: str) -> dict:
    """table_read + batch_lookup of one file in this process: seconds, rows, matched."""
    from layers.services import lookup_batch as service

    t0 = time.perf_counter()
    table = service.table_read(data=data, filename=name)
    result = service.batch_lookup(table=table, crs="wgs84")
    took = time.perf_counter() - t0
    return {"seconds": took, "rows": len(table.rows), "matched": result.matched}


def address_batch(seed: int, n: int) -> dict:
    """n address rows of the plain forms, built from the demo data, through the service
    (table_read + batch_lookup), and the point batch of the same size in the same run; the
    address rows the one-statement path decided and the ones asked one by one, timed apart."""
    from layers.services import lookup_batch as service

    addresses = samples.address_rows(seed=seed, n=n)
    lons, lats = samples.batch_points(seed=seed, n=n)
    point_csv, address_csv = samples.batch_csv(lons, lats), samples.address_csv(addresses)
    _service_batch(samples.batch_csv(lons[:50], lats[:50]), "warm.csv")  # imports, transformer
    _service_batch(samples.address_csv(addresses[:50]), "warm.csv")
    points = _service_batch(point_csv, "points.csv")
    inner = {"fast_s": 0.0, "fast_decided": 0, "fast_certain": 0, "per_row_s": 0.0, "per_row_n": 0}
    fast, per_row = service.address_answers, service.address_candidates

    def fast_clocked(texts):
        t = time.perf_counter()
        answers = fast(texts)
        inner["fast_s"] += time.perf_counter() - t
        inner["fast_decided"] += sum(a is not None for a in answers)
        inner["fast_certain"] += sum(a is not None and a.certain for a in answers)
        return answers

    def per_row_clocked(**kw):
        t = time.perf_counter()
        try:
            return per_row(**kw)
        finally:
            inner["per_row_s"] += time.perf_counter() - t
            inner["per_row_n"] += 1

    # Wrapped in this process only, to time the service's parts (the product is unchanged).
    service.address_answers, service.address_candidates = fast_clocked, per_row_clocked
    try:
        addr = _service_batch(address_csv, "addresses.csv")
    finally:
        service.address_answers, service.address_candidates = fast, per_row
    return {"n": n, "points": points, "addresses": {**addr, **inner}}


def address_batch_report(a: dict) -> str:
    n, pt, ad = a["n"], a["points"], a["addresses"]
    rate, point_rate = n / ad["seconds"], n / pt["seconds"]
    print(f"\naddress batch: {n:,} address rows (plain forms from the demo data) vs {n:,} points")
    print(
        f"  points through the service      {pt['seconds']:7.2f} s  {point_rate:9,.0f} rows/s"
        f"   ({pt['matched']:,} matched)"
    )
    print(
        f"  addresses through the service   {ad['seconds']:7.2f} s  {rate:9,.0f} rows/s"
        f"   ({ad['matched']:,} matched, certain)"
    )
    print(
        f"    one statement (address_batch)  {ad['fast_s']:7.2f} s   answered "
        f"{ad['fast_decided']:,} of {n:,} ({ad['fast_certain']:,} certain)"
    )
    print(f"    one by one (address_candidates){ad['per_row_s']:7.2f} s   {ad['per_row_n']:,} rows")
    print(f"  address / point time: {ad['seconds'] / pt['seconds']:.1f}×")
    return verdict(
        rate >= ADDRESS_BATCH_TARGET_ROWS_S,
        f"address batch of {n:,}: {rate:,.0f} rows/s ≥ {ADDRESS_BATCH_TARGET_ROWS_S:,} rows/s "
        f"({ad['seconds']:.1f} s; points of the same size {pt['seconds']:.2f} s, "
        f"{ad['seconds'] / pt['seconds']:.1f}× as long)",
    )


def smoke_setup(db: str) -> None:
    """Point Django at `db` as it is (the test database in tests/test_bench_smoke.py): no build."""
    import os

    import django

    if db == harness._product_database()["NAME"]:
        raise RuntimeError(f"{db!r} is the project's own database; benchmarks use a scratch one")
    os.environ["DATABASE_URL"] = harness.bench_database_url(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()


# --- measure ------------------------------------------------------------------------------------
def measure(args, db_url: str, stack: ExitStack) -> dict:
    r: dict = {"args": vars(args)}
    phase(f"sampling {args.points} points, {args.queries} queries, {args.batch:,} batch points")
    points = samples.point_sample(seed=args.seed, n=args.points)
    queries = samples.query_sample(seed=args.seed, n=args.queries)
    lons, lats = samples.batch_points(seed=args.seed, n=args.batch)
    csv_bytes = samples.batch_csv(lons, lats)
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / f"lookup_batch_{args.batch}.csv").write_bytes(csv_bytes)
    r["points"] = [asdict(p) for p in points]
    r["queries"] = [asdict(q) for q in queries]
    cur = raw_cursor()
    handler = harness.wsgi_handler()  # the connection (and `cur` on it) outlives the requests
    phase("warm-up: every point's statement once (pages into shared_buffers), some queries")
    for p in points:
        raw_lookup(cur, p)
        minimal_lookup(cur, p)
    address_breakdown(cur, queries[:50], handler)
    phase(f"in-process: where a point lookup's time goes ({min(len(points), BREAKDOWN_MAX)})")
    r["point_parts"] = point_breakdown(cur, points[:BREAKDOWN_MAX], handler)
    r["point_plan"] = plan_split(cur, point_sql(), [point_params(p) for p in points[:PLAN_MAX]])
    phase(f"in-process: where an address query's time goes ({min(len(queries), BREAKDOWN_MAX)})")
    r["address_parts"] = address_breakdown(cur, queries[:BREAKDOWN_MAX], handler)
    r["address_plan"] = address_plan(cur, queries[:PLAN_MAX])
    size = int(np.mean(r["point_parts"]["size"]))
    phase("starting gunicorn")
    port = harness.gunicorn_start(stack, db_url=db_url, constant_bytes=size)
    measure_http(args, r, cur, port, points, queries)
    stack.close()  # the server down before the in-process batch
    phase("batch in-process: point_columns, then the service")
    r["batch"] = batch_inprocess(lons, lats, csv_bytes)
    phase("batch floor: the set-based PostGIS join")
    r["batch_floor"] = batch_floor(lons, lats)
    phase(f"address batch: {args.address_batch:,} address rows vs as many points, in-process")
    r["address_batch"] = address_batch(args.seed, args.address_batch)
    return r


def address_plan(cur, queries: list) -> dict[str, list[float]]:
    from geo.errors import BadRequest
    from geo.sql import sql_text
    from layers.selectors import address_search as s

    params = []
    for q in queries:
        try:
            params.append(s._sql_params(s._query_parse(q.q)))
        except BadRequest:
            pass
    return plan_split(cur, sql_text(s.SQL_DIR / "address_search.sql"), params)


def measure_http(args, r: dict, cur, port: int, points: list, queries: list) -> None:
    point_paths = [p.path for p in points[:THROUGHPUT_PATHS]]
    harness.hammer(port, point_paths[:100])  # wake both workers (connection, SQL files, plans)
    phase(f"points over HTTP, 1 client, each paired with its statements ({len(points)})")
    r["point_http"] = point_paired(cur, port, points)
    r["constant_seq"] = harness.hammer_sequential(port, ["/bench/constant.mvt"] * 200)
    phase(f"addresses over HTTP, 1 client, each paired with the selector ({len(queries)})")
    r["address_http"] = address_paired(port, queries)
    targets = {
        "point lookup": (port, point_paths),
        "address search": (port, [q.path for q in queries[:THROUGHPUT_PATHS]]),
        "constant": (port, ["/bench/constant.mvt"]),
    }
    phase(f"throughput, 2 clients, {args.seconds:.0f} s each: " + ", ".join(targets))
    r["throughput"] = harness.throughput(targets, args.seconds, 2)


# --- report -------------------------------------------------------------------------------------
def pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def lat_line(label: str, values, extra: str = "") -> None:
    print(f"  {label:<46} p50 {ms(values, 50)} ms   p99 {ms(values, 99)} ms{extra}")


def run_line(label: str, run: Run) -> None:
    print(
        f"  {label:<34} {run.rate:8.0f} req/s   p50 {ms(run.latency_s, 50)} ms"
        f"   p99 {ms(run.latency_s, 99)} ms   ({len(run.latency_s)} requests, {run.errors} errors)"
    )


def parts_lines(title: str, rows: list[tuple[str, object]]) -> None:
    print(f"  {title}")
    for label, v in rows:
        print(f"    {label:<56} {pct(v, 50) * 1000:6.2f} ms")


def point_report(r: dict) -> dict:
    kinds = [p["kind"] for p in r["points"]]
    h = {k: np.array(v) for k, v in r["point_http"].items()}
    print(
        f"\n1. point → grid card, GET /api/lookup?lon=…&lat=…, gunicorn 2 sync workers; "
        f"{len(kinds)} points\n   (1 client, each request paired with the statements for the "
        "same point)"
    )
    print("   kind              n   HTTP p50    p99 |  raw SQL p50    p99 | minimal p50 (ms)")
    for kind in [*sorted(set(kinds)), None]:
        m = np.array([k == kind for k in kinds]) if kind else np.ones(len(kinds), bool)
        print(
            f"   {kind or 'all':<14} {m.sum():4d}   {ms(h['http'][m], 50)}{ms(h['http'][m], 99)} |"
            f"     {ms(h['raw'][m], 50)}{ms(h['raw'][m], 99)} |     {ms(h['minimal'][m], 50)}"
        )
    errors = int((h["status"] != 200).sum())
    print(
        f"  HTTP answers whose grid is the statement's: {int(h['grid_ok'].sum())}/{len(kinds)}"
        f"  ({errors} errors)"
    )
    b = {k: np.array(v) for k, v in r["point_parts"].items()}
    n = len(b["raw"])
    http = h["http"][:n]
    plan = r["point_plan"]
    parts_lines(
        f"where a point lookup's time goes (in-process, p50 over the first {n} points):",
        [
            ("raw statement: execute + fetch (the floor)", b["raw"]),
            (
                f"  of which planning (EXPLAIN ANALYZE, {len(plan['planning'])} points)",
                plan["planning"],
            ),  # fmt: skip
            ("  of which execution", plan["execution"]),
            ("Django cursor, json, GridCard (selector − raw)", b["selector"] - b["raw"]),
            ("transaction: BEGIN/COMMIT (ATOMIC_REQUESTS)", b["atomic"] - b["selector"]),
            ("parse query + JSON encoding (JsonResponse)", b["json"]),
            ("Django handler, middleware (view − above)", b["view"] - b["atomic"] - b["json"]),
            ("HTTP + gunicorn (HTTP − view in-process)", http - b["view"]),
            ("  for scale: the constant view over HTTP, 1 client", r["constant_seq"].latency_s),
            ("  for scale: minimal covers query", h["minimal"]),
        ],
    )
    print(f"  response size p50 {pct(b['size'], 50) / 1000:.1f} KB")
    thr = r["throughput"]
    run_line("point lookup, 2 clients", thr["point lookup"])
    run_line("constant view, 2 clients", thr["constant"])
    outside = np.array([k == "outside" for k in kinds])
    return {
        "p99_ms": pct(h["http"], 99) * 1000,
        "inside_p99_ms": pct(h["http"][~outside], 99) * 1000,
        "outside_p50_ms": pct(h["http"][outside], 50) * 1000,
        "outside_n": int(outside.sum()),
    }


def address_report(r: dict) -> float:
    qs = r["queries"]
    h = {k: np.array(v) for k, v in r["address_http"].items()}
    print(
        f"\n2. address search, GET /api/lookup?q=…, 1 client, each request paired with the "
        f"selector in-process; {len(qs)} queries"
    )
    print(
        "   variant                   n  top-1 ok  certain |  HTTP p50    p99 | selector p50  p99"
    )
    variants = [q["variant"] for q in qs]
    for v in [*sorted(set(variants)), None]:
        m = np.array([x == v for x in variants]) if v else np.ones(len(qs), bool)
        print(
            f"   {pad(v or 'all', 24)}{m.sum():4d}  {h['top_ok'][m].mean():7.0%}"
            f"  {h['certain'][m].mean():7.0%}"
            f" | {ms(h['http'][m], 50)}{ms(h['http'][m], 99)} | {ms(h['selector'][m], 50)}"
            f"{ms(h['selector'][m], 99)}"
        )
    errors = {int(s): int((h["status"] == s).sum()) for s in set(h["status"].tolist()) - {200}}
    print(f"  non-200 answers: {errors or 'none'} (top-1 ok: the query's building, or compound)")
    b = {k: np.array(v) for k, v in r["address_parts"].items()}
    plan = r["address_plan"]
    parts_lines(
        f"where an address query's time goes (in-process, p50 over {len(b['sql'])} queries):",
        [
            ("parse (address_parse)", b["parse"]),
            ("SQL: execute + fetch", b["sql"]),
            (
                f"  of which planning (EXPLAIN ANALYZE, {len(plan['planning'])} queries)",
                plan["planning"],
            ),  # fmt: skip
            ("  of which execution", plan["execution"]),
            ("  of which JIT", plan["jit"]),
            (
                "scoring, ranking, Django cursor (selector − parse − SQL)",
                b["selector"] - b["parse"] - b["sql"],
            ),  # fmt: skip
            ("card of the top candidate (a point lookup)", b["card"]),
            (
                "Django handler, middleware, JSON (view − selector − card)",
                b["view"] - b["selector"] - b["card"],
            ),  # fmt: skip
        ],
    )
    print(
        f"    {'SQL p99 / selector p99 / view p99 (in-process)':<56} "
        f"{pct(b['sql'], 99) * 1000:6.2f} / {pct(b['selector'], 99) * 1000:.2f} / "
        f"{pct(b['view'], 99) * 1000:.2f} ms"
    )
    run_line("address search, 2 clients", r["throughput"]["address search"])
    return pct(h["http"], 99) * 1000


def batch_report(r: dict) -> dict:
    n = r["args"]["batch"]
    b, s, fl = r["batch"], r["batch"]["service"], r["batch_floor"]
    agree = sum(a == (c or "") for a, c in zip(b["grid_codes"], fl["grid_codes"], strict=True))
    print(f"\n3. batch: {n:,} points (address points ±15 m, 2 % anywhere in the box)")
    print(f"  point_columns in-process                    {b['point_columns_s']:7.2f} s"
          f"   ({b['matched']:,} in a grid)")  # fmt: skip
    print("  its parts (one more run, under cProfile):")
    for label, v in b["parts"].items():
        print(f"    {label:<52} {v:7.2f} s")
    total = s["table_read_s"] + s["batch_lookup_s"] + s["table_write_s"]
    print(
        f"  full service in-process                     {total:7.2f} s   ({s['matched']:,} matched)"
    )
    rows = [
        ("table_read (decode, csv)", s["table_read_s"]),
        ("batch_lookup", s["batch_lookup_s"]),
        ("  of which point_columns", s["inner_point_columns_s"]),
        ("  of which to_wgs84_many", s["inner_to_wgs84_s"]),
        (
            "  of which the row loop (numbers, cells, gettext)",
            s["batch_lookup_s"] - s["inner_point_columns_s"] - s["inner_to_wgs84_s"],
        ),  # fmt: skip
        (f"table_write (csv, {s['bytes_out'] / 1e6:.1f} MB)", s["table_write_s"]),
    ]
    for label, v in rows:
        print(f"    {label:<52} {v:7.2f} s")
    # POST /api/lookup/batch only queues the file (202): the worker runs the service measured
    # above (layers/jobs.py), so there is no request to time beyond the upload.
    print("  over HTTP: the upload is queued (202) and the worker runs the service above")
    print(
        f"  floor: set-based PostGIS join (LATERAL covers) {fl['seconds']:6.2f} s   "
        f"(same grid as point_columns for {agree:,}/{n:,})"
    )
    return {"point_columns": b["point_columns_s"], "service": total}


def report(r: dict) -> list[str]:
    a = r["args"]
    print(
        f"lookup benchmark on {a['db']}, seed {a['seed']}: {a['points']} points, "
        f"{a['queries']} address queries, a batch of {a['batch']:,}"
    )
    pt = point_report(r)
    address_p99 = address_report(r)
    batch = batch_report(r)
    n = a["batch"]
    scale = "" if n == BATCH_TARGET_ROWS else f" (the target is for {BATCH_TARGET_ROWS:,} points)"
    print("\n4. targets (docs/design.md)")
    lines = [
        verdict(
            pt["p99_ms"] <= POINT_TARGET_P99_MS,
            f"point → grid card over HTTP, 1 client: p99 {pt['p99_ms']:.1f} ms ≤ "
            f"{POINT_TARGET_P99_MS} ms (inside grids p99 {pt['inside_p99_ms']:.1f} ms; the "
            f"{pt['outside_n']} outside every grid p50 {pt['outside_p50_ms']:.1f} ms)",
        ),
        verdict(
            address_p99 <= ADDRESS_TARGET_P99_MS,
            f"address search over HTTP, 1 client: p99 {address_p99:.1f} ms ≤ "
            f"{ADDRESS_TARGET_P99_MS} ms",
        ),
    ]
    for key, label in (
        ("point_columns", "point_columns in-process"),
        ("service", "full service as the worker runs it (read, lookup, write)"),
    ):
        lines.append(
            verdict(
                batch[key] <= BATCH_TARGET_S,
                f"batch of {n:,}, {label}: {batch[key]:.2f} s ≤ {BATCH_TARGET_S:.0f} s{scale}",
            )
        )
    lines.append(address_batch_report(r["address_batch"]))
    return lines


# --- main ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--points", type=int, default=2000, help="point lookups (HTTP and floors)")
    ap.add_argument("--queries", type=int, default=1000, help="address queries")
    ap.add_argument("--batch", type=int, default=BATCH_TARGET_ROWS, help="points in the batch")
    ap.add_argument("--seed", type=int, default=42, help="seed of every sample")
    ap.add_argument("--seconds", type=float, default=3.0, help="per throughput measurement")
    ap.add_argument(
        "--address-batch",
        type=int,
        default=BATCH_TARGET_ROWS,
        help="address rows in the address batch (and points in the one it is compared with)",
    )
    ap.add_argument("--json", metavar="PATH", help="dump the raw numbers here")
    ap.add_argument(
        "--batches-only", action="store_true", help="only the address batch vs the point batch"
    )
    ap.add_argument(
        "--smoke", action="store_true", help=f"--batches-only with {SMOKE_ROWS} rows, seconds"
    )
    ap.add_argument("--db", default=DEFAULT_DB, help="the scratch database")
    ap.add_argument("--no-build", action="store_true", help="use --db as it is (with --smoke)")
    args = ap.parse_args()
    if args.smoke:
        args.batches_only, args.address_batch = True, SMOKE_ROWS
    return args


def batches_only(args) -> None:
    """The address batch against the point batch of the same size, nothing else."""
    if args.no_build:
        smoke_setup(args.db)
    else:
        harness.bench_setup(db=args.db)
    phase(f"address batch: {args.address_batch:,} address rows vs as many points, in-process")
    r = {"args": vars(args), "address_batch": address_batch(args.seed, args.address_batch)}
    print(f"lookup benchmark, batches only, on {args.db}, seed {args.seed}")
    r["targets"] = [address_batch_report(r["address_batch"])]
    if args.json:
        harness.json_dump(args.json, r)


def main() -> None:
    args = parse_args()
    harness.exit_on_sigterm()
    if args.batches_only:
        batches_only(args)
        return
    # Only the scratch database (BENCH_DATABASE_NAME, default gridatlas_bench): bench_setup
    # points Django at it before geo.settings is imported and checks where it connected.
    db_url = harness.bench_setup(db=args.db)
    with ExitStack() as stack:
        r = measure(args, db_url, stack)
    r["targets"] = report(r)
    if args.json:
        for key in ("batch", "batch_floor"):
            r[key].pop("grid_codes")
        harness.json_dump(args.json, r)


if __name__ == "__main__":
    main()

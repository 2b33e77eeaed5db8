"""Does /healthz keep answering while 10 clients send abusive uploads? (docs/design.md: "abuse")

    .venv/bin/python bench/abuse.py                    # about 1 min (plus ~10 s the first time)
    .venv/bin/python bench/abuse.py --smoke            # a few seconds: tiny files, short phases
    .venv/bin/python bench/abuse.py --json var/bench/abuse.json

Starts gunicorn as `make run` does (geo/gunicorn.conf.py, 2 threaded workers) on a free loopback
port against a scratch database holding the small demo city (built on first use), then:
1. baseline: one client polls /healthz for --seconds with nothing else running;
2. abuse: the same poll while 10 clients (5 anonymous, 5 signed in) loop for --seconds over
   an XLSX bomb (millions of rows in a few hundred KB) to the batch lookup and to /import/, a
   Shapefile zip bomb, a CSV over the upload limit (an honest Content-Length), a CSV under the
   limit but over the row cap, and a small valid batch posted again and again.
It prints /healthz's p50/p99/max and errors in both phases, their ratio, how each abusive
request was answered, and the workers' peak RSS. Every answer to an abusive request should be
a cheap 4xx (413, 400, 429, 401/403).
"""

import argparse
import io
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import harness
from harness import Client, multipart, pct, phase, verdict

ABUSERS = 10
POLL_S = 0.05  # /healthz every 50 ms
DEFAULT_DB = os.environ.get("BENCH_ABUSE_DATABASE_NAME", "gridatlas_abuse")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the abusive files ---------------------------------------------------------------------------
def xlsx_bomb(rows: int) -> bytes:
    """A workbook whose one sheet holds `rows` identical rows, written straight into the zip
    (deflate packs them ~1000:1): what a spreadsheet bomb looks like."""
    out = io.BytesIO()
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',  # noqa: E501
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',  # noqa: E501
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
    }
    row = '<row><c t="inlineStr"><is><t>湖北省武汉市江岸区丽新街8号</t></is></c></row>'.encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row><c t="inlineStr"><is><t>address</t></is></c></row>'
            )
            block = row * 10_000
            for _ in range(rows // 10_000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def zip_bomb(unpacked_bytes: int) -> bytes:
    """A 'Shapefile' zip whose .shp unpacks to `unpacked_bytes` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("bomb.shp", "w") as shp:
            zeros = bytes(1 << 20)
            for _ in range(unpacked_bytes >> 20):
                shp.write(zeros)
        zf.writestr("bomb.shx", bytes(100))
        zf.writestr("bomb.dbf", bytes(100))
    return out.getvalue()


def csv_rows(n: int) -> bytes:
    return ("address\n" + "湖北省武汉市江岸区丽新街8号\n" * n).encode()


def csv_bytes(n_bytes: int) -> bytes:
    row = "湖北省武汉市江岸区丽新街8号\n".encode()
    return b"address\n" + row * (n_bytes // len(row) + 1)


# --- the database and the users -----------------------------------------------------------------
def db_setup(db: str, *, build: bool) -> str:
    """Point Django at `db` (never the project's own), build the small city there if asked and
    it is empty, create the rate-limit cache table; its DATABASE_URL."""
    import django

    if db == harness._product_database()["NAME"]:
        raise RuntimeError(f"{db!r} is the project's own database; benchmarks use a scratch one")
    user_env = dict(os.environ)
    os.environ["DATABASE_URL"] = harness.bench_database_url(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    from django.core.management import call_command

    if build and not harness.city_ready():
        print(f"building the small city into {db} (about 10 s)…", flush=True)
        cmd = [sys.executable, str(harness.ROOT / "bench" / "build_city.py"), "--scale", "small"]
        subprocess.run([*cmd, "--keep", "--db", db], env=user_env, check=True)  # noqa: S603
    call_command("createcachetable", verbosity=0)
    return os.environ["DATABASE_URL"]


def signed_in_cookie() -> str:
    """Cookie header of a signed-in planner who may import and run batch lookups (a session
    made directly: the sign-in form is throttled by django-axes, rightly)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth import get_user_model as user_model
    from django.contrib.auth.models import Permission
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = user_model().objects.get_or_create(username="abuse-bench")
    user.set_password(secrets.token_hex(16))
    user.save()
    codenames = ("change_parcel", "batch_lookup")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    from layers.models import PlannerStreet, Street

    for street in Street.objects.all():  # imports are scoped to the planner's streets
        PlannerStreet.objects.get_or_create(user=user, street=street)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- the clients --------------------------------------------------------------------------------
def attacks(smoke: bool, cookie: str) -> list[tuple[str, str, dict]]:
    """(kind, path, {"anon"|"user": (body, headers)}) of every abusive request, built once (the
    client must not spend the machine's CPU building 20 MB bodies)."""
    from django.conf import settings

    bomb = xlsx_bomb(200_000 if smoke else 3_000_000)
    too_big = csv_bytes(settings.GRIDATLAS_BATCH_UPLOAD_MAX_BYTES + 1024)
    many_rows = csv_rows(settings.GRIDATLAS_BATCH_MAX_ROWS + 1_000)
    zbomb = zip_bomb((64 if smoke else 512) << 20)
    small = csv_rows(50)
    phase(
        f"files: xlsx bomb {len(bomb) / 1e3:.0f} KB, zip bomb {len(zbomb) / 1e3:.0f} KB, "
        f"oversized CSV {len(too_big) / 1e6:.1f} MB, {len(many_rows) / 1e6:.1f} MB CSV over the "
        "row cap"
    )
    check = {"layer": "buildings", "action": "check"}
    csrf = secrets.token_hex(16)  # the same secret in cookie and form: CSRF passes, as a browser
    cookies = {"anon": f"csrftoken={csrf}", "user": f"csrftoken={csrf}; {cookie}"}

    def bodies(fields, files):
        body, ctype = multipart({**fields, "csrfmiddlewaretoken": csrf}, files)
        return {
            who: (body, {"Content-Type": ctype, "Cookie": c, "X-CSRFToken": csrf})
            for who, c in cookies.items()
        }

    return [
        (kind, path, bodies(fields, files))
        for kind, path, fields, files in [
            ("xlsx bomb → batch", "/api/lookup/batch", {}, {"file": ("bomb.xlsx", bomb, XLSX)}),
            ("xlsx bomb → import", "/import/", check, {"file": ("bomb.xlsx", bomb, XLSX)}),
            (
                "zip bomb → import",
                "/import/",
                check,
                {"file": ("bomb.zip", zbomb, "application/zip")},
            ),
            (
                "oversized CSV → batch",
                "/api/lookup/batch",
                {},
                {"file": ("big.csv", too_big, "text/csv")},
            ),
            (
                "row-cap CSV → batch",
                "/api/lookup/batch",
                {},
                {"file": ("rows.csv", many_rows, "text/csv")},
            ),
            (
                "small batch, again",
                "/api/lookup/batch",
                {},
                {"file": ("small.csv", small, "text/csv")},
            ),
        ]
    ]


def abuser(port, i, requests, deadline, answers, lock):
    who = "user" if i % 2 else "anon"
    k = i
    while time.perf_counter() < deadline:
        kind, path, bodies = requests[k % len(requests)]
        k += 1
        body, headers = bodies[who]
        try:
            status = str(Client(port).request("POST", path, body, headers).status)
        except OSError:
            status = "closed"  # refused before the body was read: the server hung up on it
        with lock:
            answers[(kind, who)][status] += 1


def poll(port: int, deadline: float, latencies: list, statuses: list) -> None:
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        try:
            status = Client(port).get("/healthz")[0]
        except OSError:
            status = 0
        latencies.append(time.perf_counter() - t0)
        statuses.append(status)
        time.sleep(max(0.0, POLL_S - (time.perf_counter() - t0)))


def worker_rss_kb(port: int) -> int:
    """Summed RSS of the gunicorn processes serving `port` (master and workers)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"gunicorn" not in cmdline or f"127.0.0.1:{port}".encode() not in cmdline:
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
    return total


def measured(port: int, seconds: float, abuse) -> dict:
    """Poll /healthz for `seconds` while `abuse(deadline)` runs (None: nothing else)."""
    deadline = time.perf_counter() + seconds
    latencies, statuses, peak = [], [], [0]
    threads = [threading.Thread(target=poll, args=(port, deadline, latencies, statuses))]
    threads += abuse(deadline) if abuse else []
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], worker_rss_kb(port))
        time.sleep(0.2)
    errors = sum(s != 200 for s in statuses)
    return {"latency_s": latencies, "status": statuses, "errors": errors, "rss_kb": peak[0]}


def report(base: dict, abused: dict, answers: dict, ran_s: float) -> list[str]:
    print(f"\n/healthz every {POLL_S * 1000:.0f} ms; {ABUSERS} abusive clients for {ran_s:g} s")
    print(f"{'':22}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for name, r in (("baseline (no abuse)", base), ("under abuse", abused)):
        lat = r["latency_s"]
        print(
            f"{name:22}{len(lat):9d}{pct(lat, 50) * 1e3:9.1f}{pct(lat, 99) * 1e3:9.1f}"
            f"{max(lat, default=0) * 1e3:9.1f}{r['errors']:8d}"
        )
    p50 = pct(abused["latency_s"], 50) / pct(base["latency_s"], 50)
    p99 = pct(abused["latency_s"], 99) / pct(base["latency_s"], 99)
    print(f"ratio under abuse / baseline: p50 {p50:.1f}×, p99 {p99:.1f}×")
    print(f"gunicorn RSS peak (master + 2 workers): baseline {base['rss_kb'] / 1024:.0f} MiB, "
          f"under abuse {abused['rss_kb'] / 1024:.0f} MiB")  # fmt: skip
    print("\nabusive requests, by answer:")
    for (kind, who), counts in sorted(answers.items()):
        shown = ", ".join(f"{s}×{n}" for s, n in sorted(counts.items()))
        print(f"  {kind:24} {who:5} {shown}")
    total = len(abused["status"])
    print("\nTarget")
    return [
        verdict(
            abused["errors"] == 0,
            f"/healthz keeps answering under {ABUSERS} parallel abusive uploads "
            f"({total - abused['errors']} of {total} answered 200)",
        )
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    ap.add_argument("--smoke", action="store_true", help="tiny files, 2 s phases")
    ap.add_argument("--db", default=DEFAULT_DB, help="the scratch database")
    ap.add_argument("--no-build", action="store_true", help="use --db as it is (no demo city)")
    ap.add_argument("--json", help="dump the raw numbers here")
    args = ap.parse_args()
    seconds = 2.0 if args.smoke else args.seconds
    harness.exit_on_sigterm()
    socket.setdefaulttimeout(60)  # a hung request must not hang the benchmark
    if args.smoke:
        # Small limits, so that small files reach each of them (gunicorn inherits them).
        os.environ["GRIDATLAS_BATCH_UPLOAD_MAX_BYTES"] = str(1 << 20)
        os.environ["GRIDATLAS_BATCH_MAX_ROWS"] = "1000"
    db_url = db_setup(args.db, build=not args.no_build)
    cookie = signed_in_cookie()
    requests = attacks(args.smoke, cookie)
    answers: dict = {}
    for kind, *_ in requests:
        for who in ("anon", "user"):
            answers[(kind, who)] = Counter()
    lock = threading.Lock()
    with ExitStack() as stack:
        phase("starting gunicorn (2 workers)")
        port = harness.gunicorn_start(stack, db_url=db_url, constant_bytes=100)
        harness.hammer(port, ["/healthz"] * 20)  # wake both workers (each loads the URLconf)
        phase(f"baseline: /healthz alone for {seconds:g} s")
        base = measured(port, seconds, None)

        def abuse(deadline):
            return [
                threading.Thread(target=abuser, args=(port, i, requests, deadline, answers, lock))
                for i in range(ABUSERS)
            ]

        phase(f"abuse: {ABUSERS} clients for {seconds:g} s, /healthz polled meanwhile")
        abused = measured(port, seconds, abuse)
    lines = report(base, abused, answers, seconds)
    if args.json:
        harness.json_dump(
            args.json,
            {
                "baseline": base,
                "abuse": abused,
                "answers": {f"{k} ({w})": dict(c) for (k, w), c in answers.items()},
                "verdicts": lines,
            },
        )
    return 0 if abused["errors"] == 0 and base["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Time and peak memory to generate and load a demo city (docs/design.md target for `city`:
≤ 10 min and ≤ 4 GiB on the 2-core machine).

    .venv/bin/python bench/build_city.py --scale city [--seed 42] [--keep]

Loads into a scratch database (gridatlas_bench on the same cluster, or BENCH_DATABASE_NAME), so
the demo database is untouched; the scratch database is dropped afterwards unless --keep.
Prints one line per phase and the peak resident memory of this process and of PostgreSQL's
busiest backend (both matter: the generator holds the plan, the server builds the unions).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import ServerPeak  # noqa: E402 - beside this script; the project root goes first

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", default="city")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_NAME", "gridatlas_bench"))
    args = ap.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection, connections

    main_db = settings.DATABASES["default"]["NAME"]
    with connection.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{args.db}"')
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = args.db
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    server = ServerPeak()
    try:
        with server:
            call_command("build_demo_city", scale=args.scale, seed=args.seed, replace=True)
    finally:
        total = time.perf_counter() - t0
        py_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cur.fetchone()[0]
        connections.close_all()
        if not args.keep:
            settings.DATABASES["default"]["NAME"] = main_db
            with connection.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    print(f"build+load {args.scale}: {total:.1f} s (target ≤ 600 s, ratio {total / 600:.2f})")
    print(
        f"peak memory: generator {py_peak_mib:.0f} MiB, busiest PostgreSQL process "
        f"{server.rss_kb / 1024:.0f} MiB (target ≤ 4096 MiB)"
    )
    print(f"database size: {size}")


if __name__ == "__main__":
    main()

"""gunicorn settings for `make run` and Docker: `gunicorn geo.wsgi -c geo/gunicorn.conf.py`.

The only thing here that plain flags cannot say: /metrics must sum every worker's counters, so
the workers write them to files in PROMETHEUS_MULTIPROC_DIR (emptied when the server starts, and
a dead worker's live gauges dropped). Bind address and worker count stay on the command line.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The whole-city boundary check (/check/) and the coverage workbook take up to a minute on the
# city: gunicorn's default of 30 s would kill the worker mid-answer.
timeout = 120
# Threads per worker (gthread): a slow upload or a minute-long answer holds one thread, not a
# whole worker, so /healthz and tiles keep answering beside it (bench/abuse.py, 10 abusive
# clients: /healthz p99 248 -> 124 ms, p50 106 -> 35 ms against 2 sync workers). Django keeps
# one database connection per thread; the tile memory is shared under a lock (tiles/memory.py).
threads = int(os.environ.get("GRIDATLAS_GUNICORN_THREADS", "4"))
# Set before any worker imports prometheus_client: it picks its storage at import time.
METRICS_DIR = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / "prometheus"))
)


def on_starting(server):
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

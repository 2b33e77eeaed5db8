"""What every benchmark in bench/ shares: the scratch database, a minimal HTTP client, request
runs and concurrent clients, the servers they hit, percentiles and the PASS/MISS lines.

A script imports this module first (its directory is on sys.path when run as
`.venv/bin/python bench/<script>.py`): importing it puts the project root in front of sys.path,
so that `import tiles` finds the app and not bench/tiles.py. Django is set up by `bench_setup`,
which points it at the scratch database BEFORE geo.settings is imported, and refuses to go on if
it ended up anywhere else.
"""

import io
import json
import math
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench"
CLIENTS = 2  # concurrent clients for throughput: as many as the machine's cores
DEFAULT_DB = os.environ.get("BENCH_DATABASE_NAME", "gridatlas_bench")


# --- the database -------------------------------------------------------------------------------
def _product_database() -> dict:
    # Read, not imported: Django must import geo.settings only once DATABASE_URL is set.
    return runpy.run_path(str(ROOT / "geo" / "settings.py"))["DATABASES"]["default"]


def bench_database_url(name: str) -> str:
    """DATABASE_URL of the scratch database: the project's server (DATABASE_URL or the local
    cluster), another database name."""
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + name))
    db = _product_database()
    auth = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    # A socket directory goes percent-encoded in the host (dj-database-url and asyncpg read it).
    return f"postgis://{auth}@{quote(str(db['HOST']), safe='')}{port}/{name}"


def city_ready() -> bool:
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM layers_grid), to_regclass('tiles_cache')")
            has_grids, cache = cur.fetchone()
            return has_grids and cache is not None
    except DatabaseError:
        return False  # no such database yet, or not migrated
    finally:
        connection.close()


def city_build(db: str, env: dict) -> None:
    print(f"building the city into {db} (bench/build_city.py, about 2 min)…", flush=True)
    cmd = [sys.executable, str(ROOT / "bench" / "build_city.py"), "--scale", "city", "--keep"]
    subprocess.run([*cmd, "--db", db], env=env, check=True)  # noqa: S603 - constant argv


def bench_setup(*, db: str, rebuild: bool = False) -> str:
    """Point Django at the scratch database `db` (building the city there when missing, empty or
    `rebuild`) and return its DATABASE_URL. Raises rather than run anywhere else: the cold tile
    phases empty a cache table, and every number would be about the wrong data."""
    import django

    if "geo.settings" in sys.modules:
        raise RuntimeError("geo.settings was imported before DATABASE_URL pointed at the bench")
    if db == _product_database()["NAME"]:
        # A rebuild drops the database it builds into: never the one the project runs on.
        raise RuntimeError(f"{db!r} is the project's own database; benchmarks use a scratch one")
    user_env = dict(os.environ)
    db_url = bench_database_url(db)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["NAME"] != db:
        raise RuntimeError("geo.settings was imported before DATABASE_URL pointed at the bench")
    if rebuild or not city_ready():
        city_build(db, user_env)  # its own process: it drops and creates the database
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT current_database()")
        connected = cur.fetchone()[0]
    if connected != db:
        raise RuntimeError(f"connected to {connected!r}, not the bench database {db!r}")
    return db_url


# --- HTTP ---------------------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Client:
    """A minimal HTTP/1.1 client on one socket: a few µs of Python per request, so the client
    does not dominate (http.client builds an email.Message per response). Reopens when the server
    closes: gunicorn's sync workers close after every response, uvicorn keeps connections."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = bytearray()

    def get(self, path: str) -> tuple[int, int, dict[str, str]]:
        """(status, body length in bytes, headers in lower case); the body is dropped."""
        status, headers, _, n = self._retried("GET", path, b"", {}, keep_body=False)
        return status, n, headers

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        """Any request, the response body kept."""
        status, got, data, _ = self._retried(method, path, body, headers or {}, keep_body=True)
        return Response(status, got, data)

    def _retried(self, method, path, body, headers, *, keep_body):
        reused = self.sock is not None
        try:
            return self._exchange(method, path, body, headers, keep_body)
        except ConnectionError:
            if not reused:
                raise
            self.close()  # an idle keep-alive connection the server closed: retry once
            return self._exchange(method, path, body, headers, keep_body)

    def _exchange(self, method, path, body, headers, keep_body):
        """(status, headers, body or None when not kept, body length)."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf.clear()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body or method not in ("GET", "HEAD"):
            head += f"Content-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall(head.encode() + b"\r\n" + body)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._recv()
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        del self.buf[: end + 4]
        got = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            got[k.strip().lower()] = v.strip()
        if "chunked" in got.get("transfer-encoding", ""):
            data = self._chunked()
            n = len(data)
        else:
            n = int(got.get("content-length", 0))
            data = self._take(n, keep_body)
        if got.get("connection", "").lower() == "close":
            self.close()
        return int(lines[0].split(" ", 2)[1]), got, data, n

    def _take(self, n: int, keep: bool) -> bytes | None:
        while len(self.buf) < n:
            self._recv()
        # A dropped body is not copied out: for a tile that would cost more than the client.
        data = bytes(self.buf[:n]) if keep else None
        del self.buf[:n]
        return data

    def _chunked(self) -> bytes:
        out = io.BytesIO()
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                self._recv()
            size = int(bytes(self.buf[:end]).split(b";")[0], 16)
            del self.buf[: end + 2]
            out.write(self._take(size + 2, True)[:size])
            if size == 0:
                return out.getvalue()

    def _recv(self) -> None:
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple:
    """(body, content type) of a multipart/form-data form: fields, and files as
    name → (filename, bytes, content type)."""
    boundary = "----gridatlas-bench-" + os.urandom(8).hex()
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@dataclass
class Run:
    """Requests from concurrent clients: latencies (s), statuses, sizes, cache misses; wall (s)."""

    latency_s: list[float] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    misses: int = 0
    wall_s: float = 0.0

    def add(self, other: "Run") -> None:
        self.latency_s += other.latency_s
        self.status += other.status
        self.size += other.size
        self.misses += other.misses
        self.wall_s += other.wall_s

    @property
    def rate(self) -> float:
        return len(self.latency_s) / self.wall_s if self.wall_s else 0.0

    @property
    def errors(self) -> int:
        return sum(s not in (200, 204) for s in self.status)


def timed_get(client: Client, path: str, run: Run) -> float:
    t0 = time.perf_counter()
    status, n, headers = client.get(path)
    dt = time.perf_counter() - t0
    run.latency_s.append(dt)
    run.status.append(status)
    run.size.append(n)
    run.misses += headers.get("x-tile-cache") == "miss"
    return dt


def hammer(port: int, paths: list[str], *, seconds: float | None = None) -> Run:
    """CLIENTS threads, each on its own connection. Without `seconds`, the paths are shared out
    and each fetched once (a cold pass); with it, each client loops over all paths from its own
    offset until the deadline (throughput)."""
    runs = [Run() for _ in range(CLIENTS)]
    failures: list[BaseException] = []
    start = threading.Barrier(CLIENTS + 1)

    def work(i: int) -> None:
        client = Client(port)
        if seconds is None:
            mine = paths[i::CLIENTS]
        else:
            k = i * len(paths) // CLIENTS
            mine = paths[k:] + paths[:k]
        start.wait()
        try:
            deadline = time.perf_counter() + (seconds or math.inf)
            for j in range(len(mine) if seconds is None else sys.maxsize):
                if time.perf_counter() >= deadline:
                    break
                timed_get(client, mine[j % len(mine)], runs[i])
        except BaseException as exc:  # re-raised in the main thread
            failures.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    total = Run(wall_s=time.perf_counter() - t0)
    for r in runs:
        total.add(Run(r.latency_s, r.status, r.size, r.misses))
    return total


def hammer_sequential(port: int, paths: list[str]) -> Run:
    client, run = Client(port), Run()
    t0 = time.perf_counter()
    for p in paths:
        timed_get(client, p, run)
    run.wall_s = time.perf_counter() - t0
    client.close()
    return run


def throughput(targets: dict[str, tuple[int, list[str]]], seconds: float, rounds: int) -> dict:
    """Each target hammered for `seconds` by CLIENTS clients, in the order A B C D D C B A (more
    passes when `rounds` ≥ 4), so drift in the machine's load hits all alike. One untimed pass
    over every path first fills the caches and wakes the workers."""
    for port, paths in targets.values():
        hammer(port, paths)
    runs = {name: Run() for name in targets}
    names = list(targets)
    order = []
    for r in range(max(2, rounds - rounds % 2)):
        order += names if r % 2 == 0 else names[::-1]
    for name in order:
        port, paths = targets[name]
        runs[name].add(hammer(port, paths, seconds=seconds))
    return runs


# --- in-process requests ------------------------------------------------------------------------
def wsgi_handler():
    """Django's WSGI handler for requests in this process, keeping the database connection open
    across them (as django.test.Client does): cursors opened on it must outlive the requests."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    return WSGIHandler()


def wsgi_get(handler, path: str) -> float:
    """Seconds for one GET through Django's WSGI handler in this process (no server, no HTTP)."""
    return wsgi_request(handler, path)[0]


def wsgi_request(handler, path: str) -> tuple[float, int, bytes]:
    """(seconds, status, body) of one GET through Django's WSGI handler in this process;
    `path` may carry a query string."""
    path, _, query = path.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
               "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http"}  # fmt: skip
    status = []
    t0 = time.perf_counter()
    response = handler(environ, lambda s, *_: status.append(s))
    body = b"".join(response)
    response.close()
    return time.perf_counter() - t0, int(status[0].split(" ", 1)[0]), body


# --- servers ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(stack: ExitStack, name: str, argv: list[str], env: dict, port: int) -> None:
    """Start a server in its own process group, stopped (group and all) when `stack` closes:
    on success, exceptions and Ctrl-C alike. Returns once /healthz answers 200."""
    VAR.mkdir(parents=True, exist_ok=True)
    log = open(VAR / f"{name}.log", "w")  # closed by the stack
    stack.enter_context(log)
    proc = subprocess.Popen(  # noqa: S603 - constant argv
        argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    stack.callback(stop, proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if Client(port).get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not come up; see {VAR / (name + '.log')}")


def stop(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def gunicorn_start(
    stack: ExitStack, *, db_url: str, constant_bytes: int, extra_args: tuple[str, ...] = ()
) -> int:
    """Ours as deployed: `gunicorn geo.wsgi -c geo/gunicorn.conf.py --workers 2`, with the bench
    settings (the product's plus /bench/constant.mvt of `constant_bytes`). Its port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "BENCH_CONSTANT_TILE_BYTES": str(constant_bytes),
        # The deployed config (metrics in multiprocess mode), with its own metrics directory:
        # the config empties it at start, and var/prometheus may be a running server's.
        "PROMETHEUS_MULTIPROC_DIR": str(VAR / "prometheus"),
    }
    argv = [str(ROOT / ".venv" / "bin" / "gunicorn"), "geo.wsgi", "--workers", "2"]
    argv += ["-c", str(ROOT / "geo" / "gunicorn.conf.py"), *extra_args]
    # No access log, as uvicorn's --no-access-log in tiles.py: both serve, neither writes a line.
    serve(stack, "gunicorn", [*argv, "--bind", f"127.0.0.1:{port}"], env, port)
    return port


def exit_on_sigterm() -> None:
    """A plain `kill` must also run the clean-up (servers are stopped by an ExitStack)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# --- report -------------------------------------------------------------------------------------
def pct(values, p: float) -> float:
    return float(np.percentile(values, p)) if len(values) else math.nan


def ms(values, p: float) -> str:
    return f"{pct(values, p) * 1000:7.1f}"


def kb(values, p: float) -> str:
    return f"{pct(values, p) / 1000:7.1f}"


def verdict(ok: bool, text: str) -> str:
    line = f"  {'PASS' if ok else 'MISS'}  {text}"
    print(line)
    return line


T0 = time.perf_counter()


def phase(text: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f} s] {text}", file=sys.stderr, flush=True)


def json_dump(path: str, r: dict) -> None:
    with open(path, "w") as f:
        json.dump(r, f, indent=1, default=lambda o: asdict(o) if isinstance(o, Run) else str(o))
    print(f"\nraw numbers: {path}")


class ServerPeak:
    """Peak RSS of the PostgreSQL processes (backends and parallel workers), sampled from /proc
    every 0.2 s on this host (the benchmarks run beside the server)."""

    def __init__(self):
        self.rss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self):
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/status") as f:
                        text = f.read()
                except OSError:
                    continue
                if "Name:\tpostgres" in text and "VmRSS:" in text:
                    rss = int(text.split("VmRSS:")[1].split()[0])
                    self.rss_kb = max(self.rss_kb, rss)
            self._stop.wait(0.2)

"""/metrics: Prometheus text with tile latency and size by layer, zoom and cache outcome, parsed
with prometheus_client's own parser; and under gunicorn with two workers, the sum of both."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.demo_city_support import tile_cache_clear
from tests.test_tiles import city_centre, tile_of

ROOT = Path(__file__).resolve().parent.parent


def samples(text: str) -> dict:
    """{(sample name, frozenset of labels): value} of a Prometheus text page."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(all_samples: dict, name: str, **labels) -> float:
    return all_samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_metrics_count_tiles_by_layer_zoom_and_cache(client, tiny_city):
    tile_cache_clear()
    z, x, y = tile_of(*city_centre(), 15)
    before = samples(client.get("/metrics").content.decode())
    first = client.get(f"/tiles/grids/{z}/{x}/{y}.mvt")
    second = client.get(f"/tiles/grids/{z}/{x}/{y}.mvt")
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"]) == ("miss", "hit")
    client.get("/tiles/nolayer/1/0/0.mvt")
    client.get("/tiles/grids/99/0/0.mvt")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    after = samples(response.content.decode())

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    grid = {"layer": "grids", "zoom": str(z)}
    assert delta("gridatlas_tile_seconds_count", **grid, cache="miss") == 1
    assert delta("gridatlas_tile_seconds_count", **grid, cache="hit") == 1
    assert delta("gridatlas_tile_seconds_sum", **grid, cache="miss") > 0
    assert delta("gridatlas_tile_bytes_sum", **grid, cache="hit") == len(second.content) > 0
    # Unknown layers are one label value, not a new series per URL typed.
    assert delta("gridatlas_tile_errors_total", layer="unknown", status="404") == 1
    assert (
        delta("gridatlas_tile_errors_total", layer="grids", status="400")
        + delta("gridatlas_tile_errors_total", layer="grids", status="404")
        == 1
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env_for_test_database() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geo.settings"}
    name = connection.settings_dict["NAME"]
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    else:
        env["GRIDATLAS_DB_NAME"] = name
    return env


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - a local test server
        return r.read()


@pytest.mark.slow
@pytest.mark.django_db
def test_metrics_sum_every_gunicorn_worker(tiny_city, tmp_path):
    port = _free_port()
    env = {**_env_for_test_database(), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "geo.wsgi",
            "-c",
            "geo/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        z, x, y = tile_of(*city_centre(), 14)
        requests = 30
        for _ in range(requests):  # a new connection each: the kernel spreads them over workers
            _get(f"{base}/tiles/streets/{z}/{x}/{y}.mvt")
        text = _get(base + "/metrics").decode()
        files = list((tmp_path / "prom").glob("histogram_*.db"))
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    all_samples = samples(text)
    served = sum(
        value(all_samples, "gridatlas_tile_seconds_count", layer="streets", zoom=str(z), cache=c)
        for c in ("hit", "miss")
    )
    assert served == requests, err.decode()[-2000:]
    assert files, "the workers wrote no metric files"

"""Prometheus metrics of the tile endpoint: latency and bytes by layer, zoom and cache outcome.

Under gunicorn each worker is a process, so the counters live in files that every worker writes
and /metrics sums (prometheus_client's multiprocess mode). It is on when PROMETHEUS_MULTIPROC_DIR
is set — `make run` and the gunicorn config do so; without it (runserver, tests) the metrics are
the process's own.
"""

import functools
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from geo.errors import DomainError

from .registry import COMPOSITE, LAYERS, MAX_ZOOM

# Cached tiles take about a millisecond, cold low-zoom tiles tens of milliseconds.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SIZE_BUCKETS_BYTES = (0, 1_000, 5_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
LABELS = ("layer", "zoom", "cache")

TILE_SECONDS = Histogram(
    "gridatlas_tile_seconds",
    "Time to answer a tile request, in seconds (view time, without the network).",
    LABELS,
    buckets=LATENCY_BUCKETS_S,
)
TILE_BYTES = Histogram(
    "gridatlas_tile_bytes",
    "Bytes of tile data sent (0 for 204 empty tiles and 304 not-modified answers).",
    LABELS,
    buckets=SIZE_BUCKETS_BYTES,
)
TILE_ERRORS = Counter(
    "gridatlas_tile_errors_total",
    "Tile requests answered with an error, by HTTP status.",
    ("layer", "status"),
)
KNOWN_LAYERS = {*LAYERS, COMPOSITE}


def _layer_label(layer: str) -> str:
    # Labels come from the registry, never from the URL: arbitrary input must not make series.
    return layer if layer in KNOWN_LAYERS else "unknown"


def _zoom_label(z: str) -> str:
    return z if z.isdigit() and int(z) <= MAX_ZOOM else "other"


def tile_observed(view):
    """Wrap the tile view: one latency and one size observation per answered tile."""

    @functools.wraps(view)
    def observed(request, layer: str, z: str, x: str, y: str):
        started = time.perf_counter()
        try:
            response = view(request, layer, z, x, y)
        except DomainError as exc:
            TILE_ERRORS.labels(_layer_label(layer), str(exc.status)).inc()
            raise
        if response.status_code >= 400:
            TILE_ERRORS.labels(_layer_label(layer), str(response.status_code)).inc()
            return response
        labels = (_layer_label(layer), _zoom_label(z), response.get("X-Tile-Cache", "none"))
        TILE_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        TILE_BYTES.labels(*labels).observe(len(response.content))
        return response

    return observed


def metrics_text() -> tuple[bytes, str]:
    """The Prometheus text exposition of every worker's metrics, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST

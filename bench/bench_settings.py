"""Settings for bench/tiles.py: the project's own, plus one constant-bytes view (bench_urls)."""

from geo.settings import *  # noqa: F403 - the bench must run the product's settings unchanged

ROOT_URLCONF = "bench.bench_urls"

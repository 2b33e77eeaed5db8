"""The benchmarks still run: each one's --smoke mode, for a few seconds (bench/README.md).
No timing is asserted; only that it ran and what it must always see."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)  # the bench's gunicorn sees only committed rows
def test_abuse_smoke_healthz_answers_every_time(tmp_path):
    out = tmp_path / "abuse.json"
    argv = [sys.executable, str(ROOT / "bench" / "abuse.py"), "--smoke", "--no-build"]
    argv += ["--db", settings.DATABASES["default"]["NAME"], "--json", str(out)]
    try:
        run = subprocess.run(  # our own script
            argv, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
    finally:
        caches["ratelimit"].clear()  # its counters for 127.0.0.1 must not limit later tests
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    for phase in ("baseline", "abuse"):
        statuses = result[phase]["status"]
        assert statuses and set(statuses) == {200}, (phase, statuses)
    answers = result["answers"]
    assert sum(counts.get("413", 0) for counts in answers.values()) > 0  # oversized: refused
    assert all(not any(s.startswith("5") for s in counts) for counts in answers.values()), answers
    assert "PASS  /healthz keeps answering" in run.stdout


@pytest.mark.django_db(transaction=True)  # the bench's own connection sees only committed rows
def test_lookup_smoke_runs_the_address_batch_beside_the_point_batch(tmp_path, django_db_blocker):
    from tests.demo_city_support import city_loaded, plan_make

    out = tmp_path / "lookup.json"
    argv = [sys.executable, str(ROOT / "bench" / "lookup.py"), "--smoke", "--no-build"]
    argv += ["--db", settings.DATABASES["default"]["NAME"], "--json", str(out)]
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        run = subprocess.run(  # our own script
            argv, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    batch = json.loads(out.read_text())["address_batch"]
    addresses, points = batch["addresses"], batch["points"]
    assert batch["n"] == addresses["rows"] == points["rows"] == 300
    # Plain forms: the one-statement path answers most, and every certain one is matched.
    assert addresses["fast_decided"] >= 0.8 * 300
    assert addresses["matched"] >= addresses["fast_certain"] > 0
    assert addresses["per_row_n"] == 300 - addresses["fast_decided"]
    assert "address batch of 300:" in run.stdout and "rows/s" in run.stdout


def test_onboard_smoke_onboards_the_corpus_and_the_exported_demo_back(tmp_path):
    """bench/onboard.py --smoke: the small district corpus and the tiny demo city exported layer
    by layer, each onboarded with one command into a fresh database, beside ogr2ogr's floor."""
    out = tmp_path / "onboard.json"
    argv = [sys.executable, str(ROOT / "bench" / "onboard.py"), "--smoke", "--json", str(out)]
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    corpus, demo = result["corpus"], result["demo"]
    assert corpus["counts"]["street"] == 3 and corpus["counts"]["grid"] >= 30
    assert corpus["counts"]["parcel"] > 0  # the editor can open what was onboarded
    assert corpus["violations"] == 0
    for level in ("district", "street", "community", "grid", "microgrid", "building"):
        assert demo["counts"][level] == demo["source_counts"][level], level  # the round trip
    assert demo["violations"] == demo["source_violations"]  # the demo's own, no new ones
    assert corpus["ogr2ogr_s"] > 0 and demo["ogr2ogr_s"] > 0
    assert "ratio" in run.stdout

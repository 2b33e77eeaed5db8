"""The CI guard of tests/conftest.py does what .ci/run relies on: with CI set, a run that skipped
a test fails; without it, a skip is only reported. Run on a two-test file in a pytest of its
own, with the suite's real conftest loaded as a plugin (not a copy of it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_PASSES_ONE_SKIPS = """
import pytest

def test_runs():
    assert 1 + 1 == 2

@pytest.mark.skip(reason="no browser here")
def test_skips():
    pass
"""


def pytest_run(folder: Path, *, ci: bool, only: str = "") -> subprocess.CompletedProcess:
    (folder / "test_probe.py").write_text(ONE_PASSES_ONE_SKIPS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    env.update(PYTHONPATH=str(ROOT), **({"CI": "1"} if ci else {}))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
    argv += ["--rootdir", str(folder), "-c", str(ROOT / "pyproject.toml"), str(folder)]
    argv += ["-k", only] if only else []
    # This interpreter and a constant argv: nothing untrusted.
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_with_ci_set_a_skipped_test_fails_the_run(tmp_path):
    run = pytest_run(tmp_path, ci=True)
    assert "1 passed, 1 skipped" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 1
    assert "CI: 1 test(s) skipped; every test must run here." in run.stdout


def test_with_ci_set_a_run_that_skips_nothing_passes(tmp_path):
    run = pytest_run(tmp_path, ci=True, only="runs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "CI:" not in run.stdout


def test_without_ci_a_skip_is_reported_not_failed(tmp_path):
    run = pytest_run(tmp_path, ci=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout and "CI:" not in run.stdout

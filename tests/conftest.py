"""Shared test set-up: the real PostGIS the Makefile starts (never SQLite, never mocks)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots and other test outputs are kept for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium: tests that need a browser fail (not skip) when it is missing."""
    path = os.environ.get("GRIDATLAS_CHROMIUM", "/usr/bin/chromium")
    assert Path(path).exists(), f"{path} is missing: run `make test` (it installs chromium)"
    return path


# Flags for Chromium on a machine with no outside network (background services would hang).
@pytest.fixture(autouse=True)
def tile_memory_off(settings):
    """The per-worker tile memory trusts NOTIFY, which PostgreSQL sends only at commit, and most
    tests run inside a transaction that never commits: they read the database caches directly.
    tests/test_tile_memory.py turns it on, with committing transactions."""
    settings.GRIDATLAS_TILE_MEMORY_BYTES = 0


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's language: a request in English through the test client
    leaves English active in the thread (LocaleMiddleware activates, nothing deactivates), and a
    later test of the same worker would then write its sheets in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def city_profile_fresh(request, monkeypatch):
    """The city profile (geo/city_profile.py) is cached per process for a minute, and a test's
    data rolls back: each test starts from no cached profile. A test without the database sees
    the profile of an empty install (Wuhan's fallback values), as before `migrate`."""
    from geo import city_profile

    city_profile.city_profile_forget()
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not uses_db:
        monkeypatch.setattr(city_profile, "_cities_read", lambda: None)
    yield
    city_profile.city_profile_forget()


@pytest.fixture(autouse=True)
def import_uploads_in_tmp(settings, tmp_path_factory):
    """/import/ keeps uploads in the instance's var/uploads/import; tests keep theirs in pytest's
    temporary folder, so a test run leaves nothing in the checkout."""
    settings.GRIDATLAS_IMPORT_UPLOAD_DIR = tmp_path_factory.getbasetemp() / "import-uploads"


@pytest.fixture(autouse=True)
def rate_limits_roomy(settings):
    """Tests call the expensive endpoints far more often than a person does (every export format
    of every layer); tests/test_rate_limits.py sets the limits it tests."""
    for name in ("UPLOADS", "FILES"):
        for who in ("ANON", "USER"):
            setattr(settings, f"GRIDATLAS_RATE_{name}_PER_MIN_{who}", 100_000)


@pytest.fixture
def clock_2028():
    """The clock on 2028-01-01 09:00 in the city (ticking): publishes dated in 2027 lie in the
    past and take effect at once. For tests of what a publish does, not of when it does it
    (scheduled publishes: tests/test_layout_schedule.py)."""
    import datetime
    import zoneinfo

    import time_machine

    start = datetime.datetime(2028, 1, 1, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(start, tick=True):
        yield start


@pytest.fixture(scope="module")
def tiny_city(django_db_setup, django_db_blocker):
    """The tiny demo city (seed 1), loaded once for a test module and removed after it."""
    from tests.demo_city_support import city_loaded, plan_make

    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)) as plan:
        yield plan


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def requests_leaving_localhost(urls: list[str]) -> list[str]:
    """The requests a page made to anywhere but this machine (an intranet has no internet)."""
    return [
        u
        for u in urls
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS
    ]


def english_page(browser, base_url: str, *, requests=None, problems=None, width: int = 1400):
    """A page in a new browser context that reads GridAtlas in English (the language cookie),
    appending the URLs it requests to `requests` and the errors it logs to `problems`."""
    from django.conf import settings

    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base_url}])
    page = context.new_page()
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    if problems is not None:
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def sign_in(page, url: str, username: str, password: str) -> None:
    """Open `url`, a page behind the sign-in, and sign in on the form it sends the browser to."""
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_sessionfinish(session, exitstatus):
    """CI refuses skipped tests: a database or browser test that skips has not tested anything."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run here.", red=True)
        session.exitstatus = 1

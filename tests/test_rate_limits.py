"""Expensive endpoints answer 429 with Retry-After after N calls a minute, and not before: per
signed-in user, per IP address when anonymous, counted in PostgreSQL outside the request's
transaction (a refused or failed call counts too)."""

import json
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection

NOW_S = 1_800_000_000.0  # inside one rate window for the whole test (no flaky window edges)


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: NOW_S))


def _statuses(client, path: str, n: int, **extra) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(n)]


@pytest.mark.django_db
def test_exports_answer_429_after_n_calls_and_not_before(client, settings):
    settings.GRIDATLAS_RATE_FILES_PER_MIN_ANON = 3
    statuses = _statuses(client, "/api/export/streets.geojson", 3)
    assert 429 not in statuses, statuses
    refused = client.get("/api/export/streets.geojson")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = json.loads(refused.content)
    assert "3 files calls a minute" in body["error"] and "Retry-After" in body["error"]
    assert body["limit_per_minute"] == 3


@pytest.mark.django_db
def test_failed_calls_count_too(client, settings):
    """A count written inside the view's transaction would be rolled back with its 400."""
    settings.GRIDATLAS_RATE_FILES_PER_MIN_ANON = 2
    failed = _statuses(client, "/api/export/streets.nosuchformat", 2)
    assert all(400 <= s < 500 and s != 429 for s in failed), failed
    assert client.get("/api/export/streets.geojson").status_code == 429


@pytest.mark.django_db
def test_users_are_counted_apart_from_anonymous_callers(client, settings):
    settings.GRIDATLAS_RATE_FILES_PER_MIN_ANON = 1
    settings.GRIDATLAS_RATE_FILES_PER_MIN_USER = 3
    assert _statuses(client, "/api/export/streets.geojson", 2) == [200, 429]
    client.force_login(get_user_model().objects.create_user("rate_u", password="x"))
    statuses = _statuses(client, "/api/export/streets.geojson", 4)
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


@pytest.mark.django_db
def test_only_large_ogc_pages_and_network_coverage_count(client, settings):
    settings.GRIDATLAS_RATE_FILES_PER_MIN_ANON = 1
    assert 429 not in _statuses(client, "/ogc/collections/streets/items?limit=10", 3)
    assert 429 not in _statuses(client, "/api/analysis/coverage?distance=500", 3)
    large = _statuses(client, "/ogc/collections/streets/items?limit=5000", 2)
    assert large[0] != 429 and large[1] == 429
    assert client.get("/api/analysis/coverage?mode=network").status_code == 429


@pytest.mark.django_db
def test_import_posts_count_and_pages_get_a_chinese_answer(client, settings):
    settings.GRIDATLAS_RATE_UPLOADS_PER_MIN_USER = 1
    user = get_user_model().objects.create_user("rate_i", password="x")
    client.force_login(user)
    assert 429 not in _statuses(client, "/import/", 3)  # GETs of the form do not count
    html = {"HTTP_ACCEPT": "text/html"}
    first = client.post("/import/", {"layer": "buildings"}, **html)
    assert first.status_code != 429
    refused = client.post("/import/", {"layer": "buildings"}, **html)
    assert refused.status_code == 429
    assert "请求过于频繁：每分钟最多 1 次" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1


@pytest.mark.django_db
def test_the_batch_lookup_is_counted_per_address(client, settings):
    settings.GRIDATLAS_RATE_UPLOADS_PER_MIN_ANON = 2
    post = [client.post("/api/lookup/batch", {}).status_code for _ in range(3)]
    assert 429 not in post[:2] and post[2] == 429


@pytest.mark.django_db
def test_the_counter_is_exact_and_keeps_its_window(settings):
    cache = caches["ratelimit"]
    assert cache.add("h6b-k", 0, 65)
    table = connection.ops.quote_name(settings.CACHES["ratelimit"]["LOCATION"])
    key = cache.make_key("h6b-k")

    def expires():
        with connection.cursor() as cur:
            cur.execute(f"SELECT expires FROM {table} WHERE cache_key = %s", [key])
            return cur.fetchone()[0]

    before = expires()
    assert [cache.incr("h6b-k") for _ in range(3)] == [1, 2, 3]
    assert cache.get("h6b-k") == 3
    assert expires() == before, "an increment moved the counter's expiry"


@pytest.mark.django_db
def test_a_refused_anonymous_upload_is_not_read(settings):
    from tests.test_upload_limits import _environ, _multipart, _served

    settings.GRIDATLAS_RATE_UPLOADS_PER_MIN_ANON = 1
    body = _multipart("rows.csv", b"address\n" + b"x\n" * 50_000)
    _served(_environ("/api/lookup/batch", body)[0])
    environ, stream = _environ("/api/lookup/batch", body)
    response = _served(environ)
    assert response.status_code == 429
    assert stream.consumed == 0, "the body of a refused upload was read"

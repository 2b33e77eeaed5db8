"""Project-level guarantees: migrations match the models, settings are sane."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")
        raise AssertionError from exc


@pytest.mark.django_db
def test_postgis_is_installed():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension")
        names = {r[0] for r in cur.fetchall()}
    assert "postgis" in names

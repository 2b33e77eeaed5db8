"""DATABASE_URL points GridAtlas at another PostGIS; without it, the project-local cluster."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_DB = (
    "import json, django; from django.conf import settings; django.setup(); "
    "d = settings.DATABASES['default']; "
    "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'NAME', 'USER', 'HOST', 'PORT', "
    "'ATOMIC_REQUESTS')}))"
)


def settings_db(**env) -> dict:
    full = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full.update(env, DJANGO_SETTINGS_MODULE="geo.settings")
    # The command is this interpreter and a constant script: nothing untrusted.
    out = subprocess.run(
        [sys.executable, "-c", PRINT_DB],
        cwd=ROOT,
        env=full,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def test_database_url_selects_another_postgis():
    db = settings_db(DATABASE_URL="postgis://alice:secret@db.internal:5433/atlas")
    assert db["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    got = (db["NAME"], db["USER"], db["HOST"], db["PORT"])
    assert got == ("atlas", "alice", "db.internal", 5433)
    assert db["ATOMIC_REQUESTS"] is True


def test_plain_postgres_url_still_gets_the_postgis_engine():
    db = settings_db(DATABASE_URL="postgres://bob@db.internal/atlas")
    assert db["ENGINE"] == "django.contrib.gis.db.backends.postgis"


def test_default_is_the_project_local_socket():
    db = settings_db()
    assert db["HOST"] == str(ROOT / "var" / "run")
    assert db["NAME"] == "gridatlas"

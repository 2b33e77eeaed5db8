"""Safe on a district's intranet: GRIDATLAS_HTTPS=1 gives a `check --deploy` with no issue, the
Content-Security-Policy is sent, /healthz answers 503 with Retry-After while the database is
down and 200 again when it is back, and `crs` takes EPSG codes and named systems only (never a
PROJ string, WKT, URL or path, which could make PROJ/GDAL open files or the network)."""

import io
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from geo.errors import BadRequest
from layers.io.crs import crs_epsg_parse, crs_resolve

ROOT = Path(__file__).resolve().parent.parent
WUHAN = (114.30, 30.59)
# A PROJ string that reads a grid file, WKT, a URL, a file path, a PROJ init file, a compound.
REFUSED_CRS = [
    "+proj=longlat +datum=WGS84 +nadgrids=/etc/passwd",
    "+init=epsg:4326",
    'GEOGCS["x",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]]',
    "http://example.com/crs.prj",
    "/etc/passwd",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326+5773",
    "EPSG:5773",  # a vertical CRS
    "EPSG:4978",  # geocentric
]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh interpreter with `env` set (settings are read once, at start-up)."""
    full_env = {**os.environ, **env}
    for name in ("GRIDATLAS_HTTPS", "GRIDATLAS_SSL_REDIRECT", "GRIDATLAS_TLS_PROXY"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def last_json(done: subprocess.CompletedProcess):
    return json.loads(done.stdout.strip().splitlines()[-1])


SETTINGS_JSON = (
    "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k, None) "
    "for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
    "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER')}))"
)


def test_check_deploy_is_clean_with_https_and_a_real_secret_key():
    key = secrets.token_urlsafe(50)
    done = manage(
        "check", "--deploy", "--fail-level", "WARNING", GRIDATLAS_HTTPS="1", DJANGO_SECRET_KEY=key
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    # Without HTTPS the same check names the missing HSTS and Secure cookies.
    plain = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=key)
    assert plain.returncode != 0
    for check in ("security.W004", "security.W012", "security.W016"):
        assert check in plain.stderr + plain.stdout


def test_https_switches_cookies_hsts_proxy_header_and_redirect():
    key = secrets.token_urlsafe(50)
    on = manage("shell", "-c", SETTINGS_JSON, GRIDATLAS_HTTPS="1", DJANGO_SECRET_KEY=key)
    assert on.returncode == 0, on.stderr
    s = last_json(on)
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # The redirect can be left to the proxy; plain HTTP (the default) switches everything off.
    no_redirect = manage(
        "shell", "-c", SETTINGS_JSON, GRIDATLAS_HTTPS="1", GRIDATLAS_SSL_REDIRECT="0"
    )
    assert last_json(no_redirect)["SECURE_SSL_REDIRECT"] is False
    off = last_json(manage("shell", "-c", SETTINGS_JSON))
    assert off == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    # Scripts from files only (an inline block would need the request's nonce, none needs one).
    assert directives["script-src"].split()[0] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "blob:" in directives["worker-src"] and "data:" in directives["connect-src"]
    assert {"data:", "blob:"} <= set(directives["img-src"].split())
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_is_503_with_retry_after_while_the_database_is_down_then_200(
    django_db_setup, django_db_blocker, settings, tmp_path
):
    settings.GRIDATLAS_HEALTHZ_RETRY_AFTER_S = 7
    client = Client(raise_request_exception=False)
    with django_db_blocker.unblock():
        connection.close()
        host = connection.settings_dict["HOST"]
        # A socket directory with no server in it: the database is down for this connection.
        connection.settings_dict["HOST"] = str(tmp_path)
        try:
            down = [client.get("/healthz") for _ in range(2)]
        finally:
            connection.close()
            connection.settings_dict["HOST"] = host
        back = client.get("/healthz")  # no restart: the next request connects again
        connection.close()
    for response in down:
        assert response.status_code == 503
        assert response["Retry-After"] == "7"
        body = response.json()
        assert body["status"] == "unavailable" and "database is unreachable" in body["error"]
    assert back.status_code == 200 and back.json()["status"] == "ok"


# --- crs: EPSG codes and named systems only -----------------------------------------------------


@pytest.mark.parametrize("text", REFUSED_CRS)
def test_import_refuses_anything_but_epsg_codes_and_names(text):
    with pytest.raises(BadRequest, match="accepted are .*gk3:114.*EPSG:3857"):
        crs_resolve(declared=text, embedded=None, bounds=(*WUHAN, *WUHAN))


@pytest.mark.parametrize(
    ("text", "epsg"),
    [
        ("EPSG:4326", 4326),
        ("4490", 4490),
        ("EPSG:4547", 4547),
        ("epsg:4526", 4526),
        ("EPSG:3857", 3857),
        ("EPSG:32650", 32650),  # UTM 50N: any projected CRS PROJ knows
        ("gk3:114", 4547),
        ("gk6:117", 4509),
        ("gk3:135", 4554),
    ],
)
def test_epsg_codes_and_gauss_krueger_names_are_accepted(text, epsg):
    assert crs_epsg_parse(text=text) == epsg


def test_a_declared_gk_name_reads_metres_of_that_zone():
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(*WUHAN)
    plan = crs_resolve(declared="gk3:114", embedded=None, bounds=(x, y, x, y))
    assert plan.label == "EPSG:4547"


@pytest.mark.django_db
def test_export_api_and_command_refuse_proj_strings(client, tmp_path):
    for text in REFUSED_CRS[:5]:
        response = client.get("/api/export/streets.geojson", {"crs": text})
        assert response.status_code == 400, text
        assert "EPSG:4491" in response.json()["error"]
        with pytest.raises(CommandError, match="EPSG:4491"):
            call_command(
                "export_layer", "streets", "--format", "geojson", "--crs", text,
                "--output", str(tmp_path / "s.geojson"),
            )  # fmt: skip
    assert not (tmp_path / "s.geojson").exists()


@pytest.mark.django_db
def test_import_command_refuses_a_proj_string(tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "x", "level": "community"},
                        "geometry": {"type": "Point", "coordinates": list(WUHAN)},
                    }
                ],
            }
        )
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_layer", "stations", str(path), "--crs", REFUSED_CRS[0], "--dry-run",
            verbosity=0, stdout=out,
        )  # fmt: skip
    crs_errors = [line for line in out.getvalue().splitlines() if "[crs]" in line]
    assert crs_errors and "no PROJ strings, WKT, URLs or file paths" in crs_errors[0]

"""The project-local cluster is not a door (issue 12): other OS users cannot reach its socket nor
authenticate on it, the app role cannot act as the server's OS user, and the secrets GridAtlas
generates for itself (SECRET_KEY, the database password) are the app's alone."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
OLD_LITERAL_KEY = "dev-only-insecure-key-change-me-in-production"

local_cluster = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="DATABASE_URL points at another PostGIS: the project-local cluster is not in use",
)
as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="only root can act as another OS user (runuser -u nobody)"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def psql_as_nobody(socket_dir: Path, role: str) -> subprocess.CompletedProcess:
    """psql as the unprivileged OS user `nobody`, with no password to give (-w)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    argv = ["runuser", "-u", "nobody", "--", shutil.which("psql"), "-X", "-w"]
    argv += ["-h", str(socket_dir), "-U", role, "-d", "gridatlas", "-Atc", "SELECT 1"]
    # A constant argv: no shell, nothing from outside the test.
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)


# --- the database roles -------------------------------------------------------------------------
@local_cluster
@pytest.mark.django_db
def test_the_app_role_is_no_superuser_but_may_create_databases():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = current_user"
        )
        assert cur.fetchone() == (False, True, False, False, False)
        # postgis and pg_trgm came from template1, created there by the admin.
        cur.execute("SELECT extname FROM pg_extension WHERE extname IN ('postgis', 'pg_trgm')")
        assert {r[0] for r in cur.fetchall()} == {"postgis", "pg_trgm"}


@local_cluster
@pytest.mark.django_db
def test_copy_from_program_is_refused_to_the_app():
    # As a superuser this runs `id` as the server's OS user: a shell on the database host.
    with pytest.raises(DatabaseError, match="pg_execute_server_program"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE ga_probe (line text)")
            cur.execute("COPY ga_probe FROM PROGRAM 'id'")


# --- the cluster's files ------------------------------------------------------------------------
@local_cluster
def test_nothing_is_trusted_in_pg_hba_conf():
    lines = (VAR / "pgdata" / "pg_hba.conf").read_text().splitlines()
    rules = [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert rules, "pg_hba.conf has no rule at all"
    trusted = [r for r in rules if "trust" in r]
    assert trusted == [], f"trust lines in pg_hba.conf: {trusted}"
    assert all(r[0] == "local" for r in rules), "only the unix socket is listened on"


@local_cluster
def test_the_socket_and_log_directories_are_closed_to_others():
    for path in (VAR / "run", VAR / "log", VAR / "pgdata"):
        assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"


@local_cluster
def test_the_generated_secrets_are_0600_in_a_0700_directory():
    secrets = Path(settings.SECRETS_DIR)
    assert mode(secrets) == 0o700
    for name in ("secret_key", "db_password"):
        assert mode(secrets / name) == 0o600, f"{name} is {oct(mode(secrets / name))}"
    assert settings.DATABASES["default"]["PASSWORD"] == (secrets / "db_password").read_text()


# --- another OS user on the machine -------------------------------------------------------------
@local_cluster
@as_root
@pytest.mark.parametrize("role", ["gridatlas", "postgres", "nobody"])
def test_another_os_user_cannot_reach_the_socket(role):
    done = psql_as_nobody(Path(settings.DATABASES["default"]["HOST"]), role)
    assert done.returncode != 0
    assert "Permission denied" in done.stderr


@local_cluster
@as_root
@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("gridatlas", "no password supplied"),
        ("postgres", "Peer authentication failed"),
        ("nobody", "no password supplied"),
    ],
)
def test_another_os_user_is_refused_by_authentication_too(role, refusal):
    """The second lock: a hard link to the socket in a directory everyone may enter (as if the
    socket directory were left open) still lets nobody in without the password or the server's
    OS user."""
    socket = Path(settings.DATABASES["default"]["HOST"]) / ".s.PGSQL.5432"
    # Hard links stay on one file system: beside var/run.
    door = Path(tempfile.mkdtemp(dir=VAR, prefix="open-door-"))
    try:
        door.chmod(0o755)
        os.link(socket, door / socket.name)
        done = psql_as_nobody(door, role)
    finally:
        shutil.rmtree(door)
    assert done.returncode != 0
    assert refusal in done.stderr, done.stderr


# --- SECRET_KEY ---------------------------------------------------------------------------------
def settings_value(expr: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DATABASE_URL"}}
    full.update(env, DJANGO_SETTINGS_MODULE="geo.settings")
    code = f"import django; from django.conf import settings; django.setup(); print({expr})"
    # This interpreter and a constant script: nothing untrusted.
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )


def test_secret_key_is_generated_not_the_old_literal():
    assert settings.SECRET_KEY != OLD_LITERAL_KEY
    assert len(settings.SECRET_KEY) >= 50


def test_secret_key_and_password_are_read_from_the_secrets_directory(tmp_path):
    (tmp_path / "secret_key").write_text("k" * 64 + "\n")
    (tmp_path / "db_password").write_text("p" * 64 + "\n")
    done = settings_value(
        "settings.SECRET_KEY, settings.DATABASES['default']['PASSWORD']",
        GRIDATLAS_SECRETS_DIR=str(tmp_path),
    )
    assert done.stdout.split() == ["k" * 64, "p" * 64]  # read, stripped of the newline


def test_docker_reads_the_database_password_from_a_file_not_the_url(tmp_path):
    (tmp_path / "db_password").write_text("p" * 64 + "\n")
    done = settings_value(
        "settings.DATABASES['default']['PASSWORD']",
        DATABASE_URL="postgis://gridatlas@db:5432/gridatlas",
        GRIDATLAS_DB_PASSWORD_FILE=str(tmp_path / "db_password"),
    )
    assert done.stdout.split() == ["p" * 64]


def test_no_secret_key_is_a_clear_error_not_a_silent_fallback(tmp_path):
    done = settings_value("settings.SECRET_KEY", GRIDATLAS_SECRETS_DIR=str(tmp_path))
    assert done.returncode != 0
    assert OLD_LITERAL_KEY not in done.stdout
    assert "No SECRET_KEY: run `make setup`" in done.stderr


def test_secrets_sh_makes_private_files_once(tmp_path):
    secrets = tmp_path / "secrets"
    env = {**os.environ, "GRIDATLAS_SECRETS_DIR": str(secrets)}
    script = [str(ROOT / "scripts" / "secrets.sh"), "secret_key", "db_password"]
    subprocess.run(["bash", *script], env=env, check=True)  # constant argv
    first = {p.name: p.read_text() for p in secrets.iterdir()}
    subprocess.run(["bash", *script], env=env, check=True)  # constant argv
    assert {p.name: p.read_text() for p in secrets.iterdir()} == first  # kept, not regenerated
    assert mode(secrets) == 0o700
    assert {p.name: mode(p) for p in secrets.iterdir()} == {
        "secret_key": 0o600,
        "db_password": 0o600,
    }
    assert first["secret_key"] != first["db_password"]
    assert len(first["secret_key"]) == 64

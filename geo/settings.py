"""GridAtlas settings. Every threshold is a named setting with its unit, overridable from the
environment (GRIDATLAS_<NAME>)."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default, cast=str):
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else cast(raw)


def env_bool(name: str, default: bool) -> bool:
    return env(name, default, lambda v: v.lower() in {"1", "true", "yes", "on"})


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "geo",
    "layers",
    "tiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo.i18n.ChosenLanguageMiddleware",  # Chinese unless the user switched (not Accept-Language)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change into the history tables (pghistory context).
    "pghistory.middleware.HistoryMiddleware",
    "geo.errors.DomainErrorMiddleware",
]

# Only writing methods carry a history context: a GET writes nothing, and reading request.user
# on every tile request would touch the session and add `Vary: Cookie` to public tiles.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The default database is the project-local cluster that `scripts/pg.sh` runs (unix socket in
# var/run, no TCP). DATABASE_URL=postgis://user:pass@host:port/name points at any other PostGIS.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": env("GRIDATLAS_DB_NAME", "gridatlas"),
            "USER": env("GRIDATLAS_DB_USER", "gridatlas"),
            "HOST": str(BASE_DIR / "var" / "run"),
            "CONN_MAX_AGE": 60,
        }
    }
# A request is one transaction: a failed edit leaves nothing half-written.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
    "GRIDATLAS_TEST_DB_NAME", "test_" + DATABASES["default"]["NAME"]
)

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial references.
# GridAtlas never passes a user-supplied spatial reference to GDAL unchecked (imports map
# declared CRS names to EPSG codes first), so the warning is noise on every command.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# One catalogue for the whole project (English msgids; Chinese is the default language). The .mo
# files are compiled by `make setup` (manage.py compilemessages), never committed.
LOCALE_PATHS = [BASE_DIR / "geo" / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("GRIDATLAS_LOG_LEVEL", "WARNING")},
}

# --- GridAtlas domain settings (units in the names) -------------------------------------------
# The city this deployment serves: its 4-digit prefix and the projected CRS for metric work.
GRIDATLAS_CITY_CODE = env("GRIDATLAS_CITY_CODE", "4201")
GRIDATLAS_CITY_NAME = env("GRIDATLAS_CITY_NAME", "武汉市")
GRIDATLAS_METRIC_SRID = env("GRIDATLAS_METRIC_SRID", 4547, int)  # CGCS2000 GK CM 114E

# Boundary rules (DESIGN.md): containment/overlap tolerance, minimum area that counts.
GRIDATLAS_BOUNDARY_TOLERANCE_M = env("GRIDATLAS_BOUNDARY_TOLERANCE_M", 0.5, float)
GRIDATLAS_MIN_VIOLATION_AREA_M2 = env("GRIDATLAS_MIN_VIOLATION_AREA_M2", 1.0, float)
GRIDATLAS_SLIVER_MIN_AREA_M2 = env("GRIDATLAS_SLIVER_MIN_AREA_M2", 1.0, float)
# Cut lines snap to parcel vertices and edges, and reach an edge they stop short of, within this.
GRIDATLAS_CUT_SNAP_M = env("GRIDATLAS_CUT_SNAP_M", 1.0, float)

# Household load bands (inclusive).
GRIDATLAS_GRID_HOUSEHOLDS_MIN = env("GRIDATLAS_GRID_HOUSEHOLDS_MIN", 300, int)
GRIDATLAS_GRID_HOUSEHOLDS_MAX = env("GRIDATLAS_GRID_HOUSEHOLDS_MAX", 500, int)
GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN = env("GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN", 30, int)
GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX = env("GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX", 100, int)

# Walking distances of the 5-, 10- and 15-minute life circles (GB 50180-2018), and the detour
# factor that turns a straight line into an estimated walk.
GRIDATLAS_WALK_5MIN_M = env("GRIDATLAS_WALK_5MIN_M", 300.0, float)
GRIDATLAS_WALK_10MIN_M = env("GRIDATLAS_WALK_10MIN_M", 500.0, float)
GRIDATLAS_WALK_15MIN_M = env("GRIDATLAS_WALK_15MIN_M", 1000.0, float)
GRIDATLAS_WALK_DETOUR_FACTOR = env("GRIDATLAS_WALK_DETOUR_FACTOR", 1.3, float)

# The admin map's offline context layer (outlines of streets, communities, grids).
GRIDATLAS_ADMIN_OUTLINES_MAX_FEATURES = env("GRIDATLAS_ADMIN_OUTLINES_MAX_FEATURES", 600, int)
GRIDATLAS_ADMIN_OUTLINES_MIN_RESOLUTION_M = env(
    "GRIDATLAS_ADMIN_OUTLINES_MIN_RESOLUTION_M", 0.05, float
)

# Vector tiles.
GRIDATLAS_TILE_MAX_BYTES = env("GRIDATLAS_TILE_MAX_BYTES", 500_000, int)
GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS = env("GRIDATLAS_TILE_STATEMENT_TIMEOUT_MS", 5_000, int)
GRIDATLAS_TILE_CACHE_MAX_AGE_S = env("GRIDATLAS_TILE_CACHE_MAX_AGE_S", 60, int)
# Hot tiles kept in each worker's memory (tiles/memory.py), purged by NOTIFY; 0 turns it off.
GRIDATLAS_TILE_MEMORY_BYTES = env("GRIDATLAS_TILE_MEMORY_BYTES", 64 * 1024 * 1024, int)

# The map's search-as-you-type: most results one request may ask for.
GRIDATLAS_SEARCH_MAX_RESULTS = env("GRIDATLAS_SEARCH_MAX_RESULTS", 20, int)

# Address search (GET /api/lookup?q=): longest query, candidates gathered per query, the lowest
# score shown, and when a match counts as certain (score at least, and ahead of the second by).
GRIDATLAS_ADDRESS_QUERY_MAX_CHARS = env("GRIDATLAS_ADDRESS_QUERY_MAX_CHARS", 100, int)
GRIDATLAS_ADDRESS_MAX_CANDIDATES = env("GRIDATLAS_ADDRESS_MAX_CANDIDATES", 20, int)
GRIDATLAS_ADDRESS_MIN_SCORE = env("GRIDATLAS_ADDRESS_MIN_SCORE", 0.3, float)
GRIDATLAS_ADDRESS_CERTAIN_SCORE = env("GRIDATLAS_ADDRESS_CERTAIN_SCORE", 0.7, float)
GRIDATLAS_ADDRESS_CERTAIN_MARGIN = env("GRIDATLAS_ADDRESS_CERTAIN_MARGIN", 0.2, float)

# Batch lookup (POST /api/lookup/batch, manage.py lookup): most rows one file may hold, and the
# upload size that allows (100,000 rows of CSV are about 10 MB).
GRIDATLAS_BATCH_MAX_ROWS = env("GRIDATLAS_BATCH_MAX_ROWS", 100_000, int)
DATA_UPLOAD_MAX_MEMORY_SIZE = env("GRIDATLAS_UPLOAD_MAX_BYTES", 40 * 1024 * 1024, int)
# Layer import (manage.py import_layer, /import/): from this many rows on, the building totals
# are derived once for the whole import instead of by the per-statement triggers.
GRIDATLAS_IMPORT_BULK_MIN_ROWS = env("GRIDATLAS_IMPORT_BULK_MIN_ROWS", 1_000, int)

# Coverage analyses (layers/analysis): heatmap cell size, how far a building or station may be
# from the road network to be joined to it, and how many new station sites to propose by default.
GRIDATLAS_HEATMAP_CELL_M = env("GRIDATLAS_HEATMAP_CELL_M", 100.0, float)
GRIDATLAS_ROAD_SNAP_MAX_M = env("GRIDATLAS_ROAD_SNAP_MAX_M", 200.0, float)
GRIDATLAS_SITING_DEFAULT_K = env("GRIDATLAS_SITING_DEFAULT_K", 10, int)
GRIDATLAS_SITING_LATTICE_M = env("GRIDATLAS_SITING_LATTICE_M", 100.0, float)
GRIDATLAS_HEATMAP_MAX_CELLS = env("GRIDATLAS_HEATMAP_MAX_CELLS", 4_000_000, int)
# The analysis API: longest list one JSON answer carries, longest walking distance accepted.
GRIDATLAS_ANALYSIS_MAX_ROWS = env("GRIDATLAS_ANALYSIS_MAX_ROWS", 10_000, int)
GRIDATLAS_ANALYSIS_MAX_DISTANCE_M = env("GRIDATLAS_ANALYSIS_MAX_DISTANCE_M", 5_000.0, float)

# The boundary-check page (/check/): most violations listed (the GeoJSON download has all).
GRIDATLAS_CHECK_PAGE_MAX_ROWS = env("GRIDATLAS_CHECK_PAGE_MAX_ROWS", 1000, int)

# OGC API Features (/ogc/): features per page when the client gives no `limit`, and the most.
GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES = env("GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES", 100, int)
GRIDATLAS_OGC_MAX_LIMIT_FEATURES = env("GRIDATLAS_OGC_MAX_LIMIT_FEATURES", 10_000, int)

# Registered members per household that a paired unit should reach (the 1:50 rule).
GRIDATLAS_HOUSEHOLDS_PER_MEMBER = env("GRIDATLAS_HOUSEHOLDS_PER_MEMBER", 50, int)

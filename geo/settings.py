"""GridAtlas settings. Every threshold is a named setting with its unit, overridable from the
environment (GRIDATLAS_<NAME>)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default, cast=str):
    """The environment variable `name` as `cast` gives it, or `default` when unset or blank. A
    value the cast refuses stops start-up naming the variable; ranges and relations between
    settings are checked once Django is up (geo/checks.py)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        kind = getattr(cast, "__name__", "value")
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid {kind}: {exc}") from None


def lonlat(raw: str) -> tuple[float, float]:
    """ "lon,lat" in degrees, e.g. "114.30,30.59"."""
    parts = raw.split(",")
    if len(parts) != 2:
        raise ValueError('give "lon,lat" in degrees, e.g. "114.30,30.59"')
    return float(parts[0]), float(parts[1])


def env_bool(name: str, default: bool) -> bool:
    return env(name, default, lambda v: v.lower() in {"1", "true", "yes", "on"})


# Secrets GridAtlas generates for itself (scripts/secrets.sh, scripts/pg.sh): one 0600 file each in
# var/secrets/, or GRIDATLAS_SECRETS_DIR (docker-compose keeps them on a volume).
SECRETS_DIR = Path(env("GRIDATLAS_SECRETS_DIR", BASE_DIR / "var" / "secrets"))


def secret_read(name: str) -> str:
    """A generated secret, or "" when set-up has not generated it yet."""
    try:
        return (SECRETS_DIR / name).read_text().strip()
    except FileNotFoundError:
        return ""


# No fallback: a key written in the repository signs sessions and password resets anyone can forge.
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or secret_read("secret_key")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        f"No SECRET_KEY: run `make setup` (scripts/secrets.sh writes {SECRETS_DIR}/secret_key) "
        "or set DJANGO_SECRET_KEY."
    )
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
    "rules",  # object-level predicates: layers/permissions.py
    "axes",  # sign-in throttling
    "procrastinate.contrib.django",  # the job queue (layers/jobs.py)
    "geo",
    "layers",
    # Capabilities that carry their own templates and static files (layers/<capability>/).
    "layers.lookup",
    "layers.editing",
    "layers.io",
    "layers.analysis",
    "layers.checks",
    "tiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: 429 on expensive endpoints (geo/ratelimits.py), then
    # 413 for an upload over its limit (geo/uploads.py).
    "geo.ratelimits.RateLimitMiddleware",
    "geo.uploads.UploadLimitMiddleware",
    "geo.middleware.RequestInputMiddleware",  # 400 for a NUL/control character in path or input
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
    # Last, as django-axes asks: it turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

# One permission model (layers/permissions.py, the `rules` package) answers object-level
# questions; django-axes comes first so a locked-out user is refused before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
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
                "geo.domain.map_home_context",  # the maps' home view as page data
                "geo.city_profile.city_profile_context",  # the city's name and metric CRS
            ],
        },
    },
]

# The default database is the project-local cluster that `scripts/pg.sh` runs (unix socket in
# var/run, no TCP; the app role is no superuser).
# DATABASE_URL=postgis://user:pass@host:port/name points at any other PostGIS.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    # Or the password from a file (docker-compose, Docker and Kubernetes secrets): not in the URL,
    # which shows in the environment of every process.
    if os.environ.get("GRIDATLAS_DB_PASSWORD_FILE"):
        password_file = Path(os.environ["GRIDATLAS_DB_PASSWORD_FILE"])
        DATABASES["default"]["PASSWORD"] = password_file.read_text().strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": env("GRIDATLAS_DB_NAME", "gridatlas"),
            "USER": env("GRIDATLAS_DB_USER", "gridatlas"),
            # Generated by scripts/pg.sh; the cluster trusts no one, not even on its socket.
            "PASSWORD": secret_read("db_password"),
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
# Read through geo/domain.py (bands, walks, the map's home) or their module; every one is checked
# at start-up by geo/checks.py (`manage.py check`), so a band with min > max never serves a page.

# --- The city: its 4-digit prefix, the projected CRS for metric work, where its maps open ---
# None (the default): taken from the loaded districts and streets (geo/city_profile.py): the
# city's code and name, its CGCS2000 Gauss-Krüger zone, a centre on the data and a zoom that fits
# it; with no data at all, Wuhan's. A value set here overrides that one field.
GRIDATLAS_CITY_CODE = env("GRIDATLAS_CITY_CODE", None)  # e.g. "4201"
GRIDATLAS_CITY_NAME = env("GRIDATLAS_CITY_NAME", None)  # e.g. "武汉市"
GRIDATLAS_METRIC_SRID = env("GRIDATLAS_METRIC_SRID", None, int)  # e.g. 4547, CGCS2000 GK CM 114E
# Where the maps open: "lon,lat" (EPSG:4326) and a MapLibre zoom.
GRIDATLAS_MAP_CENTRE = env("GRIDATLAS_MAP_CENTRE", None, lonlat)  # e.g. "114.30,30.59"
GRIDATLAS_MAP_ZOOM = env("GRIDATLAS_MAP_ZOOM", None, float)  # e.g. 11
# How long a worker trusts the city profile it derived before reading the data again (an import
# in the same process forgets it at once).
GRIDATLAS_CITY_PROFILE_TTL_S = env("GRIDATLAS_CITY_PROFILE_TTL_S", 60, int)

# --- Boundary rules and the household bands (geo.domain.grid_band, microgrid_band) ---
# Boundary rules (docs/design.md): containment/overlap tolerance, minimum area that counts.
GRIDATLAS_BOUNDARY_TOLERANCE_M = env("GRIDATLAS_BOUNDARY_TOLERANCE_M", 0.5, float)
GRIDATLAS_MIN_VIOLATION_AREA_M2 = env("GRIDATLAS_MIN_VIOLATION_AREA_M2", 1.0, float)
GRIDATLAS_SLIVER_MIN_AREA_M2 = env("GRIDATLAS_SLIVER_MIN_AREA_M2", 1.0, float)
# Cut lines snap to parcel vertices and edges, and reach an edge they stop short of, within this.
GRIDATLAS_CUT_SNAP_M = env("GRIDATLAS_CUT_SNAP_M", 1.0, float)

# Household load bands (inclusive): 0 ≤ MIN ≤ MAX.
GRIDATLAS_GRID_HOUSEHOLDS_MIN = env("GRIDATLAS_GRID_HOUSEHOLDS_MIN", 300, int)
GRIDATLAS_GRID_HOUSEHOLDS_MAX = env("GRIDATLAS_GRID_HOUSEHOLDS_MAX", 500, int)
GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN = env("GRIDATLAS_MICROGRID_HOUSEHOLDS_MIN", 30, int)
GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX = env("GRIDATLAS_MICROGRID_HOUSEHOLDS_MAX", 100, int)

# --- Walking distances (geo.domain.walks) ---
# Walking distances of the 5-, 10- and 15-minute life circles (GB 50180-2018), and the detour
# factor that turns a straight line into an estimated walk.
GRIDATLAS_WALK_5MIN_M = env("GRIDATLAS_WALK_5MIN_M", 300.0, float)
GRIDATLAS_WALK_10MIN_M = env("GRIDATLAS_WALK_10MIN_M", 500.0, float)
GRIDATLAS_WALK_15MIN_M = env("GRIDATLAS_WALK_15MIN_M", 1000.0, float)
GRIDATLAS_WALK_DETOUR_FACTOR = env("GRIDATLAS_WALK_DETOUR_FACTOR", 1.3, float)

# --- Maps and tiles ---
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

# --- Search and lookup ---
# The map's search-as-you-type: most results one request may ask for.
GRIDATLAS_SEARCH_MAX_RESULTS = env("GRIDATLAS_SEARCH_MAX_RESULTS", 20, int)
# A lookup lists service stations only this close (geodesic metres): farther is no service to
# send a resident to, and says so ("no station within 5 km") rather than naming another city's.
GRIDATLAS_NEAREST_STATION_MAX_M = env("GRIDATLAS_NEAREST_STATION_MAX_M", 5000.0, float)

# Address search (GET /api/lookup?q=): longest query, candidates gathered per query, the lowest
# score shown, and when a match counts as certain (score at least, and ahead of the second by).
GRIDATLAS_ADDRESS_QUERY_MAX_CHARS = env("GRIDATLAS_ADDRESS_QUERY_MAX_CHARS", 100, int)
GRIDATLAS_ADDRESS_MAX_CANDIDATES = env("GRIDATLAS_ADDRESS_MAX_CANDIDATES", 20, int)
GRIDATLAS_ADDRESS_MIN_SCORE = env("GRIDATLAS_ADDRESS_MIN_SCORE", 0.3, float)
GRIDATLAS_ADDRESS_CERTAIN_SCORE = env("GRIDATLAS_ADDRESS_CERTAIN_SCORE", 0.7, float)
GRIDATLAS_ADDRESS_CERTAIN_MARGIN = env("GRIDATLAS_ADDRESS_CERTAIN_MARGIN", 0.2, float)

# --- Batch lookup, background jobs and layer import ---
# Batch lookup (POST /api/lookup/batch, manage.py lookup): most rows one file may hold, and the
# upload size that allows (100,000 rows of CSV are about 10 MB).
GRIDATLAS_BATCH_MAX_ROWS = env("GRIDATLAS_BATCH_MAX_ROWS", 100_000, int)
# A row with both coordinates and an address whose match lies in another grid, or farther than
# this many metres from the point, is flagged with the distance and gets no grid.
GRIDATLAS_BATCH_DISAGREE_M = env("GRIDATLAS_BATCH_DISAGREE_M", 100, float)
# A sheet of this many address rows or more is looked up on GRIDATLAS_BATCH_THREADS database
# connections at once, in the worker (layers/services/lookup_batch_parallel.py).
GRIDATLAS_BATCH_THREADS = env("GRIDATLAS_BATCH_THREADS", 2, int)
GRIDATLAS_BATCH_PARALLEL_MIN_ROWS = env("GRIDATLAS_BATCH_PARALLEL_MIN_ROWS", 2_000, int)
# Background jobs (layers/jobs.py on procrastinate; `manage.py procrastinate worker` runs them):
# batch lookups one user may have queued or running at once (more: 429), rows between progress
# updates, hours a finished job and its files are kept before the sweep deletes them, and seconds
# a running job's worker may miss its heartbeat before the job is given up as failed.
GRIDATLAS_BATCH_JOBS_PER_USER_MAX = env("GRIDATLAS_BATCH_JOBS_PER_USER_MAX", 2, int)
GRIDATLAS_JOB_PROGRESS_EVERY_ROWS = env("GRIDATLAS_JOB_PROGRESS_EVERY_ROWS", 1_000, int)
GRIDATLAS_JOB_KEEP_HOURS = env("GRIDATLAS_JOB_KEEP_HOURS", 24, int)
GRIDATLAS_JOB_STALLED_AFTER_S = env("GRIDATLAS_JOB_STALLED_AFTER_S", 300, int)
PROCRASTINATE_IMPORT_PATHS = ["layers.jobs"]  # the tasks the worker runs
# Request bodies other than files (forms, JSON), in bytes; files: *_UPLOAD_MAX_BYTES below.
DATA_UPLOAD_MAX_MEMORY_SIZE = env("GRIDATLAS_UPLOAD_MAX_BYTES", 40 * 1024 * 1024, int)
# Layer import (manage.py import_layer, /import/): from this many rows on, the building totals
# are derived once for the whole import instead of by the per-statement triggers.
GRIDATLAS_IMPORT_BULK_MIN_ROWS = env("GRIDATLAS_IMPORT_BULK_MIN_ROWS", 1_000, int)
# An imported geometry whose every vertex is this close to the stored one's is unchanged and not
# rewritten: a Gauss-Krüger or GCJ-02 export and back moves vertices by nanometres
# (layers/io/writer.py). Far below a boundary's tolerance, far above any float drift.
GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M = env("GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M", 0.001, float)
# A part of an imported division's polygon smaller than this (m², in the metric CRS) is a sliver
# left by digitising, dropped with a note (layers/io/dissolve.py); a feature of slivers only is
# an error. At least GRIDATLAS_SLIVER_MIN_AREA_M2, which every stored part must reach.
GRIDATLAS_IMPORT_SLIVER_M2 = env("GRIDATLAS_IMPORT_SLIVER_M2", 10.0, float)

# --- Analyses and the dashboard ---
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
# Rows the dashboard lists per gap tab; the tab counts the server's total and says when capped.
GRIDATLAS_DASHBOARD_LIST_ROWS = env("GRIDATLAS_DASHBOARD_LIST_ROWS", 500, int)
# ... and the shortest: below a metre no walk is meant (1e-300 m overflowed the siting grid).
GRIDATLAS_ANALYSIS_MIN_DISTANCE_M = env("GRIDATLAS_ANALYSIS_MIN_DISTANCE_M", 1.0, float)

# --- Pages and services with their own caps ---
# The boundary-check page (/check/): most violations listed (the GeoJSON download has all).
GRIDATLAS_CHECK_PAGE_MAX_ROWS = env("GRIDATLAS_CHECK_PAGE_MAX_ROWS", 1000, int)

# OGC API Features (/ogc/): features per page when the client gives no `limit`, and the most.
GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES = env("GRIDATLAS_OGC_DEFAULT_LIMIT_FEATURES", 100, int)
GRIDATLAS_OGC_MAX_LIMIT_FEATURES = env("GRIDATLAS_OGC_MAX_LIMIT_FEATURES", 10_000, int)

# --- Request input ---
# Request input (geo/params.py, geo/http.py): the deepest JSON body accepted (a cut line is 4
# levels deep), the longest name or reason text in an editing body, the heatmap cell sizes
# accepted (a 1e-300 m cell is no heatmap), and the longest CSV field an import or batch lookup
# reads (a district's WKT outline can pass Python's default of 131,072 characters).
GRIDATLAS_JSON_MAX_DEPTH = env("GRIDATLAS_JSON_MAX_DEPTH", 20, int)
GRIDATLAS_CUT_MAX_POINTS = env("GRIDATLAS_CUT_MAX_POINTS", 1_000, int)  # vertices of a cut line
GRIDATLAS_EDIT_TEXT_MAX_CHARS = env("GRIDATLAS_EDIT_TEXT_MAX_CHARS", 2_000, int)
GRIDATLAS_HEATMAP_MIN_CELL_M = env("GRIDATLAS_HEATMAP_MIN_CELL_M", 0.01, float)
GRIDATLAS_HEATMAP_MAX_CELL_M = env("GRIDATLAS_HEATMAP_MAX_CELL_M", 10_000.0, float)
GRIDATLAS_CSV_MAX_FIELD_CHARS = env("GRIDATLAS_CSV_MAX_FIELD_CHARS", 4 * 1024 * 1024, int)

# --- Organisation ---
# Registered members per household that a paired unit should reach (the 1:50 rule).
GRIDATLAS_HOUSEHOLDS_PER_MEMBER = env("GRIDATLAS_HOUSEHOLDS_PER_MEMBER", 50, int)

# --- Production: sign-in throttling, HTTPS, Content-Security-Policy ---------------------------
# Sign-in throttling (django-axes), on the planners' /accounts/login/ and the admin's alike: after
# this many wrong passwords for one user name from one address, that pair is refused until the
# cool-off has passed (other users, and the same user elsewhere, are not affected).
GRIDATLAS_LOGIN_FAILURE_LIMIT = env("GRIDATLAS_LOGIN_FAILURE_LIMIT", 5, int)
GRIDATLAS_LOGIN_COOLOFF_S = env("GRIDATLAS_LOGIN_COOLOFF_S", 15 * 60, int)
AXES_FAILURE_LIMIT = GRIDATLAS_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=GRIDATLAS_LOGIN_COOLOFF_S)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a right password forgets the earlier typos
AXES_LOCKOUT_CALLABLE = "geo.views.login_locked_out"  # a Chinese page, 429
# Behind a TLS proxy every request comes from the proxy: take the client's address from the
# X-Forwarded-For entry this many trusted proxies back (0: REMOTE_ADDR, no proxy).
GRIDATLAS_TRUSTED_PROXY_COUNT = env("GRIDATLAS_TRUSTED_PROXY_COUNT", 0, int)
AXES_CLIENT_IP_CALLABLE = "geo.views.client_ip"

# Where sign-in lands without a (safe) `next=`, and sign-out.
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "geo.views.csrf_failure"  # the site's 403 page, not Django's English one
LOGIN_REDIRECT_URL = "map"
LOGOUT_REDIRECT_URL = "map"

# /healthz while the database is down: 503 with this Retry-After for load balancers and probes.
GRIDATLAS_HEALTHZ_RETRY_AFTER_S = env("GRIDATLAS_HEALTHZ_RETRY_AFTER_S", 10, int)

# GRIDATLAS_HTTPS=1: the site is served over HTTPS (usually a TLS proxy in front of gunicorn).
GRIDATLAS_HTTPS = env_bool("GRIDATLAS_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = GRIDATLAS_HTTPS
SECURE_HSTS_SECONDS = (
    env("GRIDATLAS_HSTS_MAX_AGE_S", 365 * 24 * 3600, int) if GRIDATLAS_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GRIDATLAS_HSTS_INCLUDE_SUBDOMAINS", True)
# The proxy says "https" in X-Forwarded-Proto; it must overwrite any such header a client sends.
if env_bool("GRIDATLAS_TLS_PROXY", GRIDATLAS_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = GRIDATLAS_HTTPS and env_bool("GRIDATLAS_SSL_REDIRECT", True)
# Load balancers probe over plain HTTP inside the network: no redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# An intranet host name is never on the browsers' HSTS preload list; asking for it means nothing.
SILENCED_SYSTEM_CHECKS += ["security.W021"]

# Content-Security-Policy (django-csp), on in every mode: every page loads its scripts, styles,
# workers and data from this site only. Scripts: files, or inline blocks with the request's
# nonce. Styles allow inline attributes (MapLibre and the editor's swatches set them; a style
# cannot run code). MapLibre starts its worker from a blob: URL and loads images from data:/blob:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "data:", "blob:"],  # MapLibre fetches image sources (data: URLs)
        "worker-src": [SELF, "blob:"],
        "child-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if GRIDATLAS_HTTPS else {}),
    }
}

# --- Abuse: upload sizes, spreadsheet and zip bombs, rate limits ------------------------------
# Largest upload, in bytes (the whole multipart body: refused with 413 from its Content-Length
# before a byte is read, and while streaming otherwise; geo/uploads.py). The batch lookup's
# 100,000 rows of CSV are about 10 MB; the city's 158,000 buildings are a ~60 MB GeoPackage.
GRIDATLAS_BATCH_UPLOAD_MAX_BYTES = env("GRIDATLAS_BATCH_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, int)
GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES = env("GRIDATLAS_IMPORT_UPLOAD_MAX_BYTES", 200 * 1024 * 1024, int)
FILE_UPLOAD_HANDLERS = [
    "geo.uploads.LimitedUploadHandler",  # counts and stops; the two below keep the bytes
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Zip-based files (Shapefile .zip, XLSX) are checked from their zip directory before anything is
# unpacked (layers/io/archive_guard.py): the most bytes all members may unpack to, and the
# highest unpacked:packed ratio of a member that unpacks to GRIDATLAS_ZIP_RATIO_MIN_BYTES or more
# (real sheets and .dbf files pack 5-30:1; a bomb of repeated rows packs 1000:1).
GRIDATLAS_ZIP_MAX_UNPACKED_BYTES = env("GRIDATLAS_ZIP_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024, int)
GRIDATLAS_ZIP_MAX_RATIO = env("GRIDATLAS_ZIP_MAX_RATIO", 100.0, float)
GRIDATLAS_ZIP_RATIO_MIN_BYTES = env("GRIDATLAS_ZIP_RATIO_MIN_BYTES", 1024 * 1024, int)
# Rows a CSV/XLSX table may hold in a layer import (the batch lookup: GRIDATLAS_BATCH_MAX_ROWS),
# and columns any table may hold; both are counted while streaming, stopping at the cap + 1.
GRIDATLAS_IMPORT_TABLE_MAX_ROWS = env("GRIDATLAS_IMPORT_TABLE_MAX_ROWS", 500_000, int)
GRIDATLAS_TABLE_MAX_COLUMNS = env("GRIDATLAS_TABLE_MAX_COLUMNS", 500, int)
# Where /import/ keeps an upload between its check and its confirmation (one folder per
# instance, mode 0700), and after how many seconds an unconfirmed one is swept.
GRIDATLAS_IMPORT_UPLOAD_DIR = env(
    "GRIDATLAS_IMPORT_UPLOAD_DIR", BASE_DIR / "var" / "uploads" / "import", Path
)
GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S = env("GRIDATLAS_IMPORT_UPLOAD_MAX_AGE_S", 3600, int)
# Rate limits on expensive endpoints (geo/ratelimits.py), calls per minute per signed-in user,
# or per IP address when anonymous: uploads (batch lookup, import) and costly answers (exports,
# report workbook, heatmap files, siting, network coverage, /check/, OGC pages of more than
# GRIDATLAS_RATE_OGC_FREE_FEATURES features). Counted in PostgreSQL (the cache table below,
# created by `manage.py createcachetable`), so every worker and instance shares the counts.
GRIDATLAS_RATE_UPLOADS_PER_MIN_ANON = env("GRIDATLAS_RATE_UPLOADS_PER_MIN_ANON", 5, int)
GRIDATLAS_RATE_UPLOADS_PER_MIN_USER = env("GRIDATLAS_RATE_UPLOADS_PER_MIN_USER", 30, int)
GRIDATLAS_RATE_FILES_PER_MIN_ANON = env("GRIDATLAS_RATE_FILES_PER_MIN_ANON", 30, int)
GRIDATLAS_RATE_FILES_PER_MIN_USER = env("GRIDATLAS_RATE_FILES_PER_MIN_USER", 120, int)
GRIDATLAS_RATE_OGC_FREE_FEATURES = env("GRIDATLAS_RATE_OGC_FREE_FEATURES", 1_000, int)
# GRIDATLAS_RATE_LIMITS=0 turns them off. Anonymous callers are told apart by REMOTE_ADDR: behind
# a reverse proxy, set RATELIMIT_IP_META_KEY to the header it writes (django-ratelimit).
RATELIMIT_ENABLE = env_bool("GRIDATLAS_RATE_LIMITS", True)
RATELIMIT_USE_CACHE = "ratelimit"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},  # Django's default
    "ratelimit": {
        "BACKEND": "geo.ratelimits.CounterCache",
        "LOCATION": "gridatlas_ratelimit",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}

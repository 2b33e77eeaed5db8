"""One permission model for every write path (issue 12, layers/permissions.py).

The URLconf walk: every route of geo.urls, each one classified below, is sent every writing
method (POST, PUT, PATCH, DELETE) as an anonymous visitor, a plain signed-in user and a planner
of ANOTHER street, with a body that would be valid for the right user; each must be refused and
no table may gain or lose a row. A route missing from the classification fails the test: a new
route is classified when it is added. Then the positive control (a planner of the right street
imports into it and edits it), usernames hidden from anonymous visitors, and the admin.
"""

import datetime
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field

import geopandas as gpd
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection, transaction
from django.urls import URLResolver, get_resolver

from geo.srid import STORAGE_SRID
from layers.models import Building, LayoutDraft, LayoutRevision, PlannerStreet, Worker
from layers.services.layouts import _stale
from tests import import_corpus as corpus
from tests.admin_world import world_make
from tests.factories import DISTRICT_CODE, lonlat, street_make

ANON, PLAIN, OTHER = "anonymous", "plain signed-in user", "planner of another street"
WRITING = ("post", "put", "patch", "delete")
# Every admin view is wrapped by AdminSite.admin_view, which refuses a non-staff user before
# the view sees the method: two methods per admin route prove the wrapper is there.
ADMIN_WRITING = ("post", "delete")
# Tables a refused request may still write: the session of a signed-in test client and the
# sign-in throttle's bookkeeping. Nothing of the data.
UNCOUNTED_APPS = {"sessions", "axes"}


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """A 429 would hide whether the permission refused (geo/ratelimits.py has its own tests)."""
    settings.RATELIMIT_ENABLE = False


def walk(resolver=None, prefix: str = ""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from walk(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


ALL_ROUTES = sorted(set(walk()))


@dataclass(frozen=True)
class Write:
    """A state-changing route: `url` (str.format with c = the victim community's code), a valid
    body per method (JSON, or "multipart"), and who must be refused."""

    url: str
    bodies: dict = field(default_factory=dict)
    refuses: tuple = (ANON, PLAIN, OTHER)


# Routes that read only: every writing method answers 405 (or the sign-in / 403 first).
READ = {
    "": "/",
    "admin-context/outlines.geojson": "/admin-context/outlines.geojson",
    "edit/": "/edit/",
    "api/edit/communities/<str:code>/editor.json": "/api/edit/communities/{c}/editor.json",
    "api/search": "/api/search",
    "api/features/<str:kind>/<int:feature_id>": "/api/features/grid/1",
    "api/divisions": "/api/divisions",
    "api/export/<slug:layer>.<slug:fmt>": "/api/export/grids.geojson",
    "api/lookup": "/api/lookup",
    "api/jobs/<uuid:job_id>": "/api/jobs/{uuid}",
    "api/jobs/<uuid:job_id>/result": "/api/jobs/{uuid}/result",
    "import/onboard/<uuid:job_id>": "/import/onboard/{uuid}",
    "lookup/": "/lookup/",
    "api/analysis/siting": "/api/analysis/siting",
    "api/analysis/report.xlsx": "/api/analysis/report.xlsx",
    "api/edit/communities/<str:code>/layout": "/api/edit/communities/{c}/layout",
    "api/edit/communities/<str:code>/revisions": "/api/edit/communities/{c}/revisions",
    "api/edit/communities/<str:code>/revisions/<int:a>/diff/<int:b>": (
        "/api/edit/communities/{c}/revisions/0/diff/1"
    ),
    "dashboard/": "/dashboard/",
    "dashboard/report-map.html": "/dashboard/report-map.html",
    "api/analysis/coverage": "/api/analysis/coverage",
    "api/analysis/coverage/uncovered": "/api/analysis/coverage/uncovered",
    "api/analysis/organisation": "/api/analysis/organisation",
    "api/analysis/load": "/api/analysis/load",
    "api/analysis/pairing": "/api/analysis/pairing",
    "api/analysis/headline": "/api/analysis/headline",
    "api/analysis/heatmap/<slug:kind>.png": "/api/analysis/heatmap/uncovered.png",
    "api/analysis/heatmap/<slug:kind>.json": "/api/analysis/heatmap/uncovered.json",
    "api/analysis/heatmap/<slug:kind>.tif": "/api/analysis/heatmap/uncovered.tif",
    "check/": "/check/",
    "check/violations.geojson": "/check/violations.geojson",
    "metrics": "/metrics",
    "tiles/style.json": "/tiles/style.json",
    "tiles/fonts/<str:fontstack>/<str:glyph_range>.pbf": "/tiles/fonts/sans/0-255.pbf",
    r"^tiles/(?P<layer>[A-Za-z0-9_-]+)\.json$": "/tiles/grids.json",
    r"^tiles/(?P<layer>[A-Za-z0-9_-]+)/(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/.]+)\.mvt$": (
        "/tiles/grids/14/13395/6776.mvt"
    ),
    "ogc": "/ogc",
    "ogc/": "/ogc/",
    "ogc/conformance": "/ogc/conformance",
    "ogc/openapi": "/ogc/openapi",
    "ogc/collections": "/ogc/collections",
    "ogc/collections/<str:collection_id>": "/ogc/collections/grids",
    "ogc/collections/<str:collection_id>/items": "/ogc/collections/grids/items",
    "ogc/collections/<str:collection_id>/items/<str:feature_id>": "/ogc/collections/grids/items/1",
}

EDIT = "/api/edit/communities/{c}/"
WRITE = {
    "api/edit/communities/<str:code>/commit": Write(
        EDIT + "commit",
        {"post": "commit"},
    ),
    "api/edit/communities/<str:code>/cut": Write(EDIT + "cut", {"post": "cut"}),
    "api/edit/communities/<str:code>/draft": Write(EDIT + "draft", {"put": "draft"}),
    "api/edit/communities/<str:code>/publish": Write(EDIT + "publish", {"post": "publish"}),
    "api/edit/communities/<str:code>/revisions/<int:n>/revert": Write(
        EDIT + "revisions/1/revert", {"post": "revert"}
    ),
    "api/edit/communities/<str:code>/revisions/<int:n>/cancel": Write(
        EDIT + "revisions/1/cancel", {"post": "empty"}
    ),
    "api/edit/communities/<str:code>/propose": Write(EDIT + "propose", {"post": "propose"}),
    "api/edit/communities/<str:code>/rebalance": Write(EDIT + "rebalance", {"post": "rebalance"}),
    "api/edit/communities/<str:code>/assign-unassigned": Write(
        EDIT + "assign-unassigned", {"post": "empty"}
    ),
    "api/edit/communities/<str:code>/parcelise": Write(EDIT + "parcelise", {"post": "empty"}),
    # The upload page: a planner of another street gets the report refusing the file.
    "import/": Write("/import/", {"post": "import"}),
    # Onboarding a district imports every layer of every street: staff only.
    "import/onboard": Write("/import/onboard", {"post": "onboard"}),
    # Being changed by another helper into a background job behind layers.batch_lookup: a
    # permission, not a street, so a planner of another street is not asked about here.
    "api/lookup/batch": Write("/api/lookup/batch", {"post": "batch"}, refuses=(ANON, PLAIN)),
}

EXEMPT = {
    "i18n/setlang/": "sets the language cookie only",
    "accounts/login/": "signing in",
    "accounts/logout/": "signing out",
    "admin/login/": "signing in (the admin's form)",
    "admin/logout/": "signing out (the admin's form)",
    "healthz": "a probe that answers any method and only reads the database versions",
}


def admin_url(pattern: str) -> str:
    """A concrete URL for an admin pattern (every admin view needs a staff sign-in first)."""
    url = re.sub(r"<(?:path:)?\w+>", "1", pattern)
    url = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "layers/", url)
    url = url.replace("(?P<url>.*)$", "no-such-page/")
    return "/" + url


def classify(pattern: str):
    if pattern in EXEMPT:
        return "exempt", None
    if pattern in WRITE:
        return "write", WRITE[pattern]
    if pattern in READ:
        return "read", Write(READ[pattern])
    if pattern.startswith("admin/"):
        return "write", Write(admin_url(pattern))
    return None, None


# --- the world: street B (the victim, tests.admin_world) and street A next to it ------------------


@dataclass
class Walk:
    world: object
    users: dict
    right: object  # planner of the victim's street


@pytest.fixture(scope="module")
def walk_world(django_db_setup, django_db_blocker):
    """Built once, in a transaction rolled back at the module's end (as tests/test_admin.py)."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_make()
        other_street = street_make(
            district=world.community.street.district,
            code=DISTRICT_CODE + "002",
            extent=(2100, -2000, 2900, 2000),
        )
        User = get_user_model()
        plain = User.objects.create_user("plain_w", password="pw-walk-1")
        other = User.objects.create_user("other_w", password="pw-walk-1")
        # Everything but the street: the planner and worker permissions (and batch lookups,
        # where that permission exists).
        other.user_permissions.add(
            *Permission.objects.filter(
                codename__in=["change_parcel", "view_worker", "batch_lookup"]
            )
        )
        PlannerStreet.objects.create(user=other, street=other_street)
        right = User.objects.get(username="planner")
        right.user_permissions.add(Permission.objects.get(codename="change_parcel"))
        # A revision with an author (revisions are immutable: made so, never updated).
        LayoutRevision.objects.create(
            community=world.unpaired,
            number=1,
            author=right,
            effective_date=datetime.date(2024, 3, 1),
            assignment={},
            changed_parcels=[],
        )
        yield Walk(world, {ANON: None, PLAIN: plain, OTHER: other}, right)
        transaction.set_rollback(True)


def bodies(w, name: str, tmp_path):
    world = w.world
    move = [{"parcel": world.parcel.pk, "grid": None}]
    line = {"type": "LineString", "coordinates": [lonlat(300, -10), lonlat(300, 210)]}
    if name == "import":
        rows = [
            {
                "code": world.building.code,
                "name": "1栋",
                "households": 9999,
                "geometry": corpus.shape(world.building.geom),
            }
        ]
        frame = gpd.GeoDataFrame(rows, crs=f"EPSG:{STORAGE_SRID}")
        path = corpus.geojson(frame, tmp_path / f"b-{uuid.uuid4().hex}.geojson")
        return "multipart", {"layer": "buildings", "action": "check", "file": path}
    if name == "onboard":
        path = tmp_path / f"district-{uuid.uuid4().hex}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("districts.geojson", '{"type": "FeatureCollection", "features": []}')
        return "multipart", {"file": path}
    if name == "batch":
        path = tmp_path / "batch.csv"
        path.write_text("address\n幸福路1号\n", encoding="utf-8")
        return "multipart", {"file": path}
    return "json", {
        "commit": {"base_revision": 1, "moves": move, "effective_date": "2030-01-01"},
        "cut": {"line": line},
        "draft": {"base_revision": 1, "moves": move},
        "publish": {"effective_date": "2030-01-01"},
        "revert": {"base_revision": 1, "effective_date": "2030-01-01", "reason": "test"},
        "propose": {"kind": "grids"},
        "rebalance": {"grids": [world.grid.code, world.freehand.code]},
        "empty": {},
    }[name]


def send(client, method: str, url: str, body):
    kind, data = body
    if kind == "multipart" and method == "post":
        files = {k: open(v, "rb") if hasattr(v, "open") else v for k, v in data.items()}
        try:
            return client.post(url, files)
        finally:
            for f in files.values():
                if hasattr(f, "close"):
                    f.close()
    payload = json.dumps(data if kind == "json" else {})
    return client.generic(method.upper(), url, payload, content_type="application/json")


def row_counts() -> dict:
    models = [
        m
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.app_label not in UNCOUNTED_APPS
    ]
    parts = ", ".join(f'(SELECT count(*) FROM "{m._meta.db_table}")' for m in models)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {parts}")
        return dict(zip([m._meta.label for m in models], cur.fetchone(), strict=True))


def refusal(response) -> bool:
    status = response.status_code
    if status in (401, 403):
        return True
    return status == 302 and "login" in response.get("Location", "")


def import_refusal(response) -> bool:
    """The upload page refuses a file outside the planner's streets in its report."""
    report = response.context and response.context.get("report")
    if refusal(response) or report is None:
        return refusal(response)
    return not report.written and {i.rule for i in report.errors} == {"outside_your_streets"}


@pytest.mark.parametrize("pattern", ALL_ROUTES)
def test_every_writing_route_refuses_the_wrong_users(pattern, walk_world, client, tmp_path):
    kind, route = classify(pattern)
    assert kind is not None, (
        f"route {pattern!r} is not classified in tests/test_permissions.py: add it to READ, "
        "WRITE (with who must be refused) or EXEMPT (with the reason)"
    )
    if kind == "exempt":
        return
    url = route.url.format(c=walk_world.world.community.code, uuid=uuid.uuid4())
    before = row_counts()
    households = Building.objects.get(pk=walk_world.world.building.pk).households
    for who in route.refuses:
        user = walk_world.users[who]
        client.logout()
        if user is not None:
            client.force_login(user)
        for method in ADMIN_WRITING if pattern.startswith("admin/") else WRITING:
            body_name = route.bodies.get(method, "empty")
            response = send(client, method, url, bodies(walk_world, body_name, tmp_path))
            allowed = response.status_code == 405 and method not in route.bodies
            check = import_refusal if pattern == "import/" else refusal
            assert allowed or check(response), (
                f"{method.upper()} {url} as {who}: {response.status_code} "
                f"{response.content[:300]!r}"
            )
    assert row_counts() == before
    assert Building.objects.get(pk=walk_world.world.building.pk).households == households


def test_the_classification_names_only_real_routes():
    known = set(READ) | set(WRITE) | set(EXEMPT)
    assert known <= set(ALL_ROUTES), known - set(ALL_ROUTES)


# --- the positive control -------------------------------------------------------------------------


def test_a_planner_of_the_right_street_imports_and_edits(walk_world, client, tmp_path):
    world = walk_world.world
    client.force_login(walk_world.right)
    code = world.community.code
    assert client.get(f"/api/edit/communities/{code}/layout").json()["editable"] is True
    # The upload page offers what a planner may import: no districts or streets (staff only).
    offered = [key for key, _ in client.get("/import/").context["layers"]]
    assert "buildings" in offered and not {"districts", "streets", "units"} & set(offered)
    r = send(client, "put", EDIT.format(c=code) + "draft", bodies(walk_world, "draft", tmp_path))
    assert r.status_code == 200, r.content
    assert LayoutDraft.objects.filter(community=world.community, author=walk_world.right).exists()
    r = send(client, "post", "/import/", bodies(walk_world, "import", tmp_path))
    report = r.context["report"]
    assert report.errors == [] and report.updated == 1, report.as_text()
    r = client.post(
        "/import/", {"layer": "buildings", "action": "import", "token": r.context["token"]}
    )
    assert r.context["report"].written
    assert Building.objects.get(pk=world.building.pk).households == 9999


# --- usernames ------------------------------------------------------------------------------------


def test_authors_are_shown_to_signed_in_users_only(walk_world, client):
    community = walk_world.world.unpaired
    url = f"/api/edit/communities/{community.code}/revisions"
    anonymous = client.get(url).json()["revisions"]
    assert anonymous and all("author__username" not in r for r in anonymous)
    assert "planner" not in client.get(url).content.decode()
    client.force_login(walk_world.users[PLAIN])
    assert [r["author__username"] for r in client.get(url).json()["revisions"]] == ["planner"]
    # The 409 body of a stale publish, built for an anonymous and a signed-in user.
    hidden = _stale(community, 0, 1, AnonymousUser()).details["changed_since"]
    shown = _stale(community, 0, 1, walk_world.right).details["changed_since"]
    assert "author__username" not in hidden[0] and shown[0]["author__username"] == "planner"


# --- the admin ------------------------------------------------------------------------------------


def test_admin_workers_need_view_worker(walk_world, client):
    staff = get_user_model().objects.create_user("staff_w", password="pw-walk-1", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["change_worker"]))
    client.force_login(staff)
    worker = Worker.objects.first()
    assert client.get("/admin/layers/worker/").status_code == 403
    assert client.get(f"/admin/layers/worker/{worker.pk}/change/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_worker"))
    client.force_login(get_user_model().objects.get(pk=staff.pk))
    assert client.get("/admin/layers/worker/").status_code == 200
    page = client.get(f"/admin/layers/worker/{worker.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()
    # Non-superuser staff edit the rest as before: staff are bound to no street.
    staff.user_permissions.add(Permission.objects.get(codename="change_grid"))
    client.force_login(get_user_model().objects.get(pk=staff.pk))
    grid = walk_world.world.grid
    page = client.get(f"/admin/layers/grid/{grid.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()

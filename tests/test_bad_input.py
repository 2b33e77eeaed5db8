"""Every input gets a working answer or a 4xx naming the problem, and nothing is half-written:
the cases of tests/corpus/bad_input.py, run against the tiny demo city, each with a checksum of
the layer, history and layout tables before and after. Every route of the URLconf must have a
case (a new route fails here until it is given some)."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from django.urls.resolvers import URLResolver

from fixtures.demo_city.load import HISTORY_TABLES, LAYER_TABLES
from layers.models import Building, Community, Grid, Parcel, PlannerStreet, Street
from tests.corpus.bad_input import NUL, Case, admin_cases, hand_cases

WRITTEN_TABLES = [
    *LAYER_TABLES,
    *HISTORY_TABLES,
    "layers_layoutrevision",
    "layers_layoutrevisiongrid",
    "layers_layoutdraft",
]


def routes() -> list[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return list(walk(get_resolver().url_patterns))


def cases() -> list[Case]:
    admin = [r for r in routes() if r.startswith("admin/")]
    return hand_cases() + admin_cases(admin)


CASES = cases()


def test_every_route_has_a_case():
    covered = {c.route for c in CASES}
    missing = sorted(set(routes()) - covered)
    assert not missing, f"routes with no case in tests/corpus/bad_input.py: {missing}"


def test_each_case_names_the_route_its_path_reaches():
    """A case's path resolves to the route it claims (paths a NUL keeps from resolving aside)."""
    wrong = []
    for case in CASES:
        path = case.path.format_map(PLACEHOLDER_SHAPES)
        try:
            route = resolve(path.split("?")[0]).route
        except Resolver404:
            if NUL not in path:
                wrong.append((case.id, "resolves nowhere"))
            continue
        # An included regex pattern is reported without its "^" by ResolverMatch.route.
        if route.replace("^", "") != case.route.replace("^", ""):
            wrong.append((case.id, route))
    assert not wrong


# What the placeholders look like, for resolving paths without a database.
PLACEHOLDER_SHAPES = {
    "community": "420102001001",
    "street": "420102001",
    "district": "420102",
    "grid": "420102001001001",
    "parcel": 1,
    "grid_id": 1,
}


@pytest.fixture(scope="module")
def places(tiny_city, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        community = (
            Community.objects.filter(grids__isnull=False, parcels__isnull=False)
            .select_related("street__district")
            .order_by("code")
            .first()
        )
        grid = Grid.objects.filter(community=community).order_by("code").first()
        parcel = Parcel.objects.filter(community=community).order_by("pk").first()
        assert Building.objects.exists()
        return {
            "community": community.code,
            "street": community.street.code,
            "district": community.street.district.code,
            "grid": grid.code,
            "grid_id": grid.pk,
            "parcel": parcel.pk,
        }


def _filled(value, places: dict):
    """`value` with its {placeholders} filled; "{parcel}" alone becomes the integer id."""
    if isinstance(value, str):
        if value in ("{parcel}", "{grid_id}"):
            return places[value[1:-1]]
        if "{" in value and len(value) < 200:
            return re.sub(r"\{(\w+)\}", lambda m: str(places.get(m[1], m[0])), value)
        return value
    if isinstance(value, list):
        return [_filled(v, places) for v in value]
    if isinstance(value, dict):
        return {
            _filled(k, places) if isinstance(k, str) else k: _filled(v, places)
            for k, v in value.items()
        }
    return value


def checksum() -> list[tuple]:
    """Row count and the sum of the row versions' xmin, per table the corpus must not change.

    Any insert, update or delete that is still visible leaves a row version made by this test's
    transaction (a new xmin) or one row fewer; a write rolled back with its request leaves the old
    versions visible. Cheaper than hashing every row's text (geometries included) twice a case."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(sum(xmin::text::bigint), 0) FROM {t}"
        for t in WRITTEN_TABLES
    )
    with connection.cursor() as cur:
        cur.execute(parts)
        return cur.fetchall()


def _client(role: str, places: dict) -> Client:
    """A client signed in as `role`. Users get no password (hashing one costs more than most
    requests here); force_login needs none."""
    client = Client()
    users = get_user_model().objects
    if role == "staff":
        client.force_login(users.create(username="probe_staff", is_staff=True, is_superuser=True))
    elif role == "planner":
        user = users.create(username="probe_planner")
        user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
        PlannerStreet.objects.create(user=user, street=Street.objects.get(code=places["street"]))
        client.force_login(user)
    return client


def _send(client: Client, case: Case, places: dict):
    path = _filled(case.path, places)
    params = _filled(case.params, places)
    if case.method == "GET":
        return client.get(path, params)
    if params:
        path += "?" + urlencode(params)
    if case.files is not None or case.form is not None:
        data = dict(_filled(case.form or {}, places))  # sent as multipart, as browsers do
        for name, (filename, content) in (case.files or {}).items():
            if len(content) < 10_000:  # small files may name the tiny city's codes
                content = _filled(content.decode(), places).encode()
            data[name] = SimpleUploadedFile(filename, content)
        return client.post(path, data)
    body = case.body
    if body is None:
        data = ""
    elif isinstance(body, str):
        data = body
    else:
        data = json.dumps(_filled(body, places), ensure_ascii=False)
    return client.generic(case.method, path, data.encode(), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, places):
    client = _client(case.role, places)
    before = checksum()
    response = _send(client, case, places)
    expected = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    body = response.content[:300] if not response.streaming else b"(streamed)"
    assert response.status_code < 500, body
    assert response.status_code in expected, body
    if 400 <= response.status_code < 500 and response.get("Content-Type") == "application/json":
        assert response.json()["error"]  # it names the problem
    assert checksum() == before, "a refused or read-only request changed the tables"


# --- import: odd but ordinary files get a report, never a 5xx ----------------------------------


@pytest.mark.django_db
def test_a_polygonz_shapefile_imports_as_2d_with_a_note(tmp_path):
    """An ordinary PolygonZ Shapefile (surveyed heights) is read as 2D, and the report says so."""
    import shapely

    from layers.services.layer_import import layer_import
    from tests import import_corpus
    from tests.factories import hierarchy_make

    hierarchy_make()
    frame = import_corpus.building_frame(3)
    frame.geometry = shapely.force_3d(frame.geometry.values, z=25.0)
    path = import_corpus.shapefile_zip(frame, tmp_path, epsg=import_corpus.GK_CM_114E)
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    assert report.written and report.created == 3
    assert any("3D (Z)" in note for note in report.notes), report.notes
    assert (
        not Building.objects.filter(code__startswith="420199")
        .extra(where=["ST_NDims(geom) <> 2"])
        .exists()
    )


@pytest.mark.django_db
def test_absurd_coordinates_are_a_report_error_naming_the_row(tmp_path):
    """1e30 metres in EPSG:4547 projects to infinity (GEOS could not even repair the outline):
    an error on that row, nothing written."""
    from layers.services.layer_import import layer_import
    from tests.factories import COMMUNITY_CODE, hierarchy_make

    hierarchy_make()
    path = tmp_path / "buildings.csv"
    path.write_text(
        "code,households,wkt\n"
        f'{COMMUNITY_CODE}0001,5,"POLYGON ((1e30 1e30, 2e30 1e30, 2e30 2e30, 1e30 1e30))"\n',
        encoding="utf-8",
    )
    report = layer_import(layer="buildings", path=path, crs="EPSG:4547", dry_run=False)
    assert not report.written
    assert (1, "outside_china") in {(i.row, i.rule) for i in report.errors}, report.as_text()
    assert not Building.objects.filter(code=f"{COMMUNITY_CODE}0001").exists()


@pytest.mark.django_db
def test_a_long_csv_field_is_read_and_one_over_the_bound_named(tmp_path, settings):
    """A WKT outline longer than csv's default 131,072 characters is read; a field over
    GRIDATLAS_CSV_MAX_FIELD_CHARS is a BadRequest naming the line, not a csv.Error."""
    from geo.errors import BadRequest
    from layers.io.readers import source_read

    wkt = "LINESTRING (" + ", ".join(f"114.{i:06d} 30.6" for i in range(12_000)) + ")"
    path = tmp_path / "long.csv"
    path.write_text(f'code,wkt\n1,"{wkt}"\n', encoding="utf-8")
    assert len(wkt) > 131_072
    assert len(source_read(path=path).frame) == 1
    settings.GRIDATLAS_CSV_MAX_FIELD_CHARS = 100_000
    with pytest.raises(BadRequest, match="line 2") as refused:
        source_read(path=path)
    assert "GRIDATLAS_CSV_MAX_FIELD_CHARS" in refused.value.message


def test_a_data_error_that_slips_through_is_a_logged_400(rf, caplog):
    """The safety net: a database DataError from a view is a 400 for the client and an ERROR
    with the traceback in the log (the missing check is a bug to fix, not to hide)."""
    from django.db import DataError

    from geo.errors import DomainErrorMiddleware

    request = rf.get("/api/somewhere?n=1")
    try:
        raise DataError("integer out of range")
    except DataError as exc:
        response = DomainErrorMiddleware(lambda r: None).process_exception(request, exc)
    assert response.status_code == 400
    assert "out of range" in json.loads(response.content)["error"]
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged and logged[0].exc_info and "/api/somewhere" in logged[0].getMessage()


def test_json_body_refuses_depth_nul_and_nan(rf):
    from geo.errors import BadRequest
    from geo.http import json_body

    def body(text: str):
        return json_body(rf.post("/", data=text, content_type="application/json"))

    assert body('{"a": [[1]]}') == {"a": [[1]]}
    for text, words in (
        ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", "nested deeper"),
        ('{"a": ' + "[" * 21 + "]" * 21 + "}", "nested deeper"),
        ('{"a": "x\\u0000"}', "control character"),
        ('{"a\\u0000": 1}', "control character"),
        ('{"a": NaN}', "not JSON"),
        ('{"a": ' + "9" * 5000 + "}", "not JSON"),
    ):
        with pytest.raises(BadRequest, match=words):
            body(text)

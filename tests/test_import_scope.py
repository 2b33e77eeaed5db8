"""Imports keep to the importer's streets (issue 12): a planner of street A cannot rename, move,
enlarge or add anything of street B through /import/ or the import service, a file touching B is
refused whole, the dry run is no oracle, the form's field map never reads a server file, and two
imports of one file at once never duplicate a row.

Two streets side by side (offsets in ~metres, tests.factories):

    street A 420199001 (-2000..0)        | street B 420199002 (0..2000)
      community A (-1000..-600 × 0..200) |   community B (0..400 × 0..200)
      grid A, building A                 |   grid B, building B
"""

import json
import threading

import geopandas as gpd
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection, transaction

from geo.errors import Forbidden
from geo.srid import STORAGE_SRID
from layers.models import (
    Address,
    Building,
    Community,
    District,
    GeomSource,
    Grid,
    PlannerStreet,
    ServiceStation,
    Street,
    Worker,
)
from layers.services.layer_import import layer_import
from tests import import_corpus as corpus
from tests.factories import (
    DISTRICT_CODE,
    box,
    building_make,
    community_make,
    district_make,
    grid_make,
    lonlat,
    parcel_make,
    street_make,
)

B_NAMES = ("乙街道", "乙社区")  # what a planner of A must never read back from B


class Two:
    def __init__(self):
        self.district = district_make()
        self.a = street_make(
            district=self.district, code=DISTRICT_CODE + "001", extent=(-2000, -2000, 0, 2000)
        )
        self.b = street_make(
            district=self.district, code=DISTRICT_CODE + "002", extent=(0, -2000, 2000, 2000)
        )
        Street.objects.filter(pk=self.b.pk).update(name=B_NAMES[0])
        self.ca = community_make(
            street=self.a, code=self.a.code + "001", extent=(-1000, 0, -600, 200)
        )
        self.cb = community_make(street=self.b, code=self.b.code + "001", extent=(0, 0, 400, 200))
        Community.objects.filter(pk=self.cb.pk).update(name=B_NAMES[1])
        self.ga = grid_make(community=self.ca, seq=1)
        parcel_make(community=self.ca, extent=(-1000, 0, -600, 200), grid=self.ga)
        self.gb = grid_make(community=self.cb, seq=1)
        parcel_make(community=self.cb, extent=(0, 0, 400, 200), grid=self.gb)
        self.ba = building_make(
            community=self.ca, seq=1, extent=(-900, 20, -860, 60), households=40
        )
        self.bb = building_make(community=self.cb, seq=1, extent=(20, 20, 60, 60), households=40)

    def snapshot(self) -> dict:
        """Everything of street B (and the district) a refused import must leave as it was."""
        return {
            "district": list(District.objects.values_list("name", "geom")),
            "streets": list(Street.objects.order_by("code").values_list("name", "geom")),
            "communities": list(Community.objects.order_by("code").values_list("name", "geom")),
            "grids": list(Grid.objects.order_by("code").values_list("name", "geom_source", "geom")),
            "buildings": list(Building.objects.order_by("code").values_list("households", "geom")),
            "workers": list(Worker.objects.values_list("name", "phone")),
            "stations": list(ServiceStation.objects.values_list("name", "geom")),
            "addresses": list(Address.objects.values_list("text", "building_id", "geom")),
        }


@pytest.fixture
def two(db):
    return Two()


def planner(two: Two, name="planner_a", *, workers=False):
    user = get_user_model().objects.create_user(name, password="pw-scope-1")
    perms = ["change_parcel"] + (["view_worker"] if workers else [])
    user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    PlannerStreet.objects.create(user=user, street=two.a)
    return get_user_model().objects.get(pk=user.pk)  # fresh: permissions are cached per object


def frame(rows: list[dict], geom=True) -> gpd.GeoDataFrame:
    if not geom:
        return gpd.GeoDataFrame(rows, geometry=[None] * len(rows), crs=f"EPSG:{STORAGE_SRID}")
    return gpd.GeoDataFrame(rows, crs=f"EPSG:{STORAGE_SRID}")


def geojson(tmp_path, name: str, rows: list[dict]):
    return corpus.geojson(frame(rows), tmp_path / f"{name}.geojson")


def csv(tmp_path, name: str, header: list[str], rows: list[list]):
    path = tmp_path / f"{name}.csv"
    lines = [",".join(header)] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def point(x_m, y_m):
    return corpus.shape(box(x_m, y_m, x_m + 1, y_m + 1)).centroid


def refused_rows(report) -> list[tuple]:
    return [(i.row, i.key) for i in report.errors if i.row is not None]


def assert_refused_whole(report, rows: list[int]):
    assert not report.written
    assert {i.rule for i in report.errors} == {"outside_your_streets"}, report.as_text()
    assert [r for r, _ in refused_rows(report)] == rows
    # No comparison was made: nothing is "unchanged" or "would update" for rows out of reach.
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    text = report.as_text()
    assert not any(name in text for name in B_NAMES)


# --- the findings ---------------------------------------------------------------------------------


def test_renaming_another_streets_community_is_refused_on_the_page(client, two, tmp_path):
    before = two.snapshot()
    client.force_login(planner(two))
    path = geojson(
        tmp_path,
        "communities",
        [
            {
                "code": two.cb.code,
                "name": "改名社区",
                "street_code": two.b.code,
                "geometry": corpus.shape(two.cb.geom),
            }
        ],
    )
    with open(path, "rb") as f:
        r = client.post("/import/", {"layer": "communities", "action": "check", "file": f})
    assert r.status_code == 200
    report = r.context["report"]
    assert_refused_whole(report, [1])
    assert refused_rows(report) == [(1, two.cb.code)]
    html = r.content.decode()
    assert 'id="import-confirm"' not in html and B_NAMES[1] not in html
    # Forcing the confirmation with the kept token: the service refuses again.
    r = client.post(
        "/import/", {"layer": "communities", "action": "import", "token": r.context["token"]}
    )
    assert not r.context["report"].written
    assert two.snapshot() == before


def test_districts_and_streets_are_staff_only(client, two, tmp_path):
    before = two.snapshot()
    user = planner(two)
    client.force_login(user)
    bigger = corpus.shape(box(-5000, -5000, 5000, 5000))
    files = {
        "districts": [{"code": DISTRICT_CODE, "name": "改名区", "geometry": bigger}],
        "streets": [
            {
                "code": two.b.code,
                "name": "改名街道",
                "district_code": DISTRICT_CODE,
                "geometry": corpus.shape(two.b.geom),
            }
        ],
    }
    for layer, rows in files.items():
        path = geojson(tmp_path, layer, rows)
        with open(path, "rb") as f:
            r = client.post("/import/", {"layer": layer, "action": "check", "file": f})
        assert r.status_code == 403 and "staff" in r.context["error"]
        with pytest.raises(Forbidden):
            layer_import(layer=layer, path=path, dry_run=False, user=user)
    offered = [key for key, _ in client.get("/import/").context["layers"]]
    assert "districts" not in offered and "streets" not in offered and "grids" in offered
    assert two.snapshot() == before


def test_replacing_another_streets_grid_is_refused(two, tmp_path):
    before = two.snapshot()
    path = geojson(
        tmp_path,
        "grids",
        [
            {
                "code": two.gb.code,
                "name": "新网格",
                "community_code": two.cb.code,
                "geometry": corpus.shape(box(0, 0, 300, 200)),
            }
        ],
    )
    report = layer_import(layer="grids", path=path, dry_run=False, user=planner(two))
    assert_refused_whole(report, [1])
    assert Grid.objects.get(pk=two.gb.pk).geom_source == GeomSource.PARCELS
    assert two.snapshot() == before


def test_households_of_another_street_and_a_mixed_file_are_refused_whole(two, tmp_path):
    before = two.snapshot()
    rows = [
        {  # row 1: a building of A, which the planner may change...
            "code": two.ba.code,
            "name": "A1栋",
            "households": 45,
            "geometry": corpus.shape(two.ba.geom),
        },
        {  # row 2: ...but not one of B, so the whole file is refused
            "code": two.bb.code,
            "name": "B1栋",
            "households": 9999,
            "geometry": corpus.shape(two.bb.geom),
        },
    ]
    report = layer_import(
        layer="buildings", path=geojson(tmp_path, "b", rows), dry_run=False, user=planner(two)
    )
    assert_refused_whole(report, [2])
    assert refused_rows(report) == [(2, two.bb.code)]
    assert two.snapshot() == before  # row 1 was not written either
    # The positive control: the same planner, their own street only, is written.
    user = planner(two, "planner_a2", workers=True)
    report = layer_import(
        layer="buildings", path=geojson(tmp_path, "a", rows[:1]), dry_run=False, user=user
    )
    assert report.written and (report.created, report.updated) == (0, 1), report.as_text()
    assert Building.objects.get(pk=two.ba.pk).households == 45
    path = csv(
        tmp_path,
        "workers",
        ["name", "phone", "role", "grid_code"],
        [["王五", "13700000000", "grid_worker", two.ga.code]],
    )
    report = layer_import(layer="workers", path=path, dry_run=False, user=user)
    assert report.written and report.created == 1, report.as_text()


def test_workers_and_stations_in_another_street_are_refused(two, tmp_path):
    before = two.snapshot()
    user = planner(two, workers=True)
    workers = csv(
        tmp_path,
        "workers",
        ["name", "phone", "role", "grid_code"],
        [["张三", "13800000000", "grid_worker", two.gb.code]],
    )
    assert_refused_whole(layer_import(layer="workers", path=workers, dry_run=False, user=user), [1])

    def station(name, street, x_m):
        rows = [
            {"name": name, "level": "street", "street_code": street, "geometry": point(x_m, 100)}
        ]
        return geojson(tmp_path, name, rows)

    # B's street code; then A's code on a point lying in B: where it lies counts too.
    for path in (station("乙驿站", two.b.code, 100), station("甲驿站", two.a.code, 100)):
        report = layer_import(layer="stations", path=path, dry_run=False, user=user)
        assert_refused_whole(report, [1])
    assert two.snapshot() == before
    # The positive control: A's code, a point in A.
    report = layer_import(
        layer="stations", path=station("甲中心", two.a.code, -800), dry_run=False, user=user
    )
    assert report.written and report.created == 1, report.as_text()


def test_the_feature_replaced_counts_where_it_was(two, tmp_path):
    """An address of B, re-imported onto a building of A at a point in A: its old place is B."""
    where = Point(*lonlat(40, 40), srid=STORAGE_SRID)
    Address.objects.create(text="乙路1号", normalized="乙路1号", building=two.bb, geom=where)
    before = two.snapshot()
    rows = [{"text": "乙路1号", "building_code": two.ba.code, "geometry": point(-880, 40)}]
    report = layer_import(
        layer="addresses", path=geojson(tmp_path, "a", rows), dry_run=False, user=planner(two)
    )
    assert_refused_whole(report, [1])
    assert two.snapshot() == before


def test_workers_need_view_worker_before_the_file_is_read(two, tmp_path):
    # No file at all: the refusal comes before reading, so nothing in a file is compared.
    with pytest.raises(Forbidden, match="view_worker"):
        layer_import(layer="workers", path=tmp_path / "none.csv", user=planner(two))


def test_the_dry_run_is_no_oracle(two, tmp_path):
    """A right and a wrong guess of B's worker's phone give the same answer."""
    Worker.objects.create(name="李四", phone="13900000001", role="grid_worker", grid=two.gb)
    user = planner(two, workers=True)
    answers = []
    for phone in ("13900000001", "13900000002"):
        path = csv(
            tmp_path,
            f"w{phone}",
            ["name", "phone", "role", "grid_code"],
            [["李四", phone, "grid_worker", two.gb.code]],
        )
        report = layer_import(layer="workers", path=path, dry_run=True, user=user)
        assert_refused_whole(report, [1])
        answers.append([(i.row, i.key, i.rule, i.message) for i in report.issues])
    assert answers[0] == answers[1]


def test_anonymous_or_none_is_never_the_system(two, tmp_path):
    from django.contrib.auth.models import AnonymousUser

    path = geojson(
        tmp_path,
        "b",
        [
            {
                "code": two.ba.code,
                "name": "x",
                "households": 1,
                "geometry": corpus.shape(two.ba.geom),
            }
        ],
    )
    for user in (None, AnonymousUser()):
        with pytest.raises(Forbidden, match="sign in"):
            layer_import(layer="buildings", path=path, dry_run=False, user=user)


# --- field map ------------------------------------------------------------------------------------


def test_the_form_never_reads_a_field_map_file(client, two, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text("TOPSECRET-LINE", encoding="utf-8")
    client.force_login(planner(two))
    path = geojson(
        tmp_path,
        "b",
        [
            {
                "code": two.ba.code,
                "name": "x",
                "households": 1,
                "geometry": corpus.shape(two.ba.geom),
            }
        ],
    )
    for field_map in (str(secret), "/etc/passwd"):
        with open(path, "rb") as f:
            r = client.post(
                "/import/",
                {"layer": "buildings", "action": "check", "file": f, "field_map": field_map},
            )
        assert r.status_code == 400
        assert "inline" in r.context["error"]
        assert "TOPSECRET" not in r.content.decode() and "root:" not in r.content.decode()
    # The command line, run by the operator, still reads a mapping file they name.
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"BM": "code", "MC": "name", "HS": "households"}), "utf-8")
    rows = [{"BM": two.bb.code, "MC": "B1栋", "HS": 41, "geometry": corpus.shape(two.bb.geom)}]
    path = geojson(tmp_path, "mapped", rows)
    call_command("import_layer", "buildings", str(path), "--field-map", str(mapping), verbosity=0)
    assert Building.objects.get(pk=two.bb.pk).households == 41  # the operator: every street


# --- concurrency ----------------------------------------------------------------------------------

# How long the first import keeps its transaction open for the second to run in (seconds). With
# the lock the second waits for the commit, so the first always waits this long; without it the
# second runs at once and the first stops waiting. Not a timing assert: either way is awaited.
OPEN_TRANSACTION_S = 2


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_never_duplicate(tmp_path):
    """Two imports of the same one-row workers file, each in a thread with its own connection:
    the second starts while the first's transaction is still open, as when two upload requests
    overlap (ATOMIC_REQUESTS commits after the page is rendered). The workers table has no
    unique key to stop a second insert: only the import's lock does."""
    two = Two()
    path = csv(
        tmp_path,
        "w",
        ["name", "phone", "role", "grid_code"],
        [["赵一", "13600000000", "grid_worker", two.ga.code]],
    )
    imported, second_done = threading.Event(), threading.Event()
    reports, failures = {}, []

    def first():
        try:
            with transaction.atomic():
                reports["first"] = layer_import(layer="workers", path=path, dry_run=False)
                imported.set()
                second_done.wait(timeout=OPEN_TRANSACTION_S)
        except Exception as exc:  # reported below: a thread must not hide its failure
            failures.append(exc)
        finally:
            imported.set()
            connection.close()

    def second():
        try:
            imported.wait(timeout=60)
            reports["second"] = layer_import(layer="workers", path=path, dry_run=False)
        except Exception as exc:
            failures.append(exc)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert Worker.objects.filter(name="赵一").count() == 1
    counts = {k: (r.created, r.updated, r.unchanged) for k, r in reports.items()}
    assert counts == {"first": (1, 0, 0), "second": (0, 0, 1)}
    # And a changed row says so: 1 updated.
    path = csv(
        tmp_path,
        "changed",
        ["name", "phone", "role", "grid_code"],
        [["赵一", "13600000009", "grid_worker", two.ga.code]],
    )
    report = layer_import(layer="workers", path=path, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)

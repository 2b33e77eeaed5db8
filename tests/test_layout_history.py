"""Versions of a community's layout, on the tiny demo city: every publish stores snapshots
(grid polygons and totals, building→grid) and the first one a baseline; the diff between two
revisions counts what moved, from the snapshots; a revert publishes a new revision equal to an
old one, even after a parcel was cut in two since."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from layers.models import (
    Building,
    Grid,
    LayoutRevision,
    LayoutRevisionGrid,
    Parcel,
    Street,
)
from layers.services.layouts import BASELINE_DATE
from tests.demo_city_support import planner_make
from tests.test_layout_commit import commit, neighbour_move

# Their publishes are dated 2027: on a later day they take effect at once.
pytestmark = pytest.mark.usefixtures("clock_2028")


@pytest.fixture
def planner(client):
    user = planner_make("versions", streets=Street.objects.all())
    client.force_login(user)
    return user


def area_m2(parcel_id: int) -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Area(geom::geography) FROM layers_parcel WHERE id = %s", [parcel_id])
        return cur.fetchone()[0]


def publish_move(client):
    parcel_id, code, grid_code, micro_code = neighbour_move()
    parcel = Parcel.objects.select_related("grid").get(pk=parcel_id)
    r = commit(
        client,
        code,
        base_revision=0,
        moves=[{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}],
        effective_date="2027-03-01",
        band_reason="测试",
    )
    assert r.status_code == 201, r.content
    return parcel, code, grid_code


@pytest.mark.django_db
def test_publish_stores_a_baseline_and_immutable_snapshots(client, tiny_city, planner):
    parcel, code, grid_code = publish_move(client)
    base = LayoutRevision.objects.get(community__code=code, number=0)
    assert base.baseline and base.effective_date == BASELINE_DATE
    assert base.assignment[str(parcel.pk)][0] == parcel.grid.code
    grids_now = Grid.objects.filter(community__code=code).count()
    assert base.units.filter(level="grid").count() == grids_now
    snap = base.units.get(level="grid", code=parcel.grid.code)
    assert snap.households == parcel.grid.households and snap.geom is not None
    one = LayoutRevision.objects.get(community__code=code, number=1)
    assert one.units.get(level="grid", code=grid_code).households == (
        Grid.objects.get(code=grid_code).households
    )
    building = Building.objects.filter(parcel=parcel).first()
    if building is not None:
        assert base.buildings[str(building.pk)] == [parcel.grid.code, building.households]
        assert one.buildings[str(building.pk)][0] == grid_code
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        LayoutRevisionGrid.objects.filter(pk=snap.pk).update(households=0)


@pytest.mark.django_db
def test_diff_counts_what_one_move_carried(client, tiny_city, planner):
    parcel, code, grid_code = publish_move(client)
    r = client.get(f"/api/edit/communities/{code}/revisions/0/diff/1")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["from"], body["to"]) == (0, 1)
    grids = {g["code"]: g for g in body["grids"]}
    source = grids[parcel.grid.code]
    assert source["households_from"] - source["households_to"] == parcel.households
    assert source["buildings_from"] - source["buildings_to"] == parcel.building_count
    assert source["area_m2_lost"] == pytest.approx(area_m2(parcel.pk), abs=1)
    assert source["area_m2_gained"] == pytest.approx(0, abs=1)
    target = grids[grid_code]
    assert target["households_to"] - target["households_from"] == parcel.households
    assert target["area_m2_gained"] == pytest.approx(area_m2(parcel.pk), abs=1)
    untouched = [g for c, g in grids.items() if c not in (parcel.grid.code, grid_code)]
    assert all(g["households_from"] == g["households_to"] for g in untouched)
    assert body["moved"]["type"] == "FeatureCollection"
    [feature] = body["moved"]["features"]
    props = feature["properties"]
    assert (props["from_grid"], props["to_grid"]) == (parcel.grid.code, grid_code)
    assert props["buildings"] == parcel.building_count
    assert props["households"] == parcel.households
    assert props["area_m2"] == pytest.approx(area_m2(parcel.pk), abs=1)
    assert feature["geometry"]["type"] == "MultiPolygon"
    # The reverse diff mirrors it.
    back = client.get(f"/api/edit/communities/{code}/revisions/1/diff/0").json()
    [rev_feature] = back["moved"]["features"]
    assert rev_feature["properties"]["from_grid"] == grid_code
    assert client.get(f"/api/edit/communities/{code}/revisions/0/diff/9").status_code == 404


def cut(parcel: Parcel) -> Parcel:
    """Cut a parcel in two as the cut-line service does: the west half keeps the id, the east
    half is a new parcel of the same grid."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT ST_AsEWKT(ST_ClipByBox2D(geom, ST_MakeEnvelope(
                        ST_XMin(geom), ST_YMin(geom), (ST_XMin(geom) + ST_XMax(geom)) / 2,
                        ST_YMax(geom), 4326))),
                      ST_AsEWKT(ST_ClipByBox2D(geom, ST_MakeEnvelope(
                        (ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMin(geom), ST_XMax(geom),
                        ST_YMax(geom), 4326)))
                 FROM layers_parcel WHERE id = %s""",
            [parcel.pk],
        )
        west, east = cur.fetchone()
        cur.execute(
            "UPDATE layers_parcel SET geom = ST_GeometryN(ST_Multi(%s::geometry), 1) WHERE id = %s",
            [west, parcel.pk],
        )
        cur.execute(
            """INSERT INTO layers_parcel (community_id, grid_id, micro_grid_id, geom, households,
                                          building_count, created_at, updated_at)
               VALUES (%s, %s, %s, ST_GeometryN(ST_Multi(%s::geometry), 1), 0, 0, now(), now())
               RETURNING id""",
            [parcel.community_id, parcel.grid_id, parcel.micro_grid_id, east],
        )
        new_id = cur.fetchone()[0]
    return Parcel.objects.get(pk=new_id)


@pytest.mark.django_db
def test_revert_restores_an_old_layout_after_a_cut(client, tiny_city, planner):
    parcel, code, grid_code = publish_move(client)
    source_code = parcel.grid.code
    piece = cut(Parcel.objects.get(pk=parcel.pk))  # after revision 1: both halves in grid_code
    assert piece.grid.code == grid_code
    url = f"/api/edit/communities/{code}/revisions/0/revert"
    body = {"base_revision": 1, "effective_date": "2027-04-01", "reason": "撤销调整"}
    r = client.post(url, data=json.dumps({**body, "reason": ""}), content_type="application/json")
    assert r.status_code == 400 and "why" in r.json()["error"]
    r = client.post(url, data=json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["revision"] == 2
    # The old parcel is back by its id; the new piece by where it lies in revision 0's grids.
    assert Parcel.objects.get(pk=parcel.pk).grid.code == source_code
    assert Parcel.objects.get(pk=piece.pk).grid.code == source_code
    two = LayoutRevision.objects.get(community__code=code, number=2)
    assert "revert to revision 0" in two.reason and sorted(two.changed_parcels) == sorted(
        [parcel.pk, piece.pk]
    )
    zero = LayoutRevision.objects.get(community__code=code, number=0)
    for snap in zero.units.filter(level="grid"):
        again = two.units.get(level="grid", code=snap.code)
        assert again.households == snap.households
    # Reverting again to what is live is nothing to do; a stale base is a 409.
    r = client.post(
        url, data=json.dumps({**body, "base_revision": 2}), content_type="application/json"
    )
    assert r.status_code == 400 and "already equals" in r.json()["error"]
    r = client.post(
        f"/api/edit/communities/{code}/revisions/1/revert",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 409, r.content

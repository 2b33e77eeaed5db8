"""Committing a community's layout through the editing API, on the tiny demo city: a move is
published as a new revision with re-derived totals; a stale base revision is a 409 with what
changed; a rule violation is a 422 and writes nothing; band violations need a reason; planners
only; revisions are immutable."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction

from layers.models import Community, Grid, LayoutRevision, Parcel, PlannerStreet, Street
from tests.demo_city_support import planner_make


@pytest.fixture
def planner(client):
    # Planners edit the streets assigned to them: this one has every street of the tiny city.
    user = planner_make("planner1", streets=Street.objects.all())
    client.force_login(user)
    return user


def neighbour_move():
    """A parcel of one grid beside a parcel of another grid of its community, and the micro-grid
    of that neighbour (the parcel goes there, so micro-grids still tile their grid)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT a.id, c.code, g.code, m.code
                 FROM layers_parcel a
                 JOIN layers_parcel b ON b.community_id = a.community_id
                      AND b.grid_id <> a.grid_id AND a.geom && b.geom
                      AND ST_Relate(a.geom, b.geom, 'F***1****')
                 JOIN layers_grid g ON g.id = b.grid_id
                 JOIN layers_microgrid m ON m.id = b.micro_grid_id
                 JOIN layers_community c ON c.id = a.community_id
                ORDER BY a.households DESC, a.id LIMIT 1"""
        )
        return cur.fetchone()


def commit(client, code, **body):
    return client.post(
        f"/api/edit/communities/{code}/commit",
        data=json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.django_db
def test_a_move_is_published_as_a_revision(client, tiny_city, planner):
    parcel_id, community, grid_code, micro_code = neighbour_move()
    parcel = Parcel.objects.select_related("grid").get(pk=parcel_id)
    before_from, before_to = parcel.grid.households, Grid.objects.get(code=grid_code).households
    layout = client.get(f"/api/edit/communities/{community}/layout").json()
    assert layout["revision"] == 0
    assert len(layout["parcels"]) == Parcel.objects.filter(community__code=community).count()
    r = commit(
        client,
        community,
        base_revision=0,
        moves=[{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}],
        effective_date="2026-12-01",
        band_reason="测试：边界微调",  # accepted if the move leaves a grid out of band
    )
    assert r.status_code == 201, r.content
    assert r.json()["revision"] == 1
    # The derivation triggers moved the households with the parcel.
    moved = Parcel.objects.get(pk=parcel_id)
    assert moved.grid.code == grid_code
    assert parcel.grid.__class__.objects.get(pk=parcel.grid_id).households == (
        before_from - parcel.households
    )
    assert Grid.objects.get(code=grid_code).households == before_to + parcel.households
    rev = LayoutRevision.objects.get(community__code=community, number=1)
    assert rev.author == planner and rev.changed_parcels == [parcel_id]
    assert rev.assignment[str(parcel_id)] == [grid_code, micro_code]
    listed = client.get(f"/api/edit/communities/{community}/revisions").json()["revisions"]
    # The first publish recorded the layout before it as revision 0, the baseline.
    assert [(x["number"], x["baseline"]) for x in listed] == [(1, False), (0, True)]

    # A second edit based on revision 0 is stale: 409 with what changed, nothing written.
    r = commit(client, community, base_revision=0, moves=[{"parcel": parcel_id, "grid": None}])
    assert r.status_code == 409, r.content
    body = r.json()
    assert body["current_revision"] == 1
    assert body["changed_since"][0]["changed_parcels"] == [parcel_id]
    assert Parcel.objects.get(pk=parcel_id).grid.code == grid_code

    # Revisions are history: the database refuses to change one.
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        LayoutRevision.objects.filter(pk=rev.pk).update(reason="rewritten")


@pytest.mark.django_db
def test_a_gap_is_a_422_and_nothing_is_written(client, tiny_city, planner):
    parcel_id, community, _, _ = neighbour_move()
    grid_before = Parcel.objects.get(pk=parcel_id).grid_id
    r = commit(client, community, base_revision=0, moves=[{"parcel": parcel_id, "grid": None}])
    assert r.status_code == 422, r.content
    rules = {v["rule"] for v in r.json()["violations"]}
    assert "gap" in rules
    assert Parcel.objects.get(pk=parcel_id).grid_id == grid_before
    assert not LayoutRevision.objects.filter(community__code=community).exists()


@pytest.mark.django_db
def test_a_grid_out_of_band_needs_a_reason(client, tiny_city, planner):
    # Move every parcel of one grid into its neighbour: one grid empty, one over the band.
    parcel_id, community, grid_code, micro_code = neighbour_move()
    source = Parcel.objects.get(pk=parcel_id).grid
    moves = [
        {"parcel": pk, "grid": grid_code, "microgrid": micro_code}
        for pk in Parcel.objects.filter(grid=source).values_list("pk", flat=True)
    ]
    r = commit(client, community, base_revision=0, moves=moves)
    assert r.status_code == 422, r.content
    assert {v["rule"] for v in r.json()["violations"]} == {"load_band"}
    assert Parcel.objects.filter(grid=source).count() == len(moves)  # rolled back
    r = commit(client, community, base_revision=0, moves=moves, band_reason="合并网格，待重新划分")
    assert r.status_code == 201, r.content
    assert LayoutRevision.objects.get(community__code=community, number=1).reason == (
        "合并网格，待重新划分"
    )


@pytest.mark.django_db
def test_only_planners_and_only_sound_requests(client, tiny_city):
    community = Community.objects.order_by("code").first()
    parcel = Parcel.objects.filter(community=community).first()
    move = [{"parcel": parcel.pk, "grid": parcel.grid.code}]
    assert commit(client, community.code, base_revision=0, moves=move).status_code == 403
    user = get_user_model().objects.create_user("viewer", password="pw-view-1")
    client.force_login(user)
    assert commit(client, community.code, base_revision=0, moves=move).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    client.force_login(get_user_model().objects.get(pk=user.pk))
    r = commit(client, community.code, base_revision=0, moves=move)
    assert r.status_code == 403 and community.street.code in r.json()["error"]
    PlannerStreet.objects.create(user=user, street=community.street)
    other = Parcel.objects.exclude(community=community).first()
    cases = [
        ({"base_revision": 0, "moves": [{"parcel": other.pk, "grid": None}]}, "not in community"),
        ({"base_revision": 0, "moves": [{"parcel": parcel.pk, "grid": "9" * 15}]}, "no grid"),
        ({"base_revision": "x", "moves": move}, "base_revision"),
        ({"base_revision": 0, "moves": []}, "nothing to commit"),
        ({"base_revision": 0, "moves": move, "effective_date": "soon"}, "YYYY-MM-DD"),
    ]
    for body, message in cases:
        r = commit(client, community.code, **body)
        assert r.status_code == 400 and message in r.json()["error"], (body, r.content)
    r = client.post(
        f"/api/edit/communities/{community.code}/commit", data="{", content_type="application/json"
    )
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    assert client.get("/api/edit/communities/999999999999/layout").status_code == 404

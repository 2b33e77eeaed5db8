"""Drafts and publishing through the editing API, on the tiny demo city: a draft is saved with its
violations and checked in a savepoint that leaves the database as it was (tile cache and epoch
included); publish refuses a violating or stale draft and keeps it; a published draft is gone;
planners write only in their streets; grids are created and emptied by a commit, codes are never
reused; every publish is in pghistory's context."""

import json

import psycopg
import pytest
from django.apps import apps
from django.db import connection

from layers.models import Grid, LayoutDraft, LayoutRevision, MicroGrid, Parcel
from tests.demo_city_support import planner_make
from tests.test_layout_commit import commit, neighbour_move

# Their publishes are dated 2027: on a later day they take effect at once.
pytestmark = pytest.mark.usefixtures("clock_2028")


@pytest.fixture
def move():
    """(parcel id, community code, target grid code, target micro-grid code)."""
    return neighbour_move()


def planner_login(client, name: str, community_code: str | None, *, staff=False):
    streets = []
    if community_code:
        streets = [Grid.objects.filter(community__code=community_code).first().community.street]
    user = planner_make(name, streets=streets, staff=staff)
    client.force_login(user)
    return user


def put_draft(client, code, **body):
    return client.put(
        f"/api/edit/communities/{code}/draft",
        data=json.dumps(body),
        content_type="application/json",
    )


def publish(client, code, **body):
    return client.post(
        f"/api/edit/communities/{code}/publish",
        data=json.dumps(body),
        content_type="application/json",
    )


def db_state(community_code):
    """Everything a draft check must leave as it was."""
    with connection.cursor() as cur:
        cur.execute("SELECT epoch FROM tiles_epoch")
        epoch = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM tiles_cache")
        cached = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM layers_parcelevent")
        parcel_events = cur.fetchone()[0]
    return {
        "parcels": sorted(
            Parcel.objects.filter(community__code=community_code).values_list(
                "pk", "grid_id", "micro_grid_id"
            )
        ),
        "grids": sorted(
            Grid.objects.filter(community__code=community_code).values_list(
                "code", "households", "building_count"
            )
        ),
        "microgrids": MicroGrid.objects.filter(grid__community__code=community_code).count(),
        "revisions": LayoutRevision.objects.count(),
        "epoch": epoch,
        "cached": cached,
        "parcel_events": parcel_events,
    }


def cache_a_tile():
    # z0 tile 0/0/0 covers every edit: a purge that leaked out of the savepoint would delete it.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO tiles_cache (layer, z, x, y, data, etag) "
            "VALUES ('grids', 0, 0, 0, '\\x00', 'e0'), ('all', 0, 0, 0, '\\x00', 'e1')"
        )


@pytest.mark.django_db
def test_a_draft_is_saved_checked_and_leaves_the_layout_alone(client, tiny_city, move):
    parcel_id, code, grid_code, micro_code = move
    planner_login(client, "drafter", code)
    empty = client.get(f"/api/edit/communities/{code}/draft").json()
    assert empty == {"base_revision": None, "moves": [], "new_grids": [], "updated_at": None}
    cache_a_tile()
    before = db_state(code)
    moved = Parcel.objects.get(pk=parcel_id)
    source = moved.grid
    # Leaving the parcel without a grid opens a gap: a draft may hold it.
    r = put_draft(client, code, base_revision=0, moves=[{"parcel": parcel_id, "grid": None}])
    assert r.status_code == 200, r.content
    check = r.json()["check"]
    assert "gap" in {v["rule"] for v in check["violations"]}
    gap = next(v for v in check["violations"] if v["rule"] == "gap")
    assert gap["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # The check saw the source grid without the parcel …
    checked = {g["code"]: g for g in check["grids"]}
    assert checked[source.code]["households"] == source.households - moved.households
    assert set(checked[source.code]) >= {"buildings", "load", "contiguous", "name"}
    # … and nothing of it is left: layout, totals, history, tile cache, epoch.
    assert db_state(code) == before
    got = client.get(f"/api/edit/communities/{code}/draft").json()
    assert got["base_revision"] == 0
    assert got["moves"] == [{"parcel": parcel_id, "grid": None, "microgrid": None}]
    assert got["new_grids"] == [] and got["updated_at"]
    # Saving again replaces it (one draft per community and author).
    move_body = [{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}]
    r = put_draft(client, code, base_revision=0, moves=move_body)
    assert r.status_code == 200 and "gap" not in {
        v["rule"] for v in r.json()["check"]["violations"]
    }
    assert LayoutDraft.objects.filter(community__code=code).count() == 1
    assert client.delete(f"/api/edit/communities/{code}/draft").status_code == 204
    assert client.get(f"/api/edit/communities/{code}/draft").json()["moves"] == []
    assert client.delete(f"/api/edit/communities/{code}/draft").status_code == 204
    assert publish(client, code, effective_date="2027-01-01").status_code == 404


def test_notify_from_a_rolled_back_savepoint_never_arrives(django_db_blocker):
    """What the draft check relies on: the tile epoch's NOTIFY queued in a savepoint that is
    rolled back is dropped, while a committed one is delivered."""
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as listener, psycopg.connect(**params) as db:
        listener.execute("LISTEN gridatlas_tiles")
        with db.transaction():
            with pytest.raises(RuntimeError), db.transaction():
                db.execute("UPDATE tiles_epoch SET epoch = epoch + 1")
                raise RuntimeError("roll the savepoint back")
        listener.execute("SELECT 1")
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        with db.transaction():
            db.execute("UPDATE tiles_epoch SET epoch = epoch + 1")
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1


@pytest.mark.django_db
def test_publish_refuses_a_violating_draft_and_keeps_it(client, tiny_city, move):
    parcel_id, code, _, _ = move
    planner_login(client, "publisher", code)
    put_draft(client, code, base_revision=0, moves=[{"parcel": parcel_id, "grid": None}])
    grid_before = Parcel.objects.get(pk=parcel_id).grid_id
    r = publish(client, code, effective_date="2027-01-01")
    assert r.status_code == 422, r.content
    assert "gap" in {v["rule"] for v in r.json()["violations"]}
    assert Parcel.objects.get(pk=parcel_id).grid_id == grid_before
    assert not LayoutRevision.objects.filter(community__code=code).exists()
    assert LayoutDraft.objects.filter(community__code=code).exists()
    assert publish(client, code).status_code == 400  # effective_date is required


@pytest.mark.django_db
def test_a_stale_draft_is_a_409_and_a_fresh_one_publishes(client, tiny_city, move):
    parcel_id, code, grid_code, micro_code = move
    user = planner_login(client, "publisher2", code)
    body = [{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}]
    put_draft(client, code, base_revision=0, moves=body)
    # Someone else publishes first.
    r = commit(client, code, base_revision=0, moves=body, band_reason="先行调整")
    assert r.status_code == 201, r.content
    r = publish(client, code, effective_date="2027-01-01", band_reason="调整")
    assert r.status_code == 409, r.content
    assert r.json()["current_revision"] == 1
    assert r.json()["changed_since"][0]["changed_parcels"] == [parcel_id]
    assert LayoutDraft.objects.filter(community__code=code, author=user).exists()
    # Rebased on revision 1 (moving the parcel back), it publishes and the draft is gone. Its
    # micro-grid may have been emptied and retired: without one named, it gets a new one.
    back = Parcel.objects.get(pk=parcel_id)
    assert back.grid.code == grid_code
    source = LayoutRevision.objects.get(community__code=code, number=0).assignment[str(parcel_id)]
    r = put_draft(client, code, base_revision=1, moves=[{"parcel": parcel_id, "grid": source[0]}])
    assert r.status_code == 200, r.content
    r = publish(client, code, effective_date="2027-02-01", band_reason="恢复")
    assert r.status_code == 201, r.content
    assert r.json()["revision"] == 2 and r.json()["effective_date"] == "2027-02-01"
    assert {"code", "households", "contiguous"} <= set(r.json()["grids"][0])
    assert not LayoutDraft.objects.filter(community__code=code, author=user).exists()
    assert Parcel.objects.get(pk=parcel_id).grid.code == source[0]


@pytest.mark.django_db
def test_planners_write_only_in_their_streets(client, tiny_city, move):
    parcel_id, code, grid_code, micro_code = move
    body = [{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}]
    layout = client.get(f"/api/edit/communities/{code}/layout").json()
    assert layout["editable"] is False  # anonymous: reads only
    assert put_draft(client, code, base_revision=0, moves=body).status_code == 403
    assert publish(client, code, effective_date="2027-01-01").status_code == 403
    planner_login(client, "elsewhere", None)
    r = put_draft(client, code, base_revision=0, moves=body)
    assert r.status_code == 403
    street = Grid.objects.get(code=grid_code).community.street
    assert street.code in r.json()["error"] and street.name in r.json()["error"]
    assert client.get(f"/api/edit/communities/{code}/layout").json()["editable"] is False
    assert commit(client, code, base_revision=0, moves=body).status_code == 403
    planner_login(client, "assigned", code)
    assert client.get(f"/api/edit/communities/{code}/layout").json()["editable"] is True
    assert put_draft(client, code, base_revision=0, moves=body).status_code == 200
    planner_login(client, "chief", None, staff=True)  # staff with the permission: everywhere
    assert client.get(f"/api/edit/communities/{code}/layout").json()["editable"] is True


def grid_events(code):
    return apps.get_model("layers", "GridEvent").objects.filter(code=code)


@pytest.mark.django_db
def test_merge_into_one_grid_then_split_into_a_new_one(client, tiny_city, move):
    """Merging a grid into its neighbour deletes it (its code retired, its micro-grids carried
    along under new codes); a new grid takes the next never-used code."""
    parcel_id, code, grid_code, _ = move
    planner_login(client, "merger", code)
    source = Parcel.objects.get(pk=parcel_id).grid
    source_code, source_parcels = source.code, list(source.parcels.values_list("pk", flat=True))
    source_micros = source.microgrids.count()
    micros_before = Grid.objects.get(code=grid_code).microgrids.count()
    moves = [{"parcel": pk, "grid": grid_code, "microgrid": None} for pk in source_parcels]
    put_draft(client, code, base_revision=0, moves=moves)
    r = publish(client, code, effective_date="2027-01-01", band_reason="合并网格")
    assert r.status_code == 201, r.content
    assert not Grid.objects.filter(code=source_code).exists()
    assert grid_events(source_code).filter(pgh_label="delete").exists()
    target = Grid.objects.get(code=grid_code)
    assert target.microgrids.count() == micros_before + source_micros
    assert not Parcel.objects.filter(grid=target, micro_grid=None).exists()
    layout = client.get(f"/api/edit/communities/{code}/layout").json()
    highest = max(
        int(c[-3:])
        for c in Grid.objects.filter(community__code=code).values_list("code", flat=True)
    )
    nxt = layout["next_grid_code"]
    assert int(nxt[-3:]) > max(highest, int(source_code[-3:]))
    # The retired code is refused; the next one makes a new grid with a micro-grid.
    split = [{"parcel": source_parcels[0], "grid": source_code, "microgrid": None}]
    r = commit(
        client,
        code,
        base_revision=1,
        moves=split,
        new_grids=[{"code": source_code, "name": "旧网格"}],
        band_reason="拆分",
    )
    assert r.status_code == 400 and "used before" in r.json()["error"], r.content
    split[0]["grid"] = nxt
    r = commit(
        client,
        code,
        base_revision=1,
        moves=split,
        new_grids=[{"code": nxt, "name": "新网格"}],
        band_reason="拆分",
    )
    assert r.status_code == 201, r.content
    created = Grid.objects.get(code=nxt)
    assert (
        created.name == "新网格"
        and created.households == Parcel.objects.get(pk=source_parcels[0]).households
    )
    assert created.microgrids.count() == 1


@pytest.mark.django_db
def test_history_says_which_publish_made_a_change(client, tiny_city, move):
    parcel_id, code, grid_code, micro_code = move
    user = planner_login(client, "historian", code)
    body = [{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}]
    put_draft(client, code, base_revision=0, moves=body)
    r = publish(client, code, effective_date="2027-05-01", band_reason="记录")
    assert r.status_code == 201, r.content
    event = (
        apps.get_model("layers", "ParcelEvent")
        .objects.filter(pgh_obj_id=parcel_id, pgh_label="update")
        .select_related("pgh_context")
        .latest("pgh_id")
    )
    meta = event.pgh_context.metadata
    assert meta["layout_revision"] == 1 and meta["effective_date"] == "2027-05-01"
    assert meta["community"] == code and meta["author"] == user.username
    grid_event = grid_events(grid_code).filter(pgh_label="update").latest("pgh_id")
    assert grid_event.pgh_context.metadata["layout_revision"] == 1

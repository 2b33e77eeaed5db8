"""The editor's compute-only endpoints on a crafted community: proposals (grids and micro-grids),
"rebalance these two neighbours" and "assign the unassigned" — their JSON shapes, that nothing is
saved, and the errors (400 / 403 / 404).

The community (0..400 × 0..200 m) is a lattice of 8 × 4 parcels of 50 m, each holding one
building of 40 households. Columns, west to east: grid 001 = column 0 (160 households, under the
band), grid 002 = columns 1–5 (800, over it), grid 003 = column 6 (160), column 7 unassigned.
"""

import json

import networkx as nx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from geo.srid import STORAGE_SRID
from layers.models import Grid, Parcel
from tests.factories import (
    building_make,
    community_make,
    grid_make,
    hierarchy_make,
    parcel_make,
)

# Every test runs in its own transaction (a savepoint inside the module's, below), so what one
# writes is gone before the next.
pytestmark = pytest.mark.django_db

SIDE_M, COLUMNS, ROWS, HOUSEHOLDS = 50, 8, 4, 40
GRID_OF_COLUMN = {0: 1, 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 3}


class World:
    def __init__(self):
        self.community = hierarchy_make()
        c = self.community
        self.grids = {n: grid_make(community=c, seq=n) for n in (1, 2, 3)}
        self.code = {n: g.code for n, g in self.grids.items()}
        self.parcel = {}  # (column, row) -> parcel id
        for col in range(COLUMNS):
            for row in range(ROWS):
                x, y = col * SIDE_M, row * SIDE_M
                grid = self.grids.get(GRID_OF_COLUMN.get(col))
                p = parcel_make(community=c, extent=(x, y, x + SIDE_M, y + SIDE_M), grid=grid)
                self.parcel[col, row] = p.pk
                building_make(
                    community=c,
                    seq=col * ROWS + row + 1,
                    extent=(x + 20, y + 20, x + 30, y + 30),
                    households=HOUSEHOLDS,
                )
        self.column = {pid: col for (col, _), pid in self.parcel.items()}

    def graph(self) -> nx.Graph:
        g = nx.Graph()
        for (col, row), pid in self.parcel.items():
            for dc, dr in ((1, 0), (0, 1)):
                other = self.parcel.get((col + dc, row + dr))
                if other:
                    g.add_edge(pid, other)
        return g


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module in a transaction rolled back at its end, as TestCase's
    setUpTestData does: each test's own transaction is a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def proposer(world):
    """Staff with the planner permission (proposals are for those who may edit the layout), made
    once: its password hash alone cost ~0.4 s a test. No password: tests sign in by force_login."""
    user = get_user_model().objects.create_user("proposer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    return user


@pytest.fixture
def signed_in(client, proposer):
    client.force_login(proposer)
    return client


def post(client, code, action, **body):
    return client.post(
        f"/api/edit/communities/{code}/{action}",
        data=json.dumps(body),
        content_type="application/json",
    )


def live_grids() -> dict[int, int | None]:
    return dict(Parcel.objects.values_list("id", "grid_id"))


# --- proposals -----------------------------------------------------------------------------------


def test_a_grid_proposal_has_the_documented_shape_and_saves_nothing(world, signed_in):
    before = live_grids()
    r = post(signed_in, world.community.code, "propose", kind="grids", alternatives=2, seed=1)
    assert r.status_code == 200, r.content
    body = r.json()
    assert 1 <= len(body["alternatives"]) <= 2
    best = body["alternatives"][0]
    assert best["rank"] == 1 and isinstance(best["score"], float)
    assert set(best["metrics"]) >= {"groups", "groups_in_band", "max_deviation", "contiguous"}
    # 1,280 households: three grids of 300–500 fit, and the lattice lets them be drawn.
    assert best["metrics"]["groups_in_band"] == best["metrics"]["groups"] == 3
    ids = sorted(pid for g in best["groups"] for pid in g["parcels"])
    assert ids == sorted(world.parcel.values())
    graph = world.graph()
    for group in best["groups"]:
        assert set(group) >= {"number", "households", "buildings", "parcels", "geometry"}
        assert group["households"] == HOUSEHOLDS * len(group["parcels"])
        assert group["buildings"] == len(group["parcels"])
        assert nx.is_connected(graph.subgraph(group["parcels"]))
        outline = GEOSGeometry(json.dumps(group["geometry"]), srid=STORAGE_SRID)
        assert outline.geom_type == "Polygon"  # contiguous parcels dissolve into one polygon
    assert live_grids() == before


def test_the_same_seed_gives_the_same_proposal(world, signed_in):
    first = post(signed_in, world.community.code, "propose", kind="grids", seed=7).json()
    again = post(signed_in, world.community.code, "propose", kind="grids", seed=7).json()
    assert first == again


def test_micro_grids_divide_one_grid_inside_the_micro_band(world, signed_in):
    code = world.code[1]  # column 0: four parcels of 40 households
    r = post(signed_in, world.community.code, "propose", kind="microgrids", grid=code)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["kind"] == "microgrids" and body["grid"] == code
    assert body["band"] == {"min": 30, "max": 100}
    best = body["alternatives"][0]
    mine = sorted(pid for (col, _), pid in world.parcel.items() if col == 0)
    assert sorted(pid for g in best["groups"] for pid in g["parcels"]) == mine
    # 160 households into micro-grids of 30–100: two of 80 (or 40 + 120 is not allowed).
    assert all(30 <= g["households"] <= 100 for g in best["groups"])
    assert best["problems"] == []
    graph = world.graph()
    for group in best["groups"]:
        assert nx.is_connected(graph.subgraph(group["parcels"]))


def test_micro_grids_of_a_drafted_grid_use_the_draft(world, signed_in):
    # The draft gives grid 001 column 1 too: eight parcels, 320 households.
    draft = {str(pid): world.code[1] for (col, _), pid in world.parcel.items() if col == 1}
    r = post(
        signed_in,
        world.community.code,
        "propose",
        kind="microgrids",
        grid=world.code[1],
        assignment=draft,
        alternatives=1,
    )
    assert r.status_code == 200, r.content
    (best,) = r.json()["alternatives"]
    assert sum(g["households"] for g in best["groups"]) == 320


def test_a_parcel_over_the_micro_band_is_explained(world, signed_in):
    pid = world.parcel[6, 0]
    building_make(
        community=world.community, seq=99, extent=(305, 5, 315, 15), households=HOUSEHOLDS * 3
    )
    assert Parcel.objects.get(pk=pid).households == 160
    r = post(signed_in, world.community.code, "propose", kind="microgrids", grid=world.code[3])
    best = r.json()["alternatives"][0]
    assert any(
        f"parcel #{pid} alone holds 160 households, more than the band's maximum 100" in p
        for p in best["problems"]
    )
    # Its two buildings stay together: a parcel is never split.
    assert sum(pid in g["parcels"] for g in best["groups"]) == 1


# --- rebalance -----------------------------------------------------------------------------------


def test_two_out_of_band_neighbours_are_rebalanced(world, signed_in):
    before = live_grids()
    a, b = world.code[1], world.code[2]
    r = post(signed_in, world.community.code, "rebalance", grids=[a, b], seed=3)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["problems"] == []
    loads = {g["code"]: g for g in body["grids"]}
    assert set(loads) == {a, b}
    assert all(g["in_band"] for g in loads.values())
    assert loads[a]["households"] + loads[b]["households"] == 960
    # Grid 002 must shed 300 households or more and grid 001 take no more than 340: eight
    # parcels exactly, the fewest moves that put both in band.
    assert len(body["moves"]) == 8
    mine = {pid for pid, col in world.column.items() if col <= 5}
    after = {pid: (a if world.column[pid] == 0 else b) for pid in mine}
    for move in body["moves"]:
        assert move["parcel"] in mine and move["grid"] in (a, b)
        after[move["parcel"]] = move["grid"]
    graph = world.graph()
    for code in (a, b):
        members = [pid for pid, g in after.items() if g == code]
        assert nx.is_connected(graph.subgraph(members))
    assert live_grids() == before  # an answer, not an edit


def test_rebalance_starts_from_the_draft(world, signed_in):
    a, b = world.code[1], world.code[2]
    # In the draft grid 001 already took column 1: 320 | 640 — only b is out of band.
    draft = {str(pid): a for (col, _), pid in world.parcel.items() if col == 1}
    body = post(signed_in, world.community.code, "rebalance", grids=[a, b], assignment=draft).json()
    loads = {g["code"]: g["households"] for g in body["grids"]}
    assert all(g["in_band"] for g in body["grids"])
    # b must shed 140 households or more, and a take no more than 180: four parcels exactly.
    assert loads == {a: 480, b: 480}
    assert len(body["moves"]) == 4
    for move in body["moves"]:
        assert move["grid"] == a and world.column[move["parcel"]] in range(2, 6)


@pytest.mark.parametrize(
    "grids, message",
    [
        (["X", "Y"], "no grid X in community"),
        ("001", "grids must name two grid codes"),
        (["SAME", "SAME"], "twice"),
    ],
)
def test_rebalance_refuses_a_bad_pair(world, signed_in, grids, message):
    r = post(signed_in, world.community.code, "rebalance", grids=grids)
    assert r.status_code == 400 and message in r.json()["error"]


def test_rebalance_refuses_grids_that_do_not_touch(world, signed_in):
    a, c = world.code[1], world.code[3]
    r = post(signed_in, world.community.code, "rebalance", grids=[a, c])
    assert r.status_code == 400
    assert r.json()["error"] == f"grids {a} and {c} are not neighbours: they share no parcel edge"


def test_rebalance_refuses_a_grid_of_another_community(world, signed_in):
    other = community_make(
        street=world.community.street,
        code=world.community.street.code + "002",
        extent=(0, 200, 400, 400),
    )
    foreign = grid_make(community=other, seq=1)
    parcel_make(community=other, extent=(0, 200, 50, 250), grid=foreign)
    r = post(signed_in, world.community.code, "rebalance", grids=[world.code[1], foreign.code])
    assert r.status_code == 400
    assert f"no grid {foreign.code} in community {world.community.code}" in r.json()["error"]


# --- assign the unassigned -----------------------------------------------------------------------


def test_the_unassigned_column_is_attached_to_its_neighbour(world, signed_in):
    r = post(signed_in, world.community.code, "assign-unassigned")
    assert r.status_code == 200, r.content
    body = r.json()
    column7 = {pid for (col, _), pid in world.parcel.items() if col == 7}
    assert {m["parcel"] for m in body["moves"]} == column7
    assert {m["grid"] for m in body["moves"]} == {world.code[3]}
    assert body["grids"] == [
        {"code": world.code[3], "households": 320, "buildings": 8, "in_band": True}
    ]
    assert body["problems"] == []
    assert Parcel.objects.filter(grid__isnull=True).count() == 4  # nothing saved


def test_pockets_touching_one_grid_go_to_it_and_its_band_is_checked(world, signed_in):
    # Draft: grid 003 gives up column 6, so the pocket of columns 6–7 touches grid 002 only;
    # grid 001 gives up column 0, a pocket of its own that touches grid 002 only too.
    draft = {str(pid): None for (col, _), pid in world.parcel.items() if col in (0, 6)}
    body = post(signed_in, world.community.code, "assign-unassigned", assignment=draft).json()
    moved = {m["parcel"]: m["grid"] for m in body["moves"]}
    assert set(moved) == {pid for (col, _), pid in world.parcel.items() if col in (0, 6, 7)}
    assert set(moved.values()) == {world.code[2]}
    (load,) = body["grids"]
    assert load == {"code": world.code[2], "households": 1280, "buildings": 32, "in_band": False}
    assert any(f"grid {world.code[2]} holds 1280 households" in p for p in body["problems"])


def test_an_isolated_pocket_is_reported_and_left_alone(world, signed_in):
    draft = {str(pid): None for pid in world.parcel.values()}  # every parcel out of its grid
    body = post(signed_in, world.community.code, "assign-unassigned", assignment=draft).json()
    assert body["moves"] == [] and body["grids"] == []
    (problem,) = body["problems"]
    assert problem.startswith("an isolated pocket of 1280 households at parcels {#")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["propose", "rebalance", "assign-unassigned"])
def test_an_unknown_community_is_404(signed_in, action):
    r = post(signed_in, "999999999999", action, grids=["a", "b"])
    assert r.status_code == 404 and "999999999999" in r.json()["error"]


@pytest.mark.parametrize("action", ["propose", "rebalance", "assign-unassigned"])
def test_signing_in_is_required(client, world, action):
    r = post(client, world.community.code, action)
    assert r.status_code == 403 and "sign in" in r.json()["error"]


def test_get_is_not_allowed(world, signed_in):
    assert signed_in.get(f"/api/edit/communities/{world.community.code}/propose").status_code == 405


@pytest.mark.parametrize(
    "body, message",
    [
        ({"kind": "districts"}, 'kind must be "grids" or "microgrids"'),
        ({"kind": "microgrids"}, 'kind "microgrids" needs "grid"'),
        ({"kind": "microgrids", "grid": "nope"}, "no grid nope in community"),
        ({"alternatives": 4}, "alternatives must be between 1 and 3"),
        ({"seed": "x"}, "seed must be an integer"),
        ({"kind": "microgrids", "grid": "G", "assignment": [1]}, "assignment must be an object"),
    ],
)
def test_a_bad_proposal_request_is_400(world, signed_in, body, message):
    r = post(signed_in, world.community.code, "propose", **body)
    assert r.status_code == 400 and message in r.json()["error"], r.content


def test_a_draft_naming_a_foreign_parcel_or_grid_is_400(world, signed_in):
    code = world.community.code
    r = post(signed_in, code, "assign-unassigned", assignment={"123456789": None})
    assert r.status_code == 400 and "parcel 123456789 is not in community" in r.json()["error"]
    pid = str(world.parcel[0, 0])
    r = post(signed_in, code, "assign-unassigned", assignment={pid: "999"})
    assert r.status_code == 400 and "no grid 999 in community" in r.json()["error"]
    assert Grid.objects.filter(community=world.community).count() == 3

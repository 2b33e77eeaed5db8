"""Proposed grid and micro-grid layouts, "rebalance a pair" and "attach the unassigned": the pure
algorithms on small graphs with known answers, then the selectors and the command on the tiny
demo city (the editor's endpoints are in test_propose_api.py)."""

import json

import networkx as nx
import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from layers.analysis.propose import propose_layouts
from layers.analysis.propose_moves import pair_resplit, unassigned_attach
from layers.selectors.parcel_graph import grids_propose, microgrids_propose, parcel_graph

LO, HI = 300, 500


def lattice(width: int, height: int) -> list[tuple[int, int]]:
    """Parcels in a width × height grid, numbered row by row, neighbours across each side."""
    pairs = []
    for y in range(height):
        for x in range(width):
            i = y * width + x
            if x + 1 < width:
                pairs.append((i, i + 1))
            if y + 1 < height:
                pairs.append((i, i + width))
    return pairs


def none(n: int) -> np.ndarray:
    return np.full(n, -1)


def assert_sound(layout, households, adjacency):
    """Every parcel in exactly one group, groups numbered 0..k−1, totals right, all contiguous."""
    n = len(households)
    assert layout.assignment.shape == (n,)
    groups = sorted(set(layout.assignment.tolist()))
    assert groups == list(range(layout.metrics.groups))
    assert layout.households.tolist() == [
        int(np.asarray(households)[layout.assignment == g].sum()) for g in groups
    ]
    graph = nx.Graph(adjacency)
    graph.add_nodes_from(range(n))
    for g in groups:
        assert nx.is_connected(graph.subgraph(np.flatnonzero(layout.assignment == g).tolist()))
    assert layout.metrics.contiguous


def test_a_path_of_four_200s_makes_two_groups_of_400():
    hh, adj = np.array([200, 200, 200, 200]), [(0, 1), (1, 2), (2, 3)]
    layouts = propose_layouts(households=hh, adjacency=adj, compound=none(4), lo=LO, hi=HI)
    assert len(layouts) == 1  # the only in-band layout: every attempt finds it
    best = layouts[0]
    assert best.assignment.tolist() == [0, 0, 1, 1]
    assert best.households.tolist() == [400, 400]
    assert best.metrics.groups_in_band == 2 and best.metrics.max_deviation == 0
    assert best.problems == [] and best.score < 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_lattice_is_cut_into_contiguous_groups_in_band(seed):
    adj = lattice(6, 6)
    hh = np.full(36, 50)  # 1,800 households: four or five groups of 300–500
    layouts = propose_layouts(
        households=hh, adjacency=adj, compound=none(36), lo=LO, hi=HI, seed=seed
    )
    assert layouts
    for layout in layouts:
        assert_sound(layout, hh, adj)
    best = layouts[0]
    assert best.metrics.groups in (4, 5)
    assert best.metrics.groups_in_band == best.metrics.groups
    assert [x.score for x in layouts] == sorted(x.score for x in layouts)


def test_an_isolated_pocket_is_explained():
    # Parcels 0–3 form a path of 800; parcel 4 (120 households) touches nothing.
    hh = np.array([200, 200, 200, 200, 120])
    adj = [(0, 1), (1, 2), (2, 3)]
    best = propose_layouts(households=hh, adjacency=adj, compound=none(5), lo=LO, hi=HI)[0]
    assert_sound(best, hh, adj)
    assert best.households.tolist() == [400, 400, 120]
    assert best.metrics.groups_in_band == 2
    assert best.metrics.max_deviation == 180
    assert any("isolated pocket of 120 households" in p and "{4}" in p for p in best.problems)
    # The pocket's problem is not repeated as a group the repair could not fix.
    assert len(best.problems) == 1


def test_a_community_below_the_band_is_one_group_and_says_why():
    hh = np.array([100, 0, 150])
    adj = [(0, 1), (1, 2)]
    (only,) = propose_layouts(households=hh, adjacency=adj, compound=none(3), lo=LO, hi=HI)
    assert only.assignment.tolist() == [0, 0, 0]
    assert only.households.tolist() == [250]
    assert only.problems == [
        "the community holds 250 households, fewer than the band's minimum 300: "
        "one grid of all its parcels"
    ]


def test_a_total_no_count_of_groups_can_hold_is_explained():
    # 550: one group is over 500, two are under 300 each.
    hh = np.array([275, 275])
    best = propose_layouts(households=hh, adjacency=[(0, 1)], compound=none(2), lo=LO, hi=HI)[0]
    assert any("cannot make grids of 300–500" in p for p in best.problems)


def test_a_parcel_over_the_band_is_named():
    hh = np.array([600, 200, 200])
    best = propose_layouts(
        households=hh, adjacency=[(0, 1), (1, 2)], compound=none(3), lo=LO, hi=HI, names="abc"
    )[0]
    assert_sound(best, hh, [(0, 1), (1, 2)])
    assert any(p.startswith("parcel a alone holds 600") for p in best.problems)


def test_a_compound_over_two_parcels_is_kept_whole():
    # A path of 800 households; compound 7 spans parcels 2 and 3. The most balanced cut (400 |
    # 400) falls between them, so keeping it whole means 300 | 500 or 500 | 300, still in band.
    hh = np.array([200, 100, 100, 100, 100, 200])
    adj = [(i, i + 1) for i in range(5)]
    compound = np.array([-1, -1, 7, 7, -1, -1])
    for seed in range(4):
        for layout in propose_layouts(
            households=hh, adjacency=adj, compound=compound, lo=LO, hi=HI, seed=seed
        ):
            assert_sound(layout, hh, adj)
            assert layout.assignment[2] == layout.assignment[3]
            assert layout.metrics.compounds_split == 0
            assert layout.metrics.groups_in_band == layout.metrics.groups == 2


def test_a_compound_too_big_for_the_band_is_split_and_counted():
    hh = np.array([300, 300])
    best = propose_layouts(
        households=hh, adjacency=[(0, 1)], compound=np.array([3, 3]), lo=LO, hi=HI
    )[0]
    assert best.households.tolist() == [300, 300]
    assert best.metrics.compounds_split == 1


def test_zero_household_parcels_go_with_a_neighbour():
    hh = np.array([0, 200, 0, 200, 0, 200, 200, 0])
    adj = [(i, i + 1) for i in range(7)]
    best = propose_layouts(households=hh, adjacency=adj, compound=none(8), lo=LO, hi=HI)[0]
    assert_sound(best, hh, adj)
    assert best.households.tolist() == [400, 400]


def test_same_seed_same_layouts_and_other_seeds_give_alternatives():
    adj = lattice(8, 8)
    hh = np.random.default_rng(3).integers(20, 80, 64)
    first = propose_layouts(households=hh, adjacency=adj, compound=none(64), lo=LO, hi=HI, seed=5)
    again = propose_layouts(households=hh, adjacency=adj, compound=none(64), lo=LO, hi=HI, seed=5)
    assert [x.assignment.tolist() for x in first] == [x.assignment.tolist() for x in again]
    assert [x.score for x in first] == [x.score for x in again]
    # Alternatives are distinct layouts, and another seed finds others.
    seen = {x.assignment.tobytes() for x in first}
    assert len(seen) == len(first) > 1
    other = propose_layouts(households=hh, adjacency=adj, compound=none(64), lo=LO, hi=HI, seed=6)
    assert {x.assignment.tobytes() for x in other} != seen
    for layout in first + other:
        assert_sound(layout, hh, adj)


def test_no_parcels_no_layouts():
    assert (
        propose_layouts(households=np.array([]), adjacency=[], compound=none(0), lo=LO, hi=HI) == []
    )


# --- the selector and the command, on the tiny demo city ----------------------------------------


def busiest_community() -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.code FROM layers_community c JOIN layers_parcel p ON p.community_id = c.id "
            "GROUP BY c.code ORDER BY sum(p.households) DESC, c.code LIMIT 1"
        )
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_a_proposal_covers_the_community_with_contiguous_grids(tiny_city):
    code = busiest_community()
    graph = parcel_graph(community_code=code)
    assert len(graph.parcel_ids) > 1 and graph.adjacency
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), sum(p.households), sum(p.building_count) FROM layers_parcel p "
            "JOIN layers_community c ON c.id = p.community_id WHERE c.code = %s",
            [code],
        )
        parcels, households, buildings = cur.fetchone()
    proposals = grids_propose(community_code=code, alternatives=2, seed=0)
    assert proposals and proposals[0].rank == 1
    nx_graph = nx.Graph()
    nx_graph.add_nodes_from(graph.parcel_ids.tolist())
    nx_graph.add_edges_from(
        (int(graph.parcel_ids[a]), int(graph.parcel_ids[b])) for a, b in graph.adjacency
    )
    for proposal in proposals:
        ids = [pid for grid in proposal.grids for pid in grid.parcel_ids]
        assert sorted(ids) == sorted(graph.parcel_ids.tolist()) and len(ids) == parcels
        assert sum(grid.households for grid in proposal.grids) == households
        assert sum(grid.building_count for grid in proposal.grids) == buildings
        assert proposal.metrics.contiguous
        for grid in proposal.grids:
            assert nx.is_connected(nx_graph.subgraph(grid.parcel_ids))


@pytest.mark.django_db
def test_the_command_prints_metrics_and_writes_grid_polygons(tiny_city, tmp_path, capsys):
    code = busiest_community()
    out = tmp_path / "proposals.geojson"
    call_command("propose_grids", code, "--alternatives", "1", "--out", str(out))
    printed = capsys.readouterr().out
    assert "alternative 1:" in printed and "in band" in printed
    features = json.loads(out.read_text("utf-8"))["features"]
    (proposal,) = grids_propose(community_code=code, alternatives=1)
    assert len(features) == len(proposal.grids)
    for feature in features:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["alternative"] == 1


@pytest.mark.django_db
def test_an_unknown_community_is_an_error(tiny_city):
    with pytest.raises(CommandError, match="no community with code 999999999999"):
        call_command("propose_grids", "999999999999")


# --- micro-grids: the same algorithm with the micro-grid band -----------------------------------

MICRO_LO, MICRO_HI = 30, 100


def test_micro_grids_of_a_grid_are_contiguous_and_in_the_micro_band():
    adj = lattice(5, 4)
    hh = np.random.default_rng(4).integers(10, 35, 20)  # one or two buildings per parcel
    layouts = propose_layouts(
        households=hh,
        adjacency=adj,
        compound=none(20),
        lo=MICRO_LO,
        hi=MICRO_HI,
        seed=1,
        parent="grid",
        child="micro-grid",
    )
    for layout in layouts:
        assert_sound(layout, hh, adj)
    best = layouts[0]
    assert best.metrics.groups_in_band == best.metrics.groups and best.problems == []
    again = propose_layouts(
        households=hh, adjacency=adj, compound=none(20), lo=MICRO_LO, hi=MICRO_HI, seed=1
    )
    assert [x.assignment.tolist() for x in again] == [x.assignment.tolist() for x in layouts]


def test_a_grid_too_small_for_two_micro_grids_says_so_in_its_words():
    (only,) = propose_layouts(
        households=np.array([10, 15]),
        adjacency=[(0, 1)],
        compound=none(2),
        lo=MICRO_LO,
        hi=MICRO_HI,
        parent="grid",
        child="micro-grid",
    )
    assert only.problems == [
        "the grid holds 25 households, fewer than the band's minimum 30: one micro-grid of all "
        "its parcels"
    ]


# --- rebalance a pair, attach the unassigned (pure) ---------------------------------------------


def test_two_out_of_band_groups_are_resplit_into_the_band_moving_the_fewest():
    adj = lattice(6, 4)  # columns 0–1 the first group (8 × 25 = 200), columns 2–5 the second
    hh = np.full(24, 25)
    first = np.array([i % 6 < 2 for i in range(24)])
    split = pair_resplit(
        households=hh, adjacency=adj, compound=none(24), first=first, lo=LO, hi=HI, seed=0
    )
    assert split.in_band and split.connected
    assert split.households[0] + split.households[1] == 600 and min(split.households) >= LO
    assert int((split.first != first).sum()) == 4  # 100 households: the fewest that reach 300
    graph = nx.Graph(adj)
    for side in (split.first, ~split.first):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(side).tolist()))
    again = pair_resplit(
        households=hh, adjacency=adj, compound=none(24), first=first, lo=LO, hi=HI, seed=0
    )
    assert again.first.tolist() == split.first.tolist()


def test_a_pair_in_band_already_moves_nothing():
    hh, adj = np.array([200, 200, 200, 200]), [(0, 1), (1, 2), (2, 3)]
    first = np.array([True, True, False, False])
    split = pair_resplit(households=hh, adjacency=adj, compound=none(4), first=first, lo=LO, hi=HI)
    assert split.first.tolist() == first.tolist() and split.households == (400, 400)


def test_a_pair_keeps_its_compound_whole_when_the_band_allows():
    hh = np.array([100, 100, 100, 100, 100, 100, 100, 100])
    adj = [(i, i + 1) for i in range(7)]
    compound = np.array([-1, -1, -1, 5, 5, -1, -1, -1])
    first = np.array([True] * 2 + [False] * 6)  # 200 | 600
    split = pair_resplit(households=hh, adjacency=adj, compound=compound, first=first, lo=LO, hi=HI)
    assert split.in_band and split.first[3] == split.first[4]
    assert split.households in ((300, 500), (500, 300))


def test_a_pair_that_cannot_fit_the_band_is_left_nearest_it():
    hh, adj = np.array([100, 100, 100]), [(0, 1), (1, 2)]
    split = pair_resplit(
        households=hh,
        adjacency=adj,
        compound=none(3),
        first=np.array([1, 0, 0], bool),
        lo=LO,
        hi=HI,
    )
    assert not split.in_band and split.connected


def test_an_unassigned_pocket_is_shared_by_the_grids_around_it():
    # A path: group 0 (200) | four unassigned parcels of 100 | group 1 (200).
    hh = np.array([200, 100, 100, 100, 100, 200])
    adj = [(i, i + 1) for i in range(5)]
    done = unassigned_attach(households=hh, adjacency=adj, label=np.array([0, -1, -1, -1, -1, 1]))
    assert done.label.tolist() == [0, 0, 0, 1, 1, 1]
    (pocket,) = done.pockets
    assert pocket.parcels == [1, 2, 3, 4] and pocket.households == 400 and pocket.groups == [0, 1]


def test_an_unassigned_pocket_no_grid_touches_stays_and_is_reported():
    hh = np.array([200, 200, 120, 30])
    done = unassigned_attach(
        households=hh, adjacency=[(0, 1), (2, 3)], label=np.array([0, 0, -1, -1])
    )
    assert done.label.tolist() == [0, 0, -1, -1]
    (pocket,) = done.pockets
    assert pocket.households == 150 and pocket.groups == []


def test_attaching_keeps_every_group_contiguous_on_a_lattice():
    adj = lattice(10, 10)
    hh = np.random.default_rng(8).integers(0, 40, 100)
    label = np.full(100, -1)
    label[:10], label[90:], label[::10] = 0, 1, 2  # top row, bottom row, left column
    label[0], label[90] = 2, 2
    done = unassigned_attach(households=hh, adjacency=adj, label=label)
    assert (done.label >= 0).all()
    graph = nx.Graph(adj)
    for g in (0, 1, 2):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(done.label == g).tolist()))


# --- micro-grids on the tiny demo city ----------------------------------------------------------


def busiest_grid() -> tuple[str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.code, g.code FROM layers_grid g JOIN layers_community c "
            "ON c.id = g.community_id ORDER BY g.households DESC, g.code LIMIT 1"
        )
        return cur.fetchone()


@pytest.mark.django_db
def test_micro_grids_for_a_grid_never_split_a_building(tiny_city):
    community, grid = busiest_grid()
    proposals = microgrids_propose(community_code=community, grid_code=grid, alternatives=2)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT p.id, count(b.id) FROM layers_parcel p JOIN layers_grid g ON g.id = p.grid_id "
            "LEFT JOIN layers_building b ON b.parcel_id = p.id WHERE g.code = %s GROUP BY p.id",
            [grid],
        )
        buildings = dict(cur.fetchall())
    assert proposals
    for proposal in proposals:
        ids = [pid for g in proposal.grids for pid in g.parcel_ids]
        assert sorted(ids) == sorted(buildings)  # each parcel, with all its buildings, once
        assert sum(g.building_count for g in proposal.grids) == sum(buildings.values())
        assert proposal.metrics.contiguous
        # A micro-grid out of band is always explained (a big parcel, a small grid, a pocket).
        out = [g for g in proposal.grids if not MICRO_LO <= g.households <= MICRO_HI]
        assert not out or proposal.problems


@pytest.mark.django_db
def test_the_command_proposes_micro_grids_with_grid(tiny_city, capsys):
    community, grid = busiest_grid()
    call_command("propose_grids", community, "--grid", grid, "--alternatives", "1")
    printed = capsys.readouterr().out
    assert f"grid {grid} of community {community}, band 30–100 households" in printed
    assert "alternative 1:" in printed and "micro-grids" in printed


@pytest.mark.django_db
def test_the_command_refuses_a_grid_of_another_community(tiny_city):
    community, _ = busiest_grid()
    with pytest.raises(CommandError, match="no grid 123 in community"):
        call_command("propose_grids", community, "--grid", "123")

"""Station siting (maximal covering, lazy greedy): the coverage lists against brute force, the
greedy against the exact optimum of small instances (the (1 − 1/e) guarantee, exactness where
greedy is provably optimal), against plain greedy and random choices, and its edge cases; then
`siting_propose` and the command on the tiny demo city."""

import io
import itertools
import json
import math

import numpy as np
import pytest
from django.core.management import call_command

from geo.errors import BadRequest
from layers.analysis.coverage import building_coverage, station_points
from layers.analysis.siting import (
    coverage_lists,
    greedy_on_lists,
    lattice_points,
    sites_greedy,
    siting_propose,
)

GUARANTEE = 1 - 1 / math.e


def instance(seed: int, *, demand: int = 40, candidates: int = 12, size: float = 1_000.0):
    """A seeded random instance: demand points with households, candidate points, metres."""
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(-size / 2, size / 2, (demand, 2)),
        rng.integers(1, 100, demand).astype(float),
        rng.uniform(-size / 2, size / 2, (candidates, 2)),
    )


def reach_sets(demand_xy, candidate_xy, radius_m) -> list[set[int]]:
    """Brute force: which demand points each candidate reaches (boundary included)."""
    d = np.hypot(*(candidate_xy[:, None, :] - demand_xy[None, :, :]).transpose(2, 0, 1))
    return [set(np.flatnonzero(row <= radius_m).tolist()) for row in d]


def covered_weight(sets, weight, chosen) -> float:
    reached = set().union(*(sets[i] for i in chosen)) if len(chosen) else set()
    return float(sum(weight[j] for j in reached))


def optimum(sets, weight, k) -> float:
    return max(
        covered_weight(sets, weight, combo) for combo in itertools.combinations(range(len(sets)), k)
    )


def plain_greedy(sets, weight, k) -> list[int]:
    """Textbook greedy: recompute every gain every round; ties to the lowest index."""
    chosen, reached = [], set()
    for _ in range(k):
        gains = [sum(weight[j] for j in s - reached) for s in sets]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        reached |= sets[best]
    return chosen


# --- the coverage matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_coverage_lists_match_brute_force(seed):
    demand, _, cand = instance(seed, demand=500, candidates=200, size=3_000)
    lists = coverage_lists(demand_xy=demand, candidate_xy=cand, radius_m=250)
    expected = reach_sets(demand, cand, 250)
    for i, reach in enumerate(expected):
        got = lists.row(i)
        assert list(got) == sorted(reach)


def test_a_point_exactly_at_the_radius_is_reached():
    # 3-4-5 triangles: distances exactly 5 in binary floating point.
    demand = np.array([[3.0, 4.0], [-3.0, -4.0], [5.0, 0.0], [5.0, 0.1]])
    lists = coverage_lists(demand_xy=demand, candidate_xy=np.zeros((1, 2)), radius_m=5)
    assert lists.row(0).tolist() == [0, 1, 2]


# --- greedy against the optimum ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(25))
def test_greedy_reaches_the_guarantee_and_matches_plain_greedy(seed):
    demand, weight, cand = instance(seed)
    radius = 200.0
    result = sites_greedy(
        demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=radius, k=3
    )
    sets = reach_sets(demand, cand, radius)
    best = optimum(sets, weight, 3)
    assert result.covered == pytest.approx(covered_weight(sets, weight, result.chosen))
    assert result.covered >= GUARANTEE * best - 1e-9
    assert result.covered <= best + 1e-9
    # The lazy queue picks exactly what recomputing every gain would.
    assert result.chosen.tolist() == plain_greedy(sets, weight, 3)


def test_greedy_is_sometimes_short_of_the_optimum_so_the_bound_is_tested():
    shortfalls = []
    for seed in range(200):
        demand, weight, cand = instance(seed, demand=30, candidates=10)
        result = sites_greedy(
            demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=250, k=2
        )
        sets = reach_sets(demand, cand, 250)
        shortfalls.append(optimum(sets, weight, 2) - result.covered)
    assert max(shortfalls) > 0
    assert min(shortfalls) >= -1e-9


def test_greedy_is_optimal_when_the_candidates_reach_disjoint_clusters():
    # Four clusters far apart, each reached by its own two candidates (one reaching the whole
    # cluster, one only part of it). With disjoint reach the objective is additive, so greedy
    # (taking the heaviest clusters first) is exactly optimal for every k.
    centres = np.array([[0, 0], [10_000, 0], [0, 10_000], [10_000, 10_000]], dtype=float)
    cluster_weight = [40.0, 100.0, 70.0, 10.0]
    rng = np.random.default_rng(0)
    demand, weight = [], []
    for centre, w in zip(centres, cluster_weight, strict=True):
        pts = centre + rng.uniform(-50, 50, (5, 2))
        demand.extend(pts)
        weight.extend([w / 5] * 5)
    demand, weight = np.array(demand), np.array(weight)
    cand = np.concatenate([centres, centres + [[60, 60]]])  # the offset ones reach part only
    sets = reach_sets(demand, cand, 100)
    for k in range(1, 5):
        result = sites_greedy(
            demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=100, k=k
        )
        assert result.covered == pytest.approx(optimum(sets, weight, k))
    assert result.chosen.tolist() == [1, 2, 0, 3]
    assert result.gains.tolist() == pytest.approx([100, 70, 40, 10])


@pytest.mark.parametrize("seed", range(10))
def test_greedy_beats_the_mean_of_random_choices(seed):
    demand, weight, cand = instance(seed, demand=300, candidates=60, size=3_000)
    k = 5
    result = sites_greedy(
        demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=300, k=k
    )
    sets = reach_sets(demand, cand, 300)
    rng = np.random.default_rng(seed + 1000)
    random_mean = np.mean(
        [covered_weight(sets, weight, rng.choice(len(cand), k, replace=False)) for _ in range(200)]
    )
    assert result.covered >= random_mean


@pytest.mark.parametrize("seed", range(5))
def test_marginal_gains_never_grow_and_add_up(seed):
    demand, weight, cand = instance(seed, demand=2_000, candidates=400, size=5_000)
    result = sites_greedy(
        demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=300, k=50
    )
    assert (np.diff(result.gains) <= 1e-9).all()
    assert result.cumulative == pytest.approx(np.cumsum(result.gains))
    assert result.covered <= result.demand_total == pytest.approx(weight.sum())
    assert len(set(result.chosen.tolist())) == len(result.chosen)


# --- edge cases ----------------------------------------------------------------------------------


def test_it_stops_when_nothing_more_can_be_covered():
    demand = np.array([[0.0, 0.0], [1_000.0, 0.0], [5_000.0, 5_000.0]])
    weight = np.array([10.0, 20.0, 30.0])
    cand = np.array([[0.0, 10.0], [1_000.0, 10.0], [2.0, 2.0], [50_000.0, 0.0]])
    result = sites_greedy(
        demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=50, k=10
    )
    assert result.chosen.tolist() == [1, 0]  # 20 first, then 10; nothing reaches the 30
    assert result.gains.tolist() == [20.0, 10.0]
    assert result.covered == 30 and result.demand_total == 60


def test_k_zero_empty_demand_and_no_candidates_choose_nothing():
    demand, weight, cand = instance(1)
    empty = np.zeros((0, 2))
    for kwargs in (
        {"demand_xy": demand, "demand_weight": weight, "candidate_xy": cand, "k": 0},
        {"demand_xy": empty, "demand_weight": np.zeros(0), "candidate_xy": cand, "k": 3},
        {"demand_xy": demand, "demand_weight": weight, "candidate_xy": empty, "k": 3},
        {"demand_xy": demand, "demand_weight": 0 * weight, "candidate_xy": cand, "k": 3},
    ):
        result = sites_greedy(radius_m=200, **kwargs)
        assert len(result.chosen) == len(result.gains) == len(result.cumulative) == 0
        assert result.covered == 0


def test_bad_arguments_are_errors():
    demand, weight, cand = instance(1)
    with pytest.raises(ValueError, match="k must be"):
        sites_greedy(demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=1, k=-1)
    with pytest.raises(ValueError, match="radius_m"):
        sites_greedy(demand_xy=demand, demand_weight=weight, candidate_xy=cand, radius_m=0, k=1)
    with pytest.raises(ValueError, match="weights"):
        sites_greedy(demand_xy=demand, demand_weight=weight[:3], candidate_xy=cand, radius_m=1, k=1)


def test_greedy_on_lists_ties_go_to_the_lower_index():
    demand = np.array([[0.0, 0.0], [100.0, 0.0]])
    lists = coverage_lists(demand_xy=demand, candidate_xy=demand[::-1], radius_m=1)
    result = greedy_on_lists(lists=lists, demand_weight=np.array([5.0, 5.0]), k=1)
    assert result.chosen.tolist() == [0]


def test_the_lattice_has_a_node_near_every_point_and_none_far_from_all():
    rng = np.random.default_rng(3)
    pts = np.concatenate([rng.uniform(0, 500, (50, 2)), rng.uniform(9_000, 9_500, (50, 2))])
    nodes = lattice_points(xy=pts, spacing_m=100, reach_m=300)
    assert (np.mod(nodes, 100) == 0).all()
    nearest = np.hypot(*(pts[:, None, :] - nodes[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert (nearest <= 100 * math.sqrt(2) / 2 + 1e-9).all()
    # The empty middle of the extent has no nodes: far nodes were dropped.
    farthest = np.hypot(*(nodes[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert farthest.max() <= 4 * 300 * math.sqrt(2)
    assert len(nodes) < 0.1 * (9_500 / 100) ** 2


# --- siting_propose and the command, on the tiny demo city --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("candidates", ["buildings", "lattice"])
def test_proposed_sites_add_the_households_they_claim(tiny_city, settings, candidates):
    distance = 300.0
    proposal = siting_propose(k=3, distance_m=distance, candidates=candidates)
    cov = building_coverage(distance_m=distance)
    uncovered = ~cov.covered
    assert proposal.uncovered_households == int(cov.households[uncovered].sum()) > 0
    assert 1 <= len(proposal.sites) <= 3
    radius = distance / settings.GRIDATLAS_WALK_DETOUR_FACTOR
    reached = np.zeros(len(cov.building_id), dtype=bool)
    stations = station_points()
    for site in proposal.sites:
        near = np.hypot(cov.x_m - site.x_m, cov.y_m - site.y_m) <= radius + 0.01
        added = int(cov.households[near & uncovered & ~reached].sum())
        assert site.households_added == added
        reached |= near & uncovered
        assert site.households_cumulative == int(cov.households[reached].sum())
        d = np.hypot(stations.x_m - site.x_m, stations.y_m - site.y_m)
        assert site.nearest_station_m == pytest.approx(d.min(), abs=0.1)
        assert site.nearest_station_walk_m == pytest.approx(
            d.min() * settings.GRIDATLAS_WALK_DETOUR_FACTOR, abs=0.2
        )
        assert site.community_code is not None and site.community_code.startswith("4201")
        assert (site.building_id is not None) == (candidates == "buildings")


@pytest.mark.django_db
def test_a_building_site_is_that_building(tiny_city):
    proposal = siting_propose(k=1, distance_m=300)
    site = proposal.sites[0]
    cov = building_coverage(distance_m=300)
    i = int(np.flatnonzero(cov.building_id == site.building_id)[0])
    assert (site.x_m, site.y_m) == pytest.approx((cov.x_m[i], cov.y_m[i]), abs=0.01)
    assert site.community_id == int(cov.community_id[i])


@pytest.mark.django_db
def test_k_zero_proposes_nothing_and_bad_input_is_refused(tiny_city):
    assert siting_propose(k=0, distance_m=300).sites == []
    with pytest.raises(BadRequest, match="candidates"):
        siting_propose(k=1, distance_m=300, candidates="parks")
    with pytest.raises(BadRequest, match="distance"):
        siting_propose(k=1, distance_m=-1)
    with pytest.raises(BadRequest, match="k must"):
        siting_propose(k=-1, distance_m=300)


@pytest.mark.django_db
def test_the_command_writes_geojson_and_csv(tiny_city, tmp_path):
    out = io.StringIO()
    call_command("siting", k=2, distance=300, out=tmp_path / "sites.geojson", stdout=out)
    assert "households" in out.getvalue()
    fc = json.loads((tmp_path / "sites.geojson").read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    first = fc["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["rank"] == 1 and first["properties"]["households_added"] > 0
    call_command(
        "siting", k=2, distance=300, candidates="lattice", out=tmp_path / "s.csv", stdout=out
    )
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("rank,lon,lat") and len(lines) == 3

#!/usr/bin/env python
"""Walking distances along the road network (issue 5) for the whole `city`: every building to
its nearest station, each step timed, cold (graph built) and warm (graph reused); prints the
docs/design.md target (whole-city station coverage ≤ 30 s) with PASS/MISS.

    .venv/bin/python bench/network.py [--rebuild] [--db gridatlas_bench]

Runs on the scratch database gridatlas_bench (or BENCH_DATABASE_NAME), built with the demo
city's roads; builds it when missing or empty, or with --rebuild (about 2 min). Writes nothing.
"""

import argparse
import time

# harness (found beside this script) puts the project root in front of sys.path on import.
import harness
import numpy as np
from harness import DEFAULT_DB, phase, verdict

COVERAGE_TARGET_S = 30.0
DISTANCES_M = (300.0, 500.0, 1000.0)  # the 5-, 10- and 15-minute life circles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the scratch database first")
    args = ap.parse_args()
    harness.bench_setup(db=args.db, rebuild=args.rebuild)

    from django.conf import settings
    from django.db import connection

    from layers.analysis import network as net

    if not net.roads_loaded():
        raise SystemExit(f"{args.db} has no roads (built before issue 5): run with --rebuild")
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM layers_building ORDER BY id")
        ids = np.array([r[0] for r in cur.fetchall()], dtype=np.int64)
    max_step_m = settings.GRIDATLAS_ROAD_SNAP_MAX_M

    phase("cold: each step")
    steps = {}
    t = time.perf_counter()
    lines = net.walkable_lines()
    steps["load roads"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = net.graph_build(lines)
    steps["graph build (node + networkx)"] = time.perf_counter() - t
    t = time.perf_counter()
    b_id, b_xy = net._points("roads_building_points.sql", ids)
    s_id, s_xy = net._points("roads_station_points.sql", None)
    steps["load building and station points"] = time.perf_counter() - t
    t = time.perf_counter()
    b_snap = net.points_snap(graph, b_xy, max_step_m=max_step_m)
    s_snap = net.points_snap(graph, s_xy, max_step_m=max_step_m)
    steps["snap (STRtree)"] = time.perf_counter() - t
    t = time.perf_counter()
    dist, _ = net.nearest_station_walk(
        network=graph,
        buildings=b_snap,
        stations=s_snap,
        station_ids=s_id,
        max_distance_m=max(DISTANCES_M),
    )
    steps["Dijkstra + per building"] = time.perf_counter() - t
    print(
        f"city: {len(lines):,} walkable roads → {graph.n_nodes:,} junctions, "
        f"{graph.graph.number_of_edges():,} edges; {len(b_id):,} buildings, {len(s_id):,} "
        f"stations; off the network: {int((b_snap.edge < 0).sum())} buildings, "
        f"{int((s_snap.edge < 0).sum())} stations"
    )
    for name, s in steps.items():
        print(f"  {name:<36} {s:6.2f} s")
    print(f"  {'sum':<36} {sum(steps.values()):6.2f} s")

    phase("walking_distances: cold, then warm per distance")
    net._graph_cache.clear()
    runs = []
    for label, d in [("cold", max(DISTANCES_M))] + [("warm", d) for d in DISTANCES_M]:
        t = time.perf_counter()
        r = net.walking_distances(building_ids=ids, max_distance_m=d)
        runs.append(time.perf_counter() - t)
        print(
            f"  {label} {d:6.0f} m: {runs[-1]:6.2f} s, "
            f"{np.isfinite(r.distance_m).mean():6.1%} of buildings within"
        )
    finite = np.isfinite(dist)
    straight = _straight_m(b_xy[finite], s_xy)
    ratio = dist[finite] / np.maximum(straight, 1.0)
    print(
        f"walk / straight line to the nearest station: median {np.median(ratio):.2f}, "
        f"p95 {np.percentile(ratio, 95):.2f} (the straight mode assumes "
        f"{settings.GRIDATLAS_WALK_DETOUR_FACTOR})"
    )
    verdict(
        runs[0] <= COVERAGE_TARGET_S,
        f"whole-city walking distances, cold: {runs[0]:.1f} s (target ≤ {COVERAGE_TARGET_S:.0f} s"
        " for the whole coverage)",
    )


def _straight_m(b_xy: np.ndarray, s_xy: np.ndarray) -> np.ndarray:
    import shapely

    tree = shapely.STRtree(shapely.points(s_xy))
    _, d = tree.query_nearest(shapely.points(b_xy), return_distance=True, all_matches=False)
    return d


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The coverage benchmark (issue 5): whole-city station coverage at the three walking distances
(300 / 500 / 1000 m) in straight mode, where its time goes, the network mode when a road network
is loaded, the heatmap raster when `layers.analysis.heatmap` exists, the other analyses of the
report, and the peak memory of this process and of PostgreSQL; prints the docs/design.md target with
PASS/MISS.

    .venv/bin/python bench/coverage.py [--rounds 3] [--json PATH]

Runs on the scratch database gridatlas_bench (or BENCH_DATABASE_NAME) and nowhere else; builds it
when missing or empty (about 2 min). Reads only. See bench/README.md for what each number means.
"""

import argparse
import importlib.util
import resource
import statistics
import time

# harness (found beside this script) puts the project root in front of sys.path on import.
import harness
from harness import DEFAULT_DB, phase, verdict

TARGET_S = 30.0  # whole-city station coverage, the three distances together (docs/design.md)


def backend_peak_kb() -> int | None:
    """The peak RSS (VmHWM) of this connection's own backend, if /proc lets us read it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(f.read().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        return None


# --- measurements ---------------------------------------------------------------------------------
def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def distances() -> tuple[float, float, float]:
    from django.conf import settings

    return (
        settings.GRIDATLAS_WALK_5MIN_M,
        settings.GRIDATLAS_WALK_10MIN_M,
        settings.GRIDATLAS_WALK_15MIN_M,
    )


def straight_rounds(rounds: int) -> dict:
    """`building_coverage(distance_m=d)` end to end (load + nearest + threshold), for each
    distance, `rounds` times after one untimed warm-up call."""
    from layers.analysis.coverage import building_coverage

    building_coverage(distance_m=distances()[1])  # PROJ, SQL file, shared_buffers
    runs: dict[float, list[float]] = {d: [] for d in distances()}
    covered: dict[float, tuple[int, int]] = {}
    for _ in range(rounds):
        for d in distances():
            dt, cov = timed(building_coverage, distance_m=d)
            runs[d].append(dt)
            covered[d] = (cov.households_covered, cov.households_total)
    return {"runs": runs, "covered": covered}


def straight_parts() -> dict:
    """One pass split into its steps: the loads, the nearest search, the thresholds, the rows."""
    from layers.analysis.coverage import (
        building_points,
        coverage_of,
        coverage_report,
        nearest_straight,
        station_points,
        uncovered_buildings,
    )

    parts = {}
    parts["building_points (SQL, fetch, projection)"], b = timed(building_points)
    parts["station_points"], s = timed(station_points)
    parts["nearest_straight (STRtree)"], _ = timed(nearest_straight, buildings=b, stations=s)
    parts["coverage_of × 3 distances (nearest + threshold)"] = sum(
        timed(coverage_of, buildings=b, stations=s, distance_m=d)[0] for d in distances()
    )
    parts["coverage_report by community at 500 m (with 4 level rows)"], _ = timed(
        coverage_report, distance_m=500, by="community"
    )
    parts["coverage_report by grid at 500 m (with 4 level rows)"], _ = timed(
        coverage_report, distance_m=500, by="grid"
    )
    parts["uncovered_buildings at 300 m, limit 10,000"], _ = timed(
        uncovered_buildings, distance_m=300, limit=10_000
    )
    return {"parts": parts, "buildings": len(b), "stations": len(s)}


def other_analyses() -> dict:
    from layers.analysis.load import load_report
    from layers.analysis.organisation import organisation_report
    from layers.analysis.pairing import pairing_report
    from layers.analysis.report import city_headline

    return {
        "organisation_report at 500 m": timed(organisation_report, distance_m=500)[0],
        "load_report (all grids)": timed(load_report, listed="all")[0],
        "pairing_report": timed(pairing_report)[0],
        "city_headline (with coverage at 500 m)": timed(city_headline, distance_m=500)[0],
    }


def network_mode() -> dict:
    """The three distances in network mode, or why not."""
    if importlib.util.find_spec("layers.analysis.network") is None:
        return {"skipped": "network: not available (no layers.analysis.network)"}
    from django.db import DatabaseError, connection

    from layers.analysis import network
    from layers.analysis.coverage import building_coverage

    try:
        loaded = network.roads_loaded()
    except DatabaseError:  # no road table: the bench database predates the roads migration
        connection.close()
        loaded = False
    if not loaded:
        return {"skipped": "network: no roads loaded"}
    out = {}
    for d in distances():
        dt, cov = timed(building_coverage, distance_m=d, mode="network")
        out[d] = (dt, cov.households_covered, cov.households_total)
    return out


def heatmap() -> dict:
    if importlib.util.find_spec("layers.analysis.heatmap") is None:
        return {"skipped": "heatmap: not available"}
    from django.conf import settings

    from layers.analysis import heatmap as hm

    cell_m = settings.GRIDATLAS_HEATMAP_CELL_M
    out = {}
    for kind in ("uncovered", "load"):
        if hasattr(hm, "heatmap_cache_clear"):
            hm.heatmap_cache_clear()  # a cold raster, not this process's cached one
        dt, result = timed(hm.heatmap_raster, kind=kind, distance_m=500.0, cell_m=cell_m)
        out[kind] = (dt, getattr(result.raster, "shape", None))
    return {"cell_m": cell_m, "kinds": out}


def measure(args) -> dict:
    r: dict = {}
    with harness.ServerPeak() as server:
        phase(f"straight mode: the three distances, {args.rounds} rounds")
        r["straight"] = straight_rounds(args.rounds)
        phase("straight mode: where the time goes")
        r["parts"] = straight_parts()
        phase("the other analyses of the report")
        r["others"] = other_analyses()
        phase("network mode")
        r["network"] = network_mode()
        phase("heatmap rasters")
        r["heatmap"] = heatmap()
    r["python_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r["server_peak_mib"] = server.rss_kb / 1024
    backend = backend_peak_kb()
    r["backend_peak_mib"] = None if backend is None else backend / 1024
    return r


# --- report ---------------------------------------------------------------------------------------
def report(r: dict) -> list[str]:
    s, p = r["straight"], r["parts"]
    print(
        f"coverage benchmark on {DEFAULT_DB}: {p['buildings']:,} buildings, "
        f"{p['stations']:,} stations"
    )
    print("\n1. whole-city station coverage, straight mode, building_coverage() end to end")
    worst = [0.0] * len(s["runs"][next(iter(s["runs"]))])
    for d, times in s["runs"].items():
        hit, total = s["covered"][d]
        worst = [a + b for a, b in zip(worst, times, strict=True)]
        print(
            f"  {d:6.0f} m   median {statistics.median(times):6.2f} s   max {max(times):6.2f} s"
            f"   households covered {hit:,} / {total:,} ({100 * hit / total:.1f} %)"
        )
    total_s = max(worst)
    print(f"  three distances together: slowest round {total_s:.2f} s")
    print("  where one pass goes:")
    for label, dt in p["parts"].items():
        print(f"    {label:<62} {dt:6.2f} s")
    print("\n2. the other analyses of the report")
    for label, dt in r["others"].items():
        print(f"    {label:<62} {dt:6.2f} s")
    print("\n3. network mode")
    net = r["network"]
    if "skipped" in net:
        print(f"  {net['skipped']}")
    else:
        for d, (dt, hit, total) in net.items():
            print(f"  {d:6.0f} m   {dt:6.2f} s   households covered {hit:,} / {total:,}")
    print("\n4. heatmap rasters (cold: the module's cache emptied first)")
    hm = r["heatmap"]
    if "skipped" in hm:
        print(f"  {hm['skipped']}")
    else:
        for kind, (dt, shape) in hm["kinds"].items():
            print(f"  {kind:<10} at {hm['cell_m']:g} m cells   {dt:6.2f} s   raster {shape}")
    backend = r["backend_peak_mib"]
    print(
        f"\n5. peak memory: this process {r['python_peak_mib']:.0f} MiB; busiest PostgreSQL "
        f"process {r['server_peak_mib']:.0f} MiB"
        + ("" if backend is None else f"; this connection's backend {backend:.0f} MiB (VmHWM)")
    )
    print("\n6. targets (docs/design.md)")
    return [
        verdict(
            total_s <= TARGET_S,
            f"whole-city station coverage, 300 + 500 + 1000 m, straight: {total_s:.2f} s ≤ "
            f"{TARGET_S:.0f} s (ratio {total_s / TARGET_S:.2f})",
        )
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds of the three distances")
    ap.add_argument("--json", metavar="PATH", help="dump the raw numbers here")
    args = ap.parse_args()
    harness.exit_on_sigterm()
    # Only the scratch database: bench_setup points Django at it before geo.settings is imported
    # and checks where it connected.
    harness.bench_setup(db=DEFAULT_DB)
    r = measure(args)
    r["targets"] = report(r)
    if args.json:
        harness.json_dump(args.json, r)


if __name__ == "__main__":
    main()

"""Known rule violations planted by `build_demo_city --with-defects`, for the validators to find.

Each defect is placed in its own community so they do not interact, and each returns a record of
what the boundary check must report: the rule, the features, and a point near the spot.
Strips are 4 m wide: narrower than the 6 m between a block edge and its buildings, so an overlap
does not also split a building by accident.
"""

import shapely
from shapely.geometry import LineString

from .plan import CityPlan

STRIP_M = 4.0


def _grid_geoms(plan: CityPlan) -> dict[str, object]:
    by_grid: dict[str, list] = {}
    for p in plan.parcels:
        by_grid.setdefault(p["grid"], []).append(p["geom"])
    return {g: shapely.union_all(ps) for g, ps in by_grid.items()}


def _neighbours(geoms: dict, code: str, min_shared_m: float):
    g = geoms[code]
    out = []
    for other, h in geoms.items():
        if other != code and other[:12] == code[:12] and g.intersects(h):
            shared = g.boundary.intersection(h.boundary)
            if shared.length >= min_shared_m:
                out.append((other, shared))
    return sorted(out, key=lambda t: (-t[1].length, t[0]))


def defects_apply(plan: CityPlan) -> list[dict]:
    geoms = _grid_geoms(plan)
    used_comms: set[str] = set()
    defects: list[dict] = []
    grid_by_code = {g["code"]: g for g in plan.grids}

    def candidates(min_grids: int):
        counts: dict[str, int] = {}
        for g in plan.grids:
            counts[g["community"]] = counts.get(g["community"], 0) + 1
        for g in plan.grids:
            if counts[g["community"]] >= min_grids and g["community"] not in used_comms:
                yield g["code"]

    # 1. Overlap: a grid drawn 4 m into its neighbour.
    for a in candidates(3):
        nbs = _neighbours(geoms, a, 40.0)
        if nbs:
            b, _ = nbs[0]
            strip = geoms[a].buffer(STRIP_M, join_style="mitre").intersection(geoms[b])
            grid_by_code[a].update(geom_source="freehand", geom=shapely.union_all([geoms[a], strip]))
            # The micro-grid along the strip takes it too, so the overlap is the only violation.
            mg = _microgrid_geoms(plan, a)
            m = max(mg, key=lambda code: (mg[code].intersection(strip).length, code))
            _microgrid_redraw(plan, m, shapely.union_all([mg[m], strip]))
            used_comms.add(a[:12])
            defects.append({"rule": "overlap", "codes": sorted([a, b]), "where": strip.representative_point()})
            break
    # 2. Gap: a grid that leaves out one of its empty parcels on the community edge.
    occupied = {b["parcel"] for b in plan.buildings}
    for c in candidates(2):
        members = [i for i, p in enumerate(plan.parcels) if p["grid"] == c]
        comm = next(x for x in plan.communities if x["code"] == c[:12])
        mg_size: dict[str, int] = {}
        for i in members:
            mg_size[plan.parcels[i]["microgrid"]] = mg_size.get(plan.parcels[i]["microgrid"], 0) + 1
        empty_edge = [i for i in members if i not in occupied
                      and plan.parcels[i]["geom"].intersects(comm["geom"].boundary)
                      and plan.parcels[i]["geom"].area > 500
                      and mg_size[plan.parcels[i]["microgrid"]] > 1]
        if empty_edge and len(members) > 1:
            hole = empty_edge[0]
            rest = shapely.union_all([plan.parcels[i]["geom"] for i in members if i != hole])
            grid_by_code[c].update(geom_source="freehand", geom=rest)
            m = plan.parcels[hole]["microgrid"]
            _microgrid_redraw(plan, m, shapely.union_all(
                [p["geom"] for i, p in enumerate(plan.parcels) if p["microgrid"] == m and i != hole]))
            used_comms.add(c[:12])
            defects.append({"rule": "gap", "codes": [c[:12]],
                            "where": plan.parcels[hole]["geom"].representative_point()})
            break
    # 3. Split building: a new building drawn across the edge between two grids.
    for d in candidates(2):
        for e, shared in _neighbours(geoms, d, 60.0):
            line = shapely.line_merge(shared)
            line = max(shapely.get_parts(line), key=lambda ln: ln.length)
            if line.length < 60:
                continue
            mid = line.interpolate(0.5, normalized=True)
            ahead = line.interpolate(min(line.length, line.project(mid) + 8.0))
            behind = line.interpolate(max(0.0, line.project(mid) - 8.0))
            footprint = LineString([behind, ahead]).buffer(STRIP_M, cap_style="flat")
            comm = d[:12]
            n = 9000 + len(defects)
            parcel = next(i for i, p in enumerate(plan.parcels)
                          if p["grid"] == d and p["geom"].intersects(footprint))
            code = f"{comm}{n:04d}"
            plan.buildings.append({"code": code, "name": "新建楼", "community": comm, "xiaoqu": None,
                                   "geom": footprint, "households": 24, "units": 1, "floors": 6,
                                   "parcel": parcel})
            used_comms.add(comm)
            defects.append({"rule": "split_building", "codes": [code], "grids": sorted([d, e]),
                            "where": mid})
            break
        if defects and defects[-1]["rule"] == "split_building":
            break
    # 4. Code clash: a grid (and its micro-grids) coded under another community.
    for f in candidates(2):
        other = next(c["code"] for c in plan.communities if c["code"] != f[:12])
        new = f"{other}9{f[-2:]}"
        _grid_recode(plan, old=f, new=new)
        used_comms.add(f[:12])
        defects.append({"rule": "code_parent", "codes": [new],
                        "where": geoms[f].representative_point()})
        break
    # 5. Micro-grid outside its grid: drawn 4 m into the neighbouring grid.
    mgeoms: dict[str, list] = {}
    for p in plan.parcels:
        mgeoms.setdefault(p["microgrid"], []).append(p["geom"])
    for g in candidates(2):
        nbs = _neighbours(geoms, g, 40.0)
        if not nbs:
            continue
        other, shared = nbs[0]
        for m in sorted(x["code"] for x in plan.microgrids if x["grid"] == g):
            mg = shapely.union_all(mgeoms[m])
            if mg.intersection(shared).length > 20:
                strip = mg.buffer(STRIP_M, join_style="mitre").intersection(geoms[other])
                _microgrid_redraw(plan, m, shapely.union_all([mg, strip]))
                used_comms.add(g[:12])
                defects.append({"rule": "outside_parent", "codes": [m],
                                "where": strip.representative_point()})
                break
        if defects and defects[-1]["rule"] == "outside_parent":
            break
    plan.defects = [{k: (v.wkt if isinstance(v, shapely.Geometry) else v) for k, v in d.items()}
                    for d in defects]
    return defects


def _microgrid_geoms(plan: CityPlan, grid: str) -> dict[str, object]:
    by: dict[str, list] = {}
    for p in plan.parcels:
        if p["grid"] == grid:
            by.setdefault(p["microgrid"], []).append(p["geom"])
    return {m: shapely.union_all(ps) for m, ps in sorted(by.items())}


def _microgrid_redraw(plan: CityPlan, code: str, geom) -> None:
    rec = next(x for x in plan.microgrids if x["code"] == code)
    rec.update(geom_source="freehand", geom=geom)


def _grid_recode(plan: CityPlan, *, old: str, new: str) -> None:
    for g in plan.grids:
        if g["code"] == old:
            g["code"] = new
    for m in plan.microgrids:
        if m["grid"] == old:
            m["grid"] = new
            m["code"] = new + m["code"][15:]
    recode = {m_old: new + m_old[15:] for m_old in {p["microgrid"] for p in plan.parcels
                                                     if p["grid"] == old}}
    for p in plan.parcels:
        if p["grid"] == old:
            p["grid"] = new
            p["microgrid"] = recode[p["microgrid"]]
    for w in plan.workers:
        if w.get("grid") == old:
            w["grid"] = new
        if w.get("micro_grid") in recode:
            w["micro_grid"] = recode[w["micro_grid"]]

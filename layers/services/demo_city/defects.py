"""Known rule violations planted by `build_demo_city --with-defects`, for the validators to find.

Each defect is placed in its own community so they do not interact, and each returns a record of
what the boundary check must report: the rule, the features, and a point near the spot.
Strips are 4 m wide: narrower than the 6 m between a block edge and its buildings, so an overlap
does not also split a building by accident.
"""

from collections import Counter

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
    """Plant one defect of each kind; record them in plan.defects (geometry as WKT)."""
    planter = _Planter(plan)
    defects = [
        d
        for d in (
            planter.overlap(),
            planter.gap(),
            planter.split_building(),
            planter.code_clash(),
            planter.microgrid_outside(),
        )
        if d
    ]
    plan.defects = [
        {k: (v.wkt if isinstance(v, shapely.Geometry) else v) for k, v in d.items()}
        for d in defects
    ]
    return defects


class _Planter:
    def __init__(self, plan: CityPlan):
        self.plan = plan
        self.geoms = _grid_geoms(plan)
        self.used: set[str] = set()
        self.grid_by_code = {g["code"]: g for g in plan.grids}

    def candidates(self, min_grids: int):
        """Grid codes in communities with enough grids and no defect yet."""
        counts: dict[str, int] = {}
        for g in self.plan.grids:
            counts[g["community"]] = counts.get(g["community"], 0) + 1
        for g in self.plan.grids:
            if counts[g["community"]] >= min_grids and g["community"] not in self.used:
                yield g["code"]

    def overlap(self):
        """A grid drawn 4 m into its neighbour."""
        for a in self.candidates(3):
            nbs = _neighbours(self.geoms, a, 40.0)
            if not nbs:
                continue
            b, _ = nbs[0]
            strip = self.geoms[a].buffer(STRIP_M, join_style="mitre").intersection(self.geoms[b])
            self.grid_by_code[a].update(
                geom_source="freehand", geom=shapely.union_all([self.geoms[a], strip])
            )
            # The micro-grid along the strip takes it too, so the overlap is the only violation.
            mg = _microgrid_geoms(self.plan, a)
            m = max(mg, key=lambda code: (mg[code].intersection(strip).length, code))
            _microgrid_redraw(self.plan, m, shapely.union_all([mg[m], strip]))
            self.used.add(a[:12])
            return {
                "rule": "overlap",
                "codes": sorted([a, b]),
                "where": strip.representative_point(),
            }
        return None

    def gap(self):
        """A grid that leaves out one of its empty parcels on the community edge."""
        plan = self.plan
        occupied = {b["parcel"] for b in plan.buildings}
        for c in self.candidates(2):
            members = [i for i, p in enumerate(plan.parcels) if p["grid"] == c]
            edge = next(x for x in plan.communities if x["code"] == c[:12])["geom"].boundary
            mg_size = Counter(plan.parcels[i]["microgrid"] for i in members)
            holes = [
                i
                for i in members
                if i not in occupied
                and plan.parcels[i]["geom"].intersects(edge)
                and plan.parcels[i]["geom"].area > 500
                and mg_size[plan.parcels[i]["microgrid"]] > 1
            ]
            if not holes or len(members) < 2:
                continue
            hole = holes[0]
            rest = shapely.union_all([plan.parcels[i]["geom"] for i in members if i != hole])
            self.grid_by_code[c].update(geom_source="freehand", geom=rest)
            m = plan.parcels[hole]["microgrid"]
            _microgrid_redraw(
                plan,
                m,
                shapely.union_all(
                    [
                        p["geom"]
                        for i, p in enumerate(plan.parcels)
                        if p["microgrid"] == m and i != hole
                    ]
                ),
            )
            self.used.add(c[:12])
            return {
                "rule": "gap",
                "codes": [c[:12]],
                "where": plan.parcels[hole]["geom"].representative_point(),
            }
        return None

    def split_building(self):
        """A new building drawn across the edge between two grids."""
        for d in self.candidates(2):
            for e, shared in _neighbours(self.geoms, d, 60.0):
                line = max(shapely.get_parts(shapely.line_merge(shared)), key=lambda ln: ln.length)
                if line.length < 60:
                    continue
                mid = line.interpolate(0.5, normalized=True)
                ahead = line.interpolate(min(line.length, line.project(mid) + 8.0))
                behind = line.interpolate(max(0.0, line.project(mid) - 8.0))
                footprint = LineString([behind, ahead]).buffer(STRIP_M, cap_style="flat")
                parcel = next(
                    i
                    for i, p in enumerate(self.plan.parcels)
                    if p["grid"] == d and p["geom"].intersects(footprint)
                )
                code = f"{d[:12]}9001"
                self.plan.buildings.append(
                    {
                        "code": code,
                        "name": "新建楼",
                        "community": d[:12],
                        "xiaoqu": None,
                        "geom": footprint,
                        "households": 24,
                        "units": 1,
                        "floors": 6,
                        "parcel": parcel,
                    }
                )
                self.used.add(d[:12])
                return {
                    "rule": "split_building",
                    "codes": [code],
                    "grids": sorted([d, e]),
                    "where": mid,
                }
        return None

    def code_clash(self):
        """A grid (and its micro-grids) coded under another community."""
        for f in self.candidates(2):
            other = next(c["code"] for c in self.plan.communities if c["code"] != f[:12])
            new = f"{other}9{f[-2:]}"
            _grid_recode(self.plan, old=f, new=new)
            self.used.add(f[:12])
            return {
                "rule": "code_parent",
                "codes": [new],
                "where": self.geoms[f].representative_point(),
            }
        return None

    def microgrid_outside(self):
        """A micro-grid drawn 4 m into the neighbouring grid."""
        for g in self.candidates(2):
            nbs = _neighbours(self.geoms, g, 40.0)
            if not nbs:
                continue
            other, shared = nbs[0]
            mg = _microgrid_geoms(self.plan, g)
            for m in mg:
                if mg[m].intersection(shared).length > 20:
                    strip = (
                        mg[m].buffer(STRIP_M, join_style="mitre").intersection(self.geoms[other])
                    )
                    _microgrid_redraw(self.plan, m, shapely.union_all([mg[m], strip]))
                    self.used.add(g[:12])
                    return {
                        "rule": "outside_parent",
                        "codes": [m],
                        "where": strip.representative_point(),
                    }
        return None


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
    recode = {
        m_old: new + m_old[15:]
        for m_old in {p["microgrid"] for p in plan.parcels if p["grid"] == old}
    }
    for p in plan.parcels:
        if p["grid"] == old:
            p["grid"] = new
            p["microgrid"] = recode[p["microgrid"]]
    for w in plan.workers:
        if w.get("grid") == old:
            w["grid"] = new
        if w.get("micro_grid") in recode:
            w["micro_grid"] = recode[w["micro_grid"]]

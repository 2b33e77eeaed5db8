"""Filling one community: compounds, buildings, addresses, grids, micro-grids, its service
centre and compound stations, and the people attached to them."""

import functools
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer

from geo.srid import STORAGE_SRID

from .common import chunks_balanced, reading_order, rng_for
from .interior import community_interior
from .names import (
    PROPERTY_COMPANIES,
    compound_name,
    person_name,
    phone,
    pick,
    road_name,
)
from .roads import community_roads

KIND_CODES = {
    "old": "old",
    "commercial": "commercial",
    "work_unit": "work_unit",
    "redeveloped": "redeveloped",
}


def to_storage_valid(geoms, *, srid: int) -> bool:
    """Are these metric geometries still valid once turned into storage lon/lat?"""
    arr = np.array(geoms, dtype=object)
    tr = _transformer(srid)
    moved = shapely.transform(arr, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return bool(shapely.is_valid(moved).all())


@functools.cache
def _transformer(srid: int) -> Transformer:
    return Transformer.from_crs(srid, STORAGE_SRID, always_xy=True)


def community_fill(*, plan, rec, district, seed, names, east: float, srid: int):
    # One generator for the whole community, drawn step by step: the steps' order is the city.
    rng = rng_for(seed, "community", rec["code"])
    inner = _interior_valid(rec, rng=rng, srid=srid)
    compounds = _compounds_add(plan, rec=rec, inner=inner, rng=rng, names=names)
    doors = _Doors.along_new_roads(plan, rec=rec, inner=inner, rng=rng, names=names)
    compounds.addresses_give(doors)
    parcel_hh = _buildings_add(
        plan, rec=rec, district=district, inner=inner, compounds=compounds, doors=doors
    )
    grids_make(plan=plan, rec=rec, inner=inner, parcel_hh=parcel_hh, rng=rng)
    _service_centre_add(plan, rec=rec, inner=inner, doors=doors, parcel_hh=parcel_hh)
    _compound_stations_add(plan, rec=rec, inner=inner, compounds=compounds, east=east, rng=rng)


def _interior_valid(rec, *, rng, srid: int):
    for _attempt in range(8):
        theta = float(rng.uniform(-35, 35))
        inner = community_interior(geom=rec["geom"], rng=rng, theta_deg=theta)
        # A street passing nanometres from a corner of the community edge leaves a parcel that
        # is valid in metres and self-intersects in degrees: draw the streets again.
        if to_storage_valid([*inner.parcels, *(b.footprint for b in inner.buildings)], srid=srid):
            return inner
    raise RuntimeError(f"community {rec['code']}: no valid street layout in 8 attempts")


@dataclass
class _Doors:
    """The community's roads, the last door number given on each, and the community's
    generator that draws the next."""

    roads: list[str]
    last: dict[str, int]
    rng: np.random.Generator

    @classmethod
    def along_new_roads(cls, plan, *, rec, inner, rng, names) -> "_Doors":
        """Roads of the community, added to the plan, and where door numbers start on each."""
        roads = [names["road"].take(road_name(rng)) for _ in range(int(rng.integers(2, 5)))]
        plan.roads.extend(
            community_roads(geom=rec["geom"], streets=inner.streets, road_names=roads)
        )
        return cls(roads, {r: int(rng.integers(1, 40)) for r in roads}, rng)

    def next(self, road: str) -> int:
        self.last[road] += int(self.rng.integers(1, 4))
        return self.last[road]


@dataclass
class _Compounds:
    """Per compound (its index in the interior): code, name, and its address's road and door."""

    codes: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    road: dict[int, str] = field(default_factory=dict)
    door: dict[int, int] = field(default_factory=dict)

    def addresses_give(self, doors: _Doors) -> None:
        self.road = {ci: pick(doors.rng, doors.roads) for ci in sorted(self.codes)}
        self.door = {ci: doors.next(self.road[ci]) for ci in sorted(self.codes)}


def _compounds_add(plan, *, rec, inner, rng, names) -> _Compounds:
    """Compounds, in reading order, with their organisations (some have none: coverage gaps)."""
    out = _Compounds()
    for n, ci in enumerate(reading_order([c.geom for c in inner.compounds], 150.0), start=1):
        c = inner.compounds[ci]
        out.codes[ci] = f"{rec['code']}{n:03d}"
        out.names[ci] = names["xiaoqu"].take(compound_name(rng, c.kind))
        plan.xiaoqus.append(
            _compound_record(c, code=out.codes[ci], name=out.names[ci], rec=rec, rng=rng)
        )
        if rng.random() < 0.2:
            plan.aliases.append({"xiaoqu": out.codes[ci], "alias": out.names[ci][:2] + "小区"})
    return out


def _compound_record(c, *, code: str, name: str, rec, rng) -> dict:
    old = c.kind in ("old", "work_unit")
    return {
        "code": code,
        "name": name,
        "community": rec["code"],
        "kind": KIND_CODES[c.kind],
        "geom": c.geom,
        "property_company": "" if old and rng.random() < 0.45 else pick(rng, PROPERTY_COMPANIES),
        "owners_committee": "" if rng.random() < (0.6 if old else 0.3) else "业主委员会",
        "party_organisation": "" if rng.random() < (0.35 if old else 0.2) else "党支部",
    }


def _buildings_add(plan, *, rec, district, inner, compounds: _Compounds, doors: _Doors):
    """Buildings in reading order, each with its address and, often, a building head; returns
    the households of each parcel."""
    in_xq_count: dict[int, int] = {}
    parcel_hh = [0] * len(inner.parcels)
    for n, bi in enumerate(reading_order([b.footprint for b in inner.buildings], 40.0), start=1):
        b = inner.buildings[bi]
        bcode = f"{rec['code']}{n:04d}"
        if b.compound is not None:
            in_xq_count[b.compound] = in_xq_count.get(b.compound, 0) + 1
            bname = f"{in_xq_count[b.compound]}栋"
            road, no = compounds.road[b.compound], compounds.door[b.compound]
            text = f"{district.name}{road}{no}号{compounds.names[b.compound]}{bname}"
        else:
            road = pick(doors.rng, doors.roads)
            no = doors.next(road)
            bname = f"{road}{no}号楼"
            text = f"{district.name}{road}{no}号"
        plan.buildings.append(
            _building_record(b, code=bcode, name=bname, rec=rec, plan=plan, compounds=compounds)
        )
        plan.addresses.append(
            {
                "text": text,
                "normalized": unicodedata.normalize("NFKC", text),
                "building": bcode,
                "geom": b.footprint.representative_point(),
            }
        )
        parcel_hh[b.face] += b.households
        if doors.rng.random() < 0.35:
            plan.workers.append(_worker(doors.rng, "building_head", building=bcode))
    return parcel_hh


def _building_record(b, *, code: str, name: str, rec, plan, compounds: _Compounds) -> dict:
    return {
        "code": code,
        "name": name,
        "community": rec["code"],
        "xiaoqu": compounds.codes.get(b.compound) if b.compound is not None else None,
        "geom": b.footprint,
        "households": b.households,
        "units": b.units,
        "floors": b.floors,
        "parcel": len(plan.parcels) + b.face,
    }


def _worker(rng, role: str, **where) -> dict:
    return {"role": role, "name": person_name(rng), "phone": phone(rng), **where}


def _service_centre_add(plan, *, rec, inner, doors: _Doors, parcel_hh: list[int]) -> None:
    """Every community runs a party-mass service centre (as in Wuhan), but where it stands is
    chance: often at one end of the community."""
    rng = doors.rng
    empty = [k for k, hh in enumerate(parcel_hh) if hh == 0] or list(range(len(inner.parcels)))
    spot = inner.parcels[pick(rng, empty)].representative_point()
    plan.stations.append(
        {
            "name": f"{rec['name']}党群服务中心",
            "level": "community",
            "street": rec["street"],
            "community": rec["code"],
            "xiaoqu": None,
            "geom": spot,
            "address": f"{pick(rng, doors.roads)}{int(rng.integers(1, 200))}号",
        }
    )


def _compound_stations_add(plan, *, rec, inner, compounds: _Compounds, east: float, rng):
    """Compound stations are sparse and commoner in the east, so the west has real
    walking-distance gaps."""
    for ci, xq in sorted(compounds.codes.items()):
        kind = inner.compounds[ci].kind
        p = (0.26 if kind == "commercial" else 0.07) * (0.2 + 1.2 * east)
        if rng.random() < p:
            plan.stations.append(
                {
                    "name": f"{compounds.names[ci]}党群服务驿站",
                    "level": "xiaoqu",
                    "street": rec["street"],
                    "community": rec["code"],
                    "xiaoqu": xq,
                    "geom": inner.compounds[ci].geom.representative_point(),
                    "address": f"{compounds.road[ci]}{compounds.door[ci]}号",
                }
            )


def grids_make(*, plan, rec, inner, parcel_hh, rng):
    """Grids from the serpentine parcel sequence cut at block edges into ~400-household runs;
    micro-grids from each grid's run cut at parcel edges into ~70-household runs."""
    seq = sorted(range(len(inner.parcels)), key=lambda k: inner.parcel_order[k])
    weights = [parcel_hh[k] for k in seq]
    k = _grid_count(sum(weights), rng)
    cells = [inner.parcel_cell[s] for s in seq]
    # Cut between blocks where it balances well enough, inside a block (between buildings) when
    # that is 80 households closer to an even share.
    block_edge = [i == 0 or cells[i] != cells[i - 1] for i in range(len(seq))]
    cut_ok = [block_edge[i] or weights[i] > 0 for i in range(len(seq))]
    g_label = chunks_balanced(weights, cut_ok, k, preferred=block_edge, penalty=80.0)
    runs = _runs(g_label, seq, inner.parcels)
    base = len(plan.parcels)
    parcel_recs = [
        {"community": rec["code"], "grid": None, "microgrid": None, "geom": f}
        for f in inner.parcels
    ]
    for gn, gi in enumerate(reading_order([g for _, g in runs], 200.0), start=1):
        members = runs[gi][0]
        gcode = f"{rec['code']}{gn:03d}"
        gname = f"{rec['name']}第{gn}网格"
        plan.grids.append(
            {
                "code": gcode,
                "name": gname,
                "community": rec["code"],
                "geom_source": "parcels",
                "geom": None,
            }
        )
        plan.workers.append(_worker(rng, "grid_worker", grid=gcode))
        if rng.random() < 0.5:
            plan.workers.append(_worker(rng, "grid_head", grid=gcode))
        _microgrids_make(
            plan,
            grid=(gcode, gname),
            members=members,
            inner=inner,
            parcel_hh=parcel_hh,
            parcel_recs=parcel_recs,
            rng=rng,
        )
    assert len(plan.parcels) == base
    plan.parcels.extend(parcel_recs)


def _grid_count(households: int, rng) -> int:
    k = max(1, round(households / rng.uniform(340, 410)))
    if k > 1 and rng.random() < 0.1:
        k -= 1  # an under-staffed community: its grids run over the band
    return k


def _runs(labels: list[int], members: list[int], parcels) -> list[tuple[list[int], object]]:
    """Per label, in label order: its members (parcel indices) and the union of their
    parcels."""
    groups: dict[int, list[int]] = {}
    for pos, lab in enumerate(labels):
        groups.setdefault(lab, []).append(members[pos])
    return [
        (groups[lab], shapely.union_all([parcels[p] for p in groups[lab]]))
        for lab in sorted(groups)
    ]


def _microgrids_make(plan, *, grid, members, inner, parcel_hh, parcel_recs, rng) -> None:
    """The grid's run (`members`) cut at parcel edges into ~70-household micro-grids, each
    with its building head and, sometimes, a volunteer."""
    gcode, gname = grid
    w = [parcel_hh[p] for p in members]
    m = max(1, min(sum(1 for x in w if x > 0), round(sum(w) / rng.uniform(60, 80))))
    m_label = chunks_balanced(w, [i == 0 or w[i] > 0 for i in range(len(w))], m)
    runs = _runs(m_label, members, inner.parcels)
    for mn, mi in enumerate(reading_order([g for _, g in runs], 60.0), start=1):
        mcode = f"{gcode}{mn:03d}"
        plan.microgrids.append(
            {
                "code": mcode,
                "name": f"{gname}{mn}号微网格",
                "grid": gcode,
                "geom_source": "parcels",
                "geom": None,
            }
        )
        for p in runs[mi][0]:
            parcel_recs[p]["grid"] = gcode
            parcel_recs[p]["microgrid"] = mcode
        plan.workers.append(_worker(rng, "building_head", micro_grid=mcode))
        if rng.random() < 0.1:
            plan.workers.append(_worker(rng, "volunteer", micro_grid=mcode))

"""The whole demo city as records in metres (the metric CRS), before it meets the database.

Pure and deterministic: the same scale and seed give the same plan, byte for byte (every random
draw comes from a generator seeded by (seed, purpose, index), never from iteration order).
"""

import hashlib
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import shapely
from tqdm import tqdm

from .divisions import divisions_pick
from .interior import community_interior
from .names import (PROPERTY_COMPANIES, UniqueNames, compound_name, person_name, phone, pick,
                    road_name, unit_name)
from .partition import extent_for, groups_split, land_partition, seeds_make, water_make


@dataclass(frozen=True)
class Scale:
    districts: int
    streets: int
    communities: int
    units: int
    lakes: int


SCALES = {
    "tiny": Scale(districts=1, streets=1, communities=2, units=3, lakes=0),
    "small": Scale(districts=1, streets=3, communities=12, units=20, lakes=1),
    "city": Scale(districts=13, streets=170, communities=1430, units=1800, lakes=10),
}
AREA_PER_COMMUNITY_M2 = 320_000.0
KIND_CODES = {"old": "old", "commercial": "commercial", "work_unit": "work_unit",
              "redeveloped": "redeveloped"}


@dataclass
class CityPlan:
    scale: str
    seed: int
    extent: object = None
    water: object = None
    districts: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    grids: list = field(default_factory=list)
    microgrids: list = field(default_factory=list)
    parcels: list = field(default_factory=list)
    xiaoqus: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    buildings: list = field(default_factory=list)
    addresses: list = field(default_factory=list)
    stations: list = field(default_factory=list)
    units: list = field(default_factory=list)
    pairings: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    defects: list = field(default_factory=list)

    def digest(self) -> str:
        """A hash of every record and geometry: equal digests mean identical cities."""
        h = hashlib.sha256()
        for name in ("districts", "streets", "communities", "grids", "microgrids", "parcels",
                     "xiaoqus", "aliases", "buildings", "addresses", "stations", "units",
                     "pairings", "workers", "defects"):
            for rec in getattr(self, name):
                for k in sorted(rec):
                    v = rec[k]
                    h.update(k.encode())
                    h.update(shapely.to_wkb(v) if isinstance(v, shapely.Geometry)
                             else repr(v).encode())
        return h.hexdigest()


def rng_for(seed: int, *key) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def reading_order(geoms, band_m: float) -> list[int]:
    """Indices sorted north→south in bands, west→east inside a band (codes follow this)."""
    cs = shapely.centroid(np.array(geoms, dtype=object))
    xs, ys = shapely.get_x(cs), shapely.get_y(cs)
    return sorted(range(len(geoms)), key=lambda k: (-np.floor(ys[k] / band_m), xs[k], -ys[k]))


def chunks_balanced(weights: list[int], cut_ok: list[bool], k: int,
                    preferred: list[bool] | None = None, penalty: float = 0.0) -> list[int]:
    """Label a sequence into at most k consecutive chunks of near-equal weight, cutting only
    where cut_ok allows, and off the `preferred` places only when that is `penalty` closer."""
    n = len(weights)
    labels = [0] * n
    if k <= 1 or n <= 1:
        return labels
    cum = np.cumsum(weights)
    total = cum[-1]
    cuts, last = [], 0
    allowed = [i for i in range(1, n) if cut_ok[i]]
    for m in range(1, k):
        target = total * m / k
        cands = [p for p in allowed if p > last]
        if not cands:
            break
        p = min(cands, key=lambda p: (abs(cum[p - 1] - target)
                                      + (0 if preferred is None or preferred[p] else penalty), p))
        if p <= last:
            continue
        cuts.append(p)
        last = p
    c = 0
    for i in range(n):
        if c < len(cuts) and i >= cuts[c]:
            c += 1
        labels[i] = c
    return labels


def city_plan(*, scale: str, seed: int, centre: tuple[float, float], progress: bool = False
              ) -> CityPlan:
    """Generate the city around `centre` (metres, metric CRS)."""
    sc = SCALES[scale]
    plan = CityPlan(scale=scale, seed=seed)
    picks = divisions_pick(districts=sc.districts, streets=sc.streets, communities=sc.communities)
    n_comm = sum(len(s.communities) for d in picks for s in d.streets)
    plan.extent = extent_for(n_communities=n_comm, area_per_community_m2=AREA_PER_COMMUNITY_M2,
                             centre=centre)
    plan.water = water_make(rng=rng_for(seed, "water"), extent=plan.extent, n_lakes=sc.lakes)
    land = plan.extent.difference(plan.water)
    seeds = seeds_make(rng=rng_for(seed, "seeds"), land=land, n=n_comm)

    # Hierarchy by recursive bisection: districts, then streets inside each district.
    d_sizes = [sum(len(s.communities) for s in d.streets) for d in picks]
    d_groups = groups_split(points=seeds, idx=np.arange(n_comm), sizes=d_sizes,
                            rng=rng_for(seed, "districts"))
    comm_geoms = land_partition(seeds=seeds, extent=plan.extent, water=plan.water)
    comm_records = []
    for d, d_idx in zip(picks, d_groups, strict=True):
        s_groups = groups_split(points=seeds, idx=d_idx, sizes=[len(s.communities) for s in d.streets],
                                rng=rng_for(seed, "streets", d.code))
        d_geoms = []
        for s, s_idx in zip(d.streets, s_groups, strict=True):
            geoms = [comm_geoms[i] for i in s_idx]
            s_geom = shapely.union_all(geoms)
            d_geoms.append(s_geom)
            plan.streets.append({"code": s.code, "name": s.name, "district": d.code,
                                 "geom": s_geom})
            # Real codes in reading order inside their street.
            for (code, name, ur), gi in zip(s.communities, reading_order(geoms, 400.0), strict=True):
                rec = {"code": code, "name": name, "street": s.code, "ur": ur, "geom": geoms[gi]}
                plan.communities.append(rec)
                comm_records.append((rec, d))
        plan.districts.append({"code": d.code, "name": d.name, "geom": shapely.union_all(d_geoms)})

    x0, _, x1, _ = plan.extent.bounds
    names = {"xiaoqu": UniqueNames(), "road": UniqueNames(), "unit": UniqueNames()}
    iterator = tqdm(comm_records, desc="communities", unit="comm", disable=not progress)
    for rec, d in iterator:
        _community_fill(plan=plan, rec=rec, district=d, seed=seed, names=names,
                        east=(rec["geom"].centroid.x - x0) / (x1 - x0))
    _streets_stations(plan=plan, seed=seed)
    _units_pairings(plan=plan, seed=seed, n_units=sc.units, names=names)
    return plan


def _community_fill(*, plan, rec, district, seed, names, east: float):
    code = rec["code"]
    rng = rng_for(seed, "community", code)
    theta = float(rng.uniform(-35, 35))
    inner = community_interior(geom=rec["geom"], rng=rng, theta_deg=theta)

    # Compounds, in reading order, with their organisations (some have none: coverage gaps).
    xq_codes, xq_names = {}, {}
    for n, ci in enumerate(reading_order([c.geom for c in inner.compounds], 150.0), start=1):
        c = inner.compounds[ci]
        xq = f"{code}{n:03d}"
        xq_codes[ci] = xq
        old = c.kind in ("old", "work_unit")
        xq_names[ci] = names["xiaoqu"].take(compound_name(rng, c.kind))
        plan.xiaoqus.append({
            "code": xq, "name": xq_names[ci],
            "community": code, "kind": KIND_CODES[c.kind], "geom": c.geom,
            "property_company": "" if old and rng.random() < 0.45 else pick(rng, PROPERTY_COMPANIES),
            "owners_committee": "" if rng.random() < (0.6 if old else 0.3) else "业主委员会",
            "party_organisation": "" if rng.random() < (0.35 if old else 0.2) else "党支部",
        })
        if rng.random() < 0.2:
            plan.aliases.append({"xiaoqu": xq, "alias": plan.xiaoqus[-1]["name"][:2] + "小区"})

    # Roads of the community and door numbers along them.
    roads = [names["road"].take(road_name(rng)) for _ in range(int(rng.integers(2, 5)))]
    door = {r: int(rng.integers(1, 40)) for r in roads}

    def address_for(road: str) -> int:
        door[road] += int(rng.integers(1, 4))
        return door[road]

    xq_road = {ci: pick(rng, roads) for ci in sorted(xq_codes)}
    xq_door = {ci: address_for(xq_road[ci]) for ci in sorted(xq_codes)}
    b_order = reading_order([b.footprint for b in inner.buildings], 40.0)
    in_xq_count: dict[int, int] = {}
    parcel_hh = [0] * len(inner.parcels)
    parcel_buildings: list[list[str]] = [[] for _ in inner.parcels]
    for n, bi in enumerate(b_order, start=1):
        b = inner.buildings[bi]
        bcode = f"{code}{n:04d}"
        if b.compound is not None:
            in_xq_count[b.compound] = in_xq_count.get(b.compound, 0) + 1
            bname = f"{in_xq_count[b.compound]}栋"
            xq_rec_name = xq_names[b.compound]
            road, no = xq_road[b.compound], xq_door[b.compound]
            text = f"{district.name}{road}{no}号{xq_rec_name}{bname}"
        else:
            road = pick(rng, roads)
            no = address_for(road)
            bname = f"{road}{no}号楼"
            text = f"{district.name}{road}{no}号"
        plan.buildings.append({
            "code": bcode, "name": bname, "community": code,
            "xiaoqu": xq_codes.get(b.compound) if b.compound is not None else None,
            "geom": b.footprint, "households": b.households, "units": b.units,
            "floors": b.floors, "parcel": len(plan.parcels) + b.face,
        })
        plan.addresses.append({"text": text, "normalized": unicodedata.normalize("NFKC", text),
                               "building": bcode, "geom": b.footprint.representative_point()})
        parcel_hh[b.face] += b.households
        parcel_buildings[b.face].append(bcode)
        if rng.random() < 0.35:
            plan.workers.append({"role": "building_head", "name": person_name(rng),
                                 "phone": phone(rng), "building": bcode})

    _grids_make(plan=plan, rec=rec, inner=inner, parcel_hh=parcel_hh, rng=rng)

    # Every community runs a party-mass service centre (as in Wuhan), but where it stands is
    # chance: often at one end of the community. Compound stations are sparse and commoner in
    # the east, so the west has real walking-distance gaps.
    if True:  # noqa: SIM108 - kept as a block for the explanation above
        empty = [k for k, hh in enumerate(parcel_hh) if hh == 0] or list(range(len(inner.parcels)))
        spot = inner.parcels[pick(rng, empty)].representative_point()
        plan.stations.append({"name": f"{rec['name']}党群服务中心", "level": "community",
                              "street": rec["street"], "community": code, "xiaoqu": None,
                              "geom": spot, "address": f"{pick(rng, roads)}{int(rng.integers(1, 200))}号"})
    for ci, xq in sorted(xq_codes.items()):
        kind = inner.compounds[ci].kind
        p = (0.30 if kind == "commercial" else 0.08) * (0.2 + 1.2 * east)
        if rng.random() < p:
            plan.stations.append({"name": f"{xq_names[ci]}党群服务驿站", "level": "xiaoqu",
                                  "street": rec["street"], "community": code, "xiaoqu": xq,
                                  "geom": inner.compounds[ci].geom.representative_point(),
                                  "address": f"{xq_road[ci]}{xq_door[ci]}号"})


def _grids_make(*, plan, rec, inner, parcel_hh, rng):
    """Grids from the serpentine parcel sequence cut at block edges into ~400-household runs;
    micro-grids from each grid's run cut at parcel edges into ~70-household runs."""
    code = rec["code"]
    seq = sorted(range(len(inner.parcels)), key=lambda k: inner.parcel_order[k])
    weights = [parcel_hh[k] for k in seq]
    total = sum(weights)
    k = max(1, round(total / rng.uniform(370, 430)))
    if k > 1 and rng.random() < 0.1:
        k -= 1  # an under-staffed community: its grids run over the band
    cells = [inner.parcel_cell[s] for s in seq]
    # Cut between blocks where it balances well enough, inside a block (between buildings) when
    # that is 80 households closer to an even share.
    block_edge = [i == 0 or cells[i] != cells[i - 1] for i in range(len(seq))]
    cut_ok = [block_edge[i] or weights[i] > 0 for i in range(len(seq))]
    g_label = chunks_balanced(weights, cut_ok, k, preferred=block_edge, penalty=80.0)
    groups: dict[int, list[int]] = {}
    for pos, lab in enumerate(g_label):
        groups.setdefault(lab, []).append(seq[pos])
    labels = sorted(groups)
    g_geoms = [shapely.union_all([inner.parcels[p] for p in groups[lab]]) for lab in labels]
    base = len(plan.parcels)
    parcel_recs = [{"community": code, "grid": None, "microgrid": None, "geom": f}
                   for f in inner.parcels]
    for gn, gi in enumerate(reading_order(g_geoms, 200.0), start=1):
        members = groups[labels[gi]]
        gcode = f"{code}{gn:03d}"
        gname = f"{rec['name']}第{gn}网格"
        plan.grids.append({"code": gcode, "name": gname, "community": code,
                           "geom_source": "parcels", "geom": None})
        plan.workers.append({"role": "grid_worker", "name": person_name(rng), "phone": phone(rng),
                             "grid": gcode})
        if rng.random() < 0.5:
            plan.workers.append({"role": "grid_head", "name": person_name(rng),
                                 "phone": phone(rng), "grid": gcode})
        w = [parcel_hh[p] for p in members]
        m = max(1, min(sum(1 for x in w if x > 0), round(sum(w) / rng.uniform(70, 90))))
        m_label = chunks_balanced(w, [i == 0 or w[i] > 0 for i in range(len(w))], m)
        m_groups: dict[int, list[int]] = {}
        for pos, lab in enumerate(m_label):
            m_groups.setdefault(lab, []).append(members[pos])
        m_labels = sorted(m_groups)
        m_geoms = [shapely.union_all([inner.parcels[p] for p in m_groups[lab]]) for lab in m_labels]
        for mn, mi in enumerate(reading_order(m_geoms, 60.0), start=1):
            mcode = f"{gcode}{mn:03d}"
            plan.microgrids.append({"code": mcode, "name": f"{gname}{mn}号微网格", "grid": gcode,
                                    "geom_source": "parcels", "geom": None})
            for p in m_groups[m_labels[mi]]:
                parcel_recs[p]["grid"] = gcode
                parcel_recs[p]["microgrid"] = mcode
            plan.workers.append({"role": "building_head", "name": person_name(rng),
                                 "phone": phone(rng), "micro_grid": mcode})
            if rng.random() < 0.1:
                plan.workers.append({"role": "volunteer", "name": person_name(rng),
                                     "phone": phone(rng), "micro_grid": mcode})
    assert len(plan.parcels) == base
    plan.parcels.extend(parcel_recs)


def _streets_stations(*, plan, seed):
    """One street party-mass service centre per street, on an empty parcel near its middle."""
    empty_by_comm: dict[str, list] = {}
    occupied = {b["parcel"] for b in plan.buildings}
    for i, p in enumerate(plan.parcels):
        if i not in occupied:
            empty_by_comm.setdefault(p["community"], []).append(p["geom"])
    for s in plan.streets:
        rng = rng_for(seed, "street-station", s["code"])
        c = s["geom"].centroid
        cands = [g for comm in plan.communities if comm["street"] == s["code"]
                 for g in empty_by_comm.get(comm["code"], [])]
        spot = min(cands, key=lambda g: g.distance(c)).representative_point() if cands \
            else s["geom"].representative_point()
        plan.stations.append({"name": f"{s['name']}党群服务中心", "level": "street",
                              "street": s["code"], "community": None, "xiaoqu": None,
                              "geom": spot, "address": f"{s['name']}{int(rng.integers(1, 300))}号"})


def _units_pairings(*, plan, seed, n_units, names):
    """Sent-down units, each paired with one or two communities; about 15 % of communities
    have none (the gap leadership asks about)."""
    rng = rng_for(seed, "units")
    comms = [c["code"] for c in plan.communities]
    order = list(rng.permutation(len(comms)))
    n_paired = max(1, int(round(len(comms) * 0.85))) if len(comms) > 1 else 1
    paired = [comms[i] for i in order[:n_paired]]
    households = {c["code"]: 0 for c in plan.communities}
    for b in plan.buildings:
        households[b["community"]] += b["households"]
    district_of = {s["code"]: s["district"] for s in plan.streets}
    dname = {d["code"]: d["name"] for d in plan.districts}
    comm_by_code = {c["code"]: c for c in plan.communities}
    links: dict[str, list[int]] = {c: [] for c in paired}
    for u in range(n_units):
        home = paired[u] if u < len(paired) else paired[int(rng.integers(len(paired)))]
        d = dname[district_of[comm_by_code[home]["street"]]]
        name, kind = unit_name(rng, district=d, i=u)
        name = names["unit"].take(name)
        plan.units.append({"name": name, "kind": kind,
                           "geom": comm_by_code[home]["geom"].representative_point(),
                           "address": f"{d}{int(rng.integers(1, 500))}号"})
        targets = [home]
        if rng.random() < 0.25 and len(paired) > 1:
            other = paired[int(rng.integers(len(paired)))]
            if other != home:
                targets.append(other)
        for t in targets:
            links[t].append(u)
    for comm in paired:
        for u in links[comm]:
            need = households[comm] / 50 / max(1, len(links[comm]))
            plan.pairings.append({
                "unit": plan.units[u]["name"], "community": comm,
                "since": f"{int(rng.integers(2017, 2025))}-{int(rng.integers(1, 13)):02d}-01",
                "registered_members": int(need * rng.uniform(0.3, 1.4)),
                "tasks": "环境整治\n志愿服务\n困难帮扶",
            })

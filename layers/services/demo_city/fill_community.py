"""Filling one community: compounds, buildings, addresses, grids, micro-grids, its service
centre and compound stations, and the people attached to them."""

import functools
import unicodedata

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
    code = rec["code"]
    rng = rng_for(seed, "community", code)
    for _attempt in range(8):
        theta = float(rng.uniform(-35, 35))
        inner = community_interior(geom=rec["geom"], rng=rng, theta_deg=theta)
        # A street passing nanometres from a corner of the community edge leaves a parcel that
        # is valid in metres and self-intersects in degrees: draw the streets again.
        if to_storage_valid([*inner.parcels, *(b.footprint for b in inner.buildings)], srid=srid):
            break
    else:
        raise RuntimeError(f"community {code}: no valid street layout in 8 attempts")

    # Compounds, in reading order, with their organisations (some have none: coverage gaps).
    xq_codes, xq_names = {}, {}
    for n, ci in enumerate(reading_order([c.geom for c in inner.compounds], 150.0), start=1):
        c = inner.compounds[ci]
        xq = f"{code}{n:03d}"
        xq_codes[ci] = xq
        old = c.kind in ("old", "work_unit")
        xq_names[ci] = names["xiaoqu"].take(compound_name(rng, c.kind))
        plan.xiaoqus.append(
            {
                "code": xq,
                "name": xq_names[ci],
                "community": code,
                "kind": KIND_CODES[c.kind],
                "geom": c.geom,
                "property_company": ""
                if old and rng.random() < 0.45
                else pick(rng, PROPERTY_COMPANIES),
                "owners_committee": "" if rng.random() < (0.6 if old else 0.3) else "业主委员会",
                "party_organisation": "" if rng.random() < (0.35 if old else 0.2) else "党支部",
            }
        )
        if rng.random() < 0.2:
            plan.aliases.append({"xiaoqu": xq, "alias": plan.xiaoqus[-1]["name"][:2] + "小区"})

    # Roads of the community and door numbers along them.
    roads = [names["road"].take(road_name(rng)) for _ in range(int(rng.integers(2, 5)))]
    plan.roads.extend(community_roads(geom=rec["geom"], streets=inner.streets, road_names=roads))
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
        plan.buildings.append(
            {
                "code": bcode,
                "name": bname,
                "community": code,
                "xiaoqu": xq_codes.get(b.compound) if b.compound is not None else None,
                "geom": b.footprint,
                "households": b.households,
                "units": b.units,
                "floors": b.floors,
                "parcel": len(plan.parcels) + b.face,
            }
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
        parcel_buildings[b.face].append(bcode)
        if rng.random() < 0.35:
            plan.workers.append(
                {
                    "role": "building_head",
                    "name": person_name(rng),
                    "phone": phone(rng),
                    "building": bcode,
                }
            )

    grids_make(plan=plan, rec=rec, inner=inner, parcel_hh=parcel_hh, rng=rng)

    # Every community runs a party-mass service centre (as in Wuhan), but where it stands is
    # chance: often at one end of the community. Compound stations are sparse and commoner in
    # the east, so the west has real walking-distance gaps.
    if True:  # kept as a block for the explanation above
        empty = [k for k, hh in enumerate(parcel_hh) if hh == 0] or list(range(len(inner.parcels)))
        spot = inner.parcels[pick(rng, empty)].representative_point()
        plan.stations.append(
            {
                "name": f"{rec['name']}党群服务中心",
                "level": "community",
                "street": rec["street"],
                "community": code,
                "xiaoqu": None,
                "geom": spot,
                "address": f"{pick(rng, roads)}{int(rng.integers(1, 200))}号",
            }
        )
    for ci, xq in sorted(xq_codes.items()):
        kind = inner.compounds[ci].kind
        p = (0.26 if kind == "commercial" else 0.07) * (0.2 + 1.2 * east)
        if rng.random() < p:
            plan.stations.append(
                {
                    "name": f"{xq_names[ci]}党群服务驿站",
                    "level": "xiaoqu",
                    "street": rec["street"],
                    "community": code,
                    "xiaoqu": xq,
                    "geom": inner.compounds[ci].geom.representative_point(),
                    "address": f"{xq_road[ci]}{xq_door[ci]}号",
                }
            )


def grids_make(*, plan, rec, inner, parcel_hh, rng):
    """Grids from the serpentine parcel sequence cut at block edges into ~400-household runs;
    micro-grids from each grid's run cut at parcel edges into ~70-household runs."""
    code = rec["code"]
    seq = sorted(range(len(inner.parcels)), key=lambda k: inner.parcel_order[k])
    weights = [parcel_hh[k] for k in seq]
    total = sum(weights)
    k = max(1, round(total / rng.uniform(340, 410)))
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
    parcel_recs = [
        {"community": code, "grid": None, "microgrid": None, "geom": f} for f in inner.parcels
    ]
    for gn, gi in enumerate(reading_order(g_geoms, 200.0), start=1):
        members = groups[labels[gi]]
        gcode = f"{code}{gn:03d}"
        gname = f"{rec['name']}第{gn}网格"
        plan.grids.append(
            {
                "code": gcode,
                "name": gname,
                "community": code,
                "geom_source": "parcels",
                "geom": None,
            }
        )
        plan.workers.append(
            {"role": "grid_worker", "name": person_name(rng), "phone": phone(rng), "grid": gcode}
        )
        if rng.random() < 0.5:
            plan.workers.append(
                {"role": "grid_head", "name": person_name(rng), "phone": phone(rng), "grid": gcode}
            )
        w = [parcel_hh[p] for p in members]
        m = max(1, min(sum(1 for x in w if x > 0), round(sum(w) / rng.uniform(60, 80))))
        m_label = chunks_balanced(w, [i == 0 or w[i] > 0 for i in range(len(w))], m)
        m_groups: dict[int, list[int]] = {}
        for pos, lab in enumerate(m_label):
            m_groups.setdefault(lab, []).append(members[pos])
        m_labels = sorted(m_groups)
        m_geoms = [shapely.union_all([inner.parcels[p] for p in m_groups[lab]]) for lab in m_labels]
        for mn, mi in enumerate(reading_order(m_geoms, 60.0), start=1):
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
            for p in m_groups[m_labels[mi]]:
                parcel_recs[p]["grid"] = gcode
                parcel_recs[p]["microgrid"] = mcode
            plan.workers.append(
                {
                    "role": "building_head",
                    "name": person_name(rng),
                    "phone": phone(rng),
                    "micro_grid": mcode,
                }
            )
            if rng.random() < 0.1:
                plan.workers.append(
                    {
                        "role": "volunteer",
                        "name": person_name(rng),
                        "phone": phone(rng),
                        "micro_grid": mcode,
                    }
                )
    assert len(plan.parcels) == base
    plan.parcels.extend(parcel_recs)

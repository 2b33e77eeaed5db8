"""City-wide services: street party-mass service centres, sent-down units and their pairings."""

from .common import rng_for
from .names import unit_name


def streets_stations(*, plan, seed):
    """One street party-mass service centre per street, on an empty parcel near its middle."""
    empty_by_comm: dict[str, list] = {}
    occupied = {b["parcel"] for b in plan.buildings}
    for i, p in enumerate(plan.parcels):
        if i not in occupied:
            empty_by_comm.setdefault(p["community"], []).append(p["geom"])
    for s in plan.streets:
        rng = rng_for(seed, "street-station", s["code"])
        c = s["geom"].centroid
        cands = [
            g
            for comm in plan.communities
            if comm["street"] == s["code"]
            for g in empty_by_comm.get(comm["code"], [])
        ]
        spot = (
            min(cands, key=lambda g: g.distance(c)).representative_point()
            if cands
            else s["geom"].representative_point()
        )
        plan.stations.append(
            {
                "name": f"{s['name']}党群服务中心",
                "level": "street",
                "street": s["code"],
                "community": None,
                "xiaoqu": None,
                "geom": spot,
                "address": f"{s['name']}{int(rng.integers(1, 300))}号",
            }
        )


def units_pairings(*, plan, seed, n_units, names):
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
        plan.units.append(
            {
                "name": name,
                "kind": kind,
                "geom": comm_by_code[home]["geom"].representative_point(),
                "address": f"{d}{int(rng.integers(1, 500))}号",
            }
        )
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
            plan.pairings.append(
                {
                    "unit": plan.units[u]["name"],
                    "community": comm,
                    "since": f"{int(rng.integers(2017, 2025))}-{int(rng.integers(1, 13)):02d}-01",
                    "registered_members": int(need * rng.uniform(0.3, 1.4)),
                    "tasks": "环境整治\n志愿服务\n困难帮扶",
                }
            )

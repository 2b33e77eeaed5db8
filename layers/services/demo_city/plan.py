"""The whole demo city as records in metres (the metric CRS), before it meets the database.

Pure and deterministic: the same scale and seed give the same plan, byte for byte (every random
draw comes from a generator seeded by (seed, purpose, index), never from iteration order).
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
import shapely
from tqdm import tqdm

from .common import reading_order, rng_for
from .divisions import divisions_pick
from .fill_community import community_fill
from .fill_services import streets_stations, units_pairings
from .names import UniqueNames
from .partition import extent_for, groups_split, land_partition, seeds_make, water_make
from .roads import arterial_roads


@dataclass(frozen=True)
class Scale:
    districts: int
    streets: int
    communities: int
    units: int
    lakes: int
    area_per_community_m2: float  # land per community: sets how many buildings it holds


SCALES = {
    "tiny": Scale(
        districts=1, streets=1, communities=2, units=3, lakes=0, area_per_community_m2=300_000.0
    ),
    "small": Scale(
        districts=1, streets=3, communities=12, units=20, lakes=1, area_per_community_m2=290_000.0
    ),
    "city": Scale(
        districts=13,
        streets=170,
        communities=1430,
        units=1800,
        lakes=10,
        area_per_community_m2=340_000.0,
    ),
}


PLAN_TABLES = (
    "districts",
    "streets",
    "communities",
    "grids",
    "microgrids",
    "parcels",
    "xiaoqus",
    "aliases",
    "buildings",
    "addresses",
    "stations",
    "roads",
    "units",
    "pairings",
    "workers",
    "defects",
)


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
    roads: list = field(default_factory=list)
    units: list = field(default_factory=list)
    pairings: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    defects: list = field(default_factory=list)

    def digest(self) -> str:
        """A hash of every record and geometry: equal digests mean identical cities."""
        h = hashlib.sha256()
        for name in PLAN_TABLES:
            for rec in getattr(self, name):
                for k in sorted(rec):
                    v = rec[k]
                    h.update(k.encode())
                    h.update(
                        shapely.to_wkb(v) if isinstance(v, shapely.Geometry) else repr(v).encode()
                    )
        return h.hexdigest()


def city_plan(
    *, scale: str, seed: int, centre: tuple[float, float], srid: int, progress: bool = False
) -> CityPlan:
    """Generate the city around `centre`, in metres in the projected CRS `srid`."""
    sc = SCALES[scale]
    plan = CityPlan(scale=scale, seed=seed)
    picks = divisions_pick(districts=sc.districts, streets=sc.streets, communities=sc.communities)
    n_comm = sum(len(s.communities) for d in picks for s in d.streets)
    plan.extent = extent_for(
        n_communities=n_comm, area_per_community_m2=sc.area_per_community_m2, centre=centre
    )
    plan.water = water_make(rng=rng_for(seed, "water"), extent=plan.extent, n_lakes=sc.lakes)
    land = plan.extent.difference(plan.water)
    seeds = seeds_make(rng=rng_for(seed, "seeds"), land=land, n=n_comm)

    # Hierarchy by recursive bisection: districts, then streets inside each district.
    d_sizes = [sum(len(s.communities) for s in d.streets) for d in picks]
    d_groups = groups_split(
        points=seeds, idx=np.arange(n_comm), sizes=d_sizes, rng=rng_for(seed, "districts")
    )
    comm_geoms = land_partition(seeds=seeds, extent=plan.extent, water=plan.water)
    comm_records = []
    for d, d_idx in zip(picks, d_groups, strict=True):
        s_groups = groups_split(
            points=seeds,
            idx=d_idx,
            sizes=[len(s.communities) for s in d.streets],
            rng=rng_for(seed, "streets", d.code),
        )
        d_geoms = []
        for s, s_idx in zip(d.streets, s_groups, strict=True):
            geoms = [comm_geoms[i] for i in s_idx]
            s_geom = shapely.union_all(geoms)
            d_geoms.append(s_geom)
            plan.streets.append(
                {"code": s.code, "name": s.name, "district": d.code, "geom": s_geom}
            )
            # Real codes in reading order inside their street.
            for (code, name, ur), gi in zip(
                s.communities, reading_order(geoms, 400.0), strict=True
            ):
                rec = {"code": code, "name": name, "street": s.code, "ur": ur, "geom": geoms[gi]}
                plan.communities.append(rec)
                comm_records.append((rec, d))
        plan.districts.append({"code": d.code, "name": d.name, "geom": shapely.union_all(d_geoms)})

    x0, _, x1, _ = plan.extent.bounds
    names = {"xiaoqu": UniqueNames(), "road": UniqueNames(), "unit": UniqueNames()}
    iterator = tqdm(comm_records, desc="communities", unit="comm", disable=not progress)
    for rec, d in iterator:
        community_fill(
            plan=plan,
            rec=rec,
            district=d,
            seed=seed,
            names=names,
            srid=srid,
            east=(rec["geom"].centroid.x - x0) / (x1 - x0),
        )
    streets_stations(plan=plan, seed=seed)
    units_pairings(plan=plan, seed=seed, n_units=sc.units, names=names)
    plan.roads.extend(arterial_roads(plan=plan, seed=seed))
    return plan

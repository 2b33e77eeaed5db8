"""A hand-built world with known answers for the analyses (layers/analysis).

Buildings, compounds and stations are placed in the city's METRIC CRS, x metres east of station
S1, then converted to EPSG:4326, so straight distances are known to the millimetre; divisions and
parcels use the factories' offsets (~1.005 m a step), wide enough for what they hold.

    metric x (m):  0    200 240     450        700   800 850             1700
    stations:      S1 (community level)                   S2 (xiaoqu level, inside X)
    buildings:          b200 b240   b450       b700  b800                 b1700
    households:         100  40     60         30    20                   10
    compounds:        Z [150..260]  Y [400..480]  X [650..................860]
    communities:   A (-100..500 steps)    | B (500..1000)  |  C (1500..1900), another street
    parcels/grids: PA1 (-100..300) A1/M1, PA2 (300..500) A1/M2 | PB1 (500..750) B1,
                   PB2 (750..1000) no grid | PC C1

Walk = straight × 1.3 (GRIDATLAS_WALK_DETOUR_FACTOR), to the nearest station of any level:
    b200 260 (S1), b240 312 (S1), b450 520 (S2), b700 195 (S2), b800 65 (S2), b1700 1105 (S2).
"""

import functools
from dataclasses import dataclass
from datetime import date

from django.contrib.gis.geos import Point, Polygon
from pyproj import Transformer

from geo.srid import STORAGE_SRID, metric_srid
from layers.models import (
    Building,
    Community,
    Grid,
    MicroGrid,
    Pairing,
    SentDownUnit,
    ServiceStation,
    Street,
    Worker,
    Xiaoqu,
)
from tests.factories import (
    DISTRICT_CODE,
    ORIGIN,
    community_make,
    district_make,
    grid_make,
    microgrid_make,
    parcel_make,
    street_make,
)

HOUSEHOLDS = {"b200": 100, "b240": 40, "b450": 60, "b700": 30, "b800": 20, "b1700": 10}
WALK_M = {"b200": 260.0, "b240": 312.0, "b450": 520.0, "b700": 195.0, "b800": 65.0, "b1700": 1105.0}


@functools.cache
def _transformers(srid: int):
    # Building a PROJ transformer costs tens of ms: once per test session, not per point.
    to_m = Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)
    return to_m, Transformer.from_crs(srid, STORAGE_SRID, always_xy=True)


def at(x_m: float, y_m: float = 0.0) -> tuple[float, float]:
    """(lon, lat) of the point x_m east and y_m north of S1 in the metric CRS."""
    to_m, from_m = _transformers(metric_srid())
    x0, y0 = to_m.transform(*ORIGIN)
    return from_m.transform(x0 + x_m, y0 + y_m)


def metric_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    ring = [at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1), at(x0, y0)]
    return Polygon(ring, srid=STORAGE_SRID)


def metric_point(x_m: float, y_m: float = 0.0) -> Point:
    return Point(*at(x_m, y_m), srid=STORAGE_SRID)


@dataclass
class AnalysisWorld:
    street1: Street
    street2: Street
    a: Community
    b: Community
    c: Community
    grids: dict[str, Grid]
    microgrids: dict[str, MicroGrid]
    compounds: dict[str, Xiaoqu]
    buildings: dict[str, Building]
    stations: dict[str, ServiceStation]


def _compound(community, seq, name, extent, *, party, committee) -> Xiaoqu:
    from django.contrib.gis.geos import MultiPolygon

    return Xiaoqu.objects.create(
        code=f"{community.code}{seq:03d}",
        name=name,
        community=community,
        kind=Xiaoqu.Kind.COMMERCIAL,
        geom=MultiPolygon(metric_box(*extent), srid=STORAGE_SRID),
        party_organisation=party,
        owners_committee=committee,
    )


def _building(community, seq, key, x_m, xiaoqu=None) -> Building:
    return Building.objects.create(
        code=f"{community.code}{seq:04d}",
        name=f"{seq}栋",
        community=community,
        xiaoqu=xiaoqu,
        geom=metric_box(x_m - 5, -5, x_m + 5, 5),
        households=HOUSEHOLDS[key],
    )


def analysis_world_make() -> AnalysisWorld:
    district = district_make()
    s1 = street_make(district=district, extent=(-1000, -1000, 1200, 1000))
    s2_code = DISTRICT_CODE + "002"
    s2 = street_make(district=district, code=s2_code, extent=(1200, -1000, 2500, 1000))
    a = community_make(street=s1, extent=(-100, -100, 500, 100))
    b = community_make(street=s1, code=s1.code + "002", extent=(500, -100, 1000, 100))
    c = community_make(street=s2, code=s2.code + "001", extent=(1500, -100, 1900, 100))
    g = {
        "A1": grid_make(community=a, seq=1),
        "B1": grid_make(community=b, seq=1),
        "C1": grid_make(community=c, seq=1),
    }
    m = {"M1": microgrid_make(grid=g["A1"], seq=1), "M2": microgrid_make(grid=g["A1"], seq=2)}
    parcel_make(community=a, extent=(-100, -100, 300, 100), grid=g["A1"], micro_grid=m["M1"])
    parcel_make(community=a, extent=(300, -100, 500, 100), grid=g["A1"], micro_grid=m["M2"])
    parcel_make(community=b, extent=(500, -100, 750, 100), grid=g["B1"])
    parcel_make(community=b, extent=(750, -100, 1000, 100))
    parcel_make(community=c, extent=(1500, -100, 1900, 100), grid=g["C1"])
    x = {
        "Z": _compound(a, 1, "枣园小区", (150, -30, 260, 30), party="党支部", committee="业委会"),
        "Y": _compound(a, 2, "杨柳小区", (400, -30, 480, 30), party="党支部", committee=""),
        "X": _compound(b, 1, "西湖小区", (650, -30, 860, 30), party="", committee="业委会"),
    }
    bs = {
        "b200": _building(a, 1, "b200", 200, x["Z"]),
        "b240": _building(a, 2, "b240", 240, x["Z"]),
        "b450": _building(a, 3, "b450", 450, x["Y"]),
        "b700": _building(b, 1, "b700", 700, x["X"]),
        "b800": _building(b, 2, "b800", 800, x["X"]),
        "b1700": _building(c, 1, "b1700", 1700),
    }
    stations = {
        "S1": ServiceStation.objects.create(
            name="A社区党群服务中心",
            level=ServiceStation.Level.COMMUNITY,
            street=s1,
            community=a,
            geom=metric_point(0),
        ),
        "S2": ServiceStation.objects.create(
            name="西湖小区党群服务驿站",
            level=ServiceStation.Level.XIAOQU,
            street=s1,
            xiaoqu=x["X"],
            geom=metric_point(850),
        ),
    }
    _people(g, m, bs, a, c)
    return AnalysisWorld(
        s1, s2, a, b, c, {k: Grid.objects.get(pk=v.pk) for k, v in g.items()}, m, x, bs, stations
    )


def _people(g, m, bs, a, c) -> None:
    """Grid workers: A1 has two (one on the grid, one on its micro-grid M2), B1 none (only a
    head), C1 one. Units: U1 (3 members) and U2 (0) paired with A, U3 (1) with C, U4 with none."""
    role = Worker.Role
    Worker.objects.create(name="甲", role=role.GRID_WORKER, grid=g["A1"])
    Worker.objects.create(name="乙", role=role.GRID_WORKER, micro_grid=m["M2"])
    Worker.objects.create(name="丙", role=role.VOLUNTEER, micro_grid=m["M1"])
    Worker.objects.create(name="丁", role=role.BUILDING_HEAD, building=bs["b200"])
    Worker.objects.create(name="戊", role=role.GRID_HEAD, grid=g["B1"])
    Worker.objects.create(name="己", role=role.GRID_WORKER, grid=g["C1"])
    units = [
        SentDownUnit.objects.create(name=f"单位{i}", kind=SentDownUnit.Kind.AGENCY)
        for i in range(1, 5)
    ]
    since = date(2024, 1, 1)
    Pairing.objects.create(unit=units[0], community=a, since=since, registered_members=3)
    Pairing.objects.create(unit=units[1], community=a, since=since, registered_members=0)
    Pairing.objects.create(unit=units[2], community=c, since=since, registered_members=1)

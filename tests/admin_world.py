"""One row of every layer, hand-made near Wuhan, for the admin and page tests.

Offsets are ~metres east/north of tests.factories.ORIGIN (114.297, 30.594):

    y=200 +---------------+---------------+
          | G1 = M1 = P1  | P2 (no grid)  |   community 0..400 x 0..200
          |  compound X   |  G2 freehand  |   inside street -2000..2000, district -3000..3000
          |   b1  b2      |   b3          |
    y=0   +---------------+---------------+
          0              200             400
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, MultiLineString, Point

from geo.srid import STORAGE_SRID
from layers.models import (
    Address,
    Building,
    Community,
    CompoundAlias,
    GeomSource,
    Grid,
    Job,
    JobFile,
    LayoutDraft,
    LayoutRevision,
    LayoutRevisionGrid,
    MicroGrid,
    Pairing,
    Parcel,
    PlannerStreet,
    Road,
    SentDownUnit,
    ServiceStation,
    Worker,
    Xiaoqu,
)
from tests.factories import (
    box,
    building_make,
    community_make,
    grid_make,
    hierarchy_make,
    lonlat,
    microgrid_make,
    multi,
    parcel_make,
)


def point(x_m: float, y_m: float) -> Point:
    return Point(*lonlat(x_m, y_m), srid=STORAGE_SRID)


@dataclass
class World:
    community: Community
    unpaired: Community
    grid: Grid  # derived from parcel P1
    freehand: Grid  # geom_source=freehand, its own polygon
    microgrid: MicroGrid
    parcel: Parcel
    xiaoqu: Xiaoqu
    building: Building
    station: ServiceStation
    unit: SentDownUnit


def world_make() -> World:
    """Every model once (twice where a second row tests something); 3 buildings, 230 households."""
    c = hierarchy_make()
    unpaired = community_make(
        street=c.street, code=c.street.code + "002", extent=(0, 300, 400, 500)
    )
    grid = grid_make(community=c, seq=1)
    freehand = grid_make(
        community=c, seq=2, geom=multi(box(200, 0, 400, 200)), geom_source=GeomSource.FREEHAND
    )
    micro = microgrid_make(grid=grid, seq=1)
    p1 = parcel_make(community=c, extent=(0, 0, 200, 200), grid=grid, micro_grid=micro)
    parcel_make(community=c, extent=(200, 0, 400, 200))
    xiaoqu = Xiaoqu.objects.create(
        code=c.code + "001",
        name="幸福小区",
        community=c,
        kind=Xiaoqu.Kind.OLD,
        geom=multi(box(10, 10, 190, 190)),
        owners_committee="幸福小区业委会",
    )
    CompoundAlias.objects.create(xiaoqu=xiaoqu, alias="幸福里")
    b1 = building_make(community=c, seq=1, extent=(20, 20, 60, 60), households=120, xiaoqu=xiaoqu)
    building_make(community=c, seq=2, extent=(100, 100, 150, 150), households=80, xiaoqu=xiaoqu)
    building_make(community=c, seq=3, extent=(250, 50, 300, 100), households=30)
    Address.objects.create(
        text="幸福路1号", normalized="幸福路1号", building=b1, geom=point(40, 40)
    )
    station = ServiceStation.objects.create(
        name="测试社区党群服务中心",
        level=ServiceStation.Level.COMMUNITY,
        street=c.street,
        community=c,
        geom=point(180, 20),
    )
    Road.objects.create(
        name="幸福路",
        kind=Road.Kind.RESIDENTIAL,
        geom=MultiLineString(
            LineString(lonlat(-10, -10), lonlat(410, -10), srid=STORAGE_SRID), srid=STORAGE_SRID
        ),
    )
    unit = SentDownUnit.objects.create(
        name="市测试局", kind=SentDownUnit.Kind.AGENCY, geom=point(-500, -500)
    )
    Pairing.objects.create(unit=unit, community=c, since=date(2024, 3, 1), registered_members=4)
    Worker.objects.create(name="李网格", role=Worker.Role.GRID_WORKER, grid=grid)
    Worker.objects.create(name="王楼长", role=Worker.Role.BUILDING_HEAD, building=b1)
    revision = LayoutRevision.objects.create(
        community=c,
        number=1,
        effective_date=date(2024, 3, 1),
        assignment={str(p1.pk): [grid.code, micro.code]},
        changed_parcels=[p1.pk],
    )
    LayoutRevisionGrid.objects.create(revision=revision, code=grid.code, name=grid.name)
    planner = get_user_model().objects.create(username="planner")
    PlannerStreet.objects.create(user=planner, street=c.street)
    LayoutDraft.objects.create(community=c, author=planner, base_revision=1, moves=[])
    job = Job.objects.create(
        kind=Job.Kind.BATCH_LOOKUP, owner=planner, language="zh-hans", input_name="地址.csv"
    )
    JobFile.objects.create(
        job=job, role=JobFile.Role.INPUT, name="地址.csv", content_type="text/csv", data=b"x"
    )
    return World(
        community=c,
        unpaired=unpaired,
        grid=Grid.objects.get(pk=grid.pk),
        freehand=freehand,
        microgrid=micro,
        parcel=p1,
        xiaoqu=xiaoqu,
        building=b1,
        station=station,
        unit=unit,
    )

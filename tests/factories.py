"""Small hand-made geometries near Wuhan and the nested divisions built from them.

Shapes are given in offsets of (about) one metre east and north of ORIGIN. Both the origin and
the step are exact binary fractions of a degree, so sums and midpoints of coordinates are exact:
a point GEOS computes (a rectangle's point on surface, say) falls exactly on a shared edge when it
should, and parcels sharing an edge share it to the last bit. Areas in m² are measured in the
city's metric CRS (`area_m2`), never derived from the step.

The codes use district 420199, which the Wuhan division list does not have, so nothing built here
can collide with a demo city loaded into the same database.
"""

from django.contrib.gis.geos import MultiPolygon, Polygon

from geo.srid import STORAGE_SRID, metric_srid
from layers.models import Building, Community, District, Grid, MicroGrid, Parcel, Street

ORIGIN = (114.296875, 30.59375)  # exact in binary; ~ (114.30, 30.59), central Wuhan
LON_PER_M = 11 / 2**20  # 1.049e-5 deg: one step is ~1.005 m east at this latitude
LAT_PER_M = 19 / 2**21  # 9.060e-6 deg: one step is ~1.004 m north

DISTRICT_CODE = "420199"
STREET_CODE = DISTRICT_CODE + "001"
COMMUNITY_CODE = STREET_CODE + "001"


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Offsets (~metres east, north of ORIGIN) -> (lon, lat) in STORAGE_SRID."""
    return ORIGIN[0] + x_m * LON_PER_M, ORIGIN[1] + y_m * LAT_PER_M


def box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """An axis-aligned rectangle (counter-clockwise) in STORAGE_SRID."""
    ring = [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]
    return Polygon(ring, srid=STORAGE_SRID)


def multi(*polygons: Polygon) -> MultiPolygon:
    return MultiPolygon(*[p.clone() for p in polygons], srid=STORAGE_SRID)


def bowtie(x0: float, y0: float, size: float) -> Polygon:
    """A self-intersecting 'figure eight': its two edges cross at the centre of the square."""
    ring = [
        lonlat(x0, y0),
        lonlat(x0 + size, y0 + size),
        lonlat(x0 + size, y0),
        lonlat(x0, y0 + size),
        lonlat(x0, y0),
    ]
    return Polygon(ring, srid=STORAGE_SRID)


def area_m2(geom) -> float:
    """Area in square metres, measured in the metric CRS."""
    return geom.transform(metric_srid(), clone=True).area


# --- divisions ---------------------------------------------------------------------------------


def district_make(*, code: str = DISTRICT_CODE, extent=(-3000, -3000, 3000, 3000)) -> District:
    return District.objects.create(code=code, name="测试区", geom=multi(box(*extent)))


def street_make(
    *, district: District, code: str = STREET_CODE, extent=(-2000, -2000, 2000, 2000)
) -> Street:
    return Street.objects.create(
        code=code, name="测试街道", district=district, geom=multi(box(*extent))
    )


def community_make(
    *, street: Street, code: str = COMMUNITY_CODE, extent=(0, 0, 400, 200)
) -> Community:
    return Community.objects.create(
        code=code, name="测试社区", street=street, geom=multi(box(*extent))
    )


def hierarchy_make() -> Community:
    """District ⊃ street ⊃ community (0..400 × 0..200): what most tests start from."""
    district = district_make()
    return community_make(street=street_make(district=district))


def grid_make(*, community: Community, seq: int, geom=None, **kw) -> Grid:
    return Grid.objects.create(
        code=f"{community.code}{seq:03d}", name=f"第{seq}网格", community=community, geom=geom, **kw
    )


def microgrid_make(*, grid: Grid, seq: int, geom=None, **kw) -> MicroGrid:
    return MicroGrid.objects.create(
        code=f"{grid.code}{seq:03d}", name=f"第{seq}微网格", grid=grid, geom=geom, **kw
    )


def parcel_make(*, community: Community, extent, grid=None, micro_grid=None) -> Parcel:
    return Parcel.objects.create(
        community=community, grid=grid, micro_grid=micro_grid, geom=box(*extent)
    )


def building_make(*, community: Community, seq: int, extent, households: int, **kw) -> Building:
    return Building.objects.create(
        code=f"{community.code}{seq:04d}",
        name=f"{seq}栋",
        community=community,
        geom=box(*extent),
        households=households,
        **kw,
    )

"""Round trip: every layer of the tiny demo city exported by export_layer (in the format and
coordinate system a city would use for it) imports back with no error, creating nothing and
updating nothing: the two sides agree on layers.io.columns, CSV/XLSX carry full-precision WKT,
and a geometry that a projection and its inverse moved by nanometres is the stored one
(GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M), never rewritten."""

import pytest
import shapely
from django.apps import apps
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import call_command
from django.db import connection

from geo.srid import STORAGE_SRID
from layers.catalogue import COLUMNS
from layers.io.writer import MAX_M_PER_DEG
from layers.models import Building, Community, GeomSource, Grid
from layers.services.layer_import import layer_import
from tests.demo_city_support import city_loaded, plan_make


@pytest.fixture(scope="module")
def tiny_city(django_db_setup, django_db_blocker):
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)) as plan:
        yield plan


def export(tmp_path, layer, fmt, crs):
    out = tmp_path / f"{layer}.{'shp.zip' if fmt == 'shp' else fmt}"
    call_command(
        "export_layer", layer, "--format", fmt, "--crs", crs, "--output", str(out), verbosity=0
    )
    return out


CASES = [
    ("districts", "gpkg", "wgs84", None),
    ("streets", "shp", "cgcs2000", None),
    ("communities", "shp", "gk3:114", None),
    ("grids", "kml", "wgs84", None),
    ("microgrids", "geojson", "wgs84", None),
    ("compounds", "xlsx", "wgs84", None),
    ("buildings", "shp", "epsg:4526", None),
    ("addresses", "csv", "wgs84", None),
    ("stations", "csv", "gcj02", "gcj02"),
    ("units", "geojson", "wgs84", None),
    ("pairings", "xlsx", "wgs84", None),
    ("workers", "csv", "wgs84", None),
]


def test_every_layer_is_covered():
    assert sorted(layer for layer, *_ in CASES) == sorted(COLUMNS)


@pytest.mark.django_db
@pytest.mark.parametrize(("layer", "fmt", "crs", "declare"), CASES)
def test_export_then_import_changes_nothing(tiny_city, tmp_path, layer, fmt, crs, declare):
    model = apps.get_model(COLUMNS[layer].model)
    count = model.objects.count()
    assert count > 0
    path = export(tmp_path, layer, fmt, crs)
    report = layer_import(layer=layer, path=path, crs=declare, dry_run=False)
    assert report.errors == [], report.as_text()
    assert (report.created, report.updated, report.unchanged) == (0, 0, count), report.as_text()
    assert report.rows == model.objects.count() == count


def _stored(model) -> dict[int, tuple[bytes | None, object]]:
    """Every feature's geometry as stored (EWKB bytes) and its updated_at, by primary key."""
    rows = model.objects.values_list("pk", "geom", "updated_at")
    return {pk: (bytes(g.ewkb) if g else None, at) for pk, g, at in rows}


# Every format in every coordinate system it may be written in: the geometry files carry their
# CRS; a CSV/XLSX table carries none, so the importer is told what the exporter was asked for.
FORMAT_CRS = [
    (fmt, crs)
    for fmt in ("shp", "gpkg", "geojson", "csv", "xlsx")
    for crs in ("wgs84", "gk3:114", "cgcs2000")
] + [("kml", "wgs84")]
TABLE_CRS = {"wgs84": None, "gk3:114": "EPSG:4547", "cgcs2000": "cgcs2000"}


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "crs"), FORMAT_CRS)
@pytest.mark.parametrize("layer", ["buildings", "grids", "communities", "stations"])
def test_round_trip_is_exact_in_every_format_and_crs(tiny_city, tmp_path, layer, fmt, crs):
    # A Gauss-Krüger Shapefile came back as "would update 277" (sub-mm drift of the projection
    # and its inverse), a CSV/XLSX as "would update" every feature (7 decimals).
    model = apps.get_model(COLUMNS[layer].model)
    before = _stored(model)
    path = export(tmp_path, layer, fmt, crs)
    declare = TABLE_CRS[crs] if fmt in ("csv", "xlsx") else None
    dry = layer_import(layer=layer, path=path, crs=declare, dry_run=True)
    assert dry.errors == [], dry.as_text()
    assert dry.as_text().endswith(
        f"would create 0, would update 0, unchanged {len(before)}; nothing written"
    )
    report = layer_import(layer=layer, path=path, crs=declare, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(before))
    assert _stored(model) == before  # geometry bytes and updated_at: nothing rewritten


@pytest.mark.django_db
def test_reimported_grids_keep_their_parcels(tiny_city, tmp_path):
    # Shapes equal to the derived ones: the grids stay derived from their parcels.
    path = export(tmp_path, "grids", "gpkg", "wgs84")
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert report.errors == []
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.PARCELS}


def _tolerance_deg() -> float:
    return settings.GRIDATLAS_IMPORT_UNCHANGED_TOLERANCE_M / MAX_M_PER_DEG


@pytest.mark.django_db
def test_drift_below_the_tolerance_is_kept_a_real_move_is_written(tiny_city, tmp_path):
    path = export(tmp_path, "buildings", "gpkg", "wgs84")
    drifted, moved = Building.objects.order_by("pk").values_list("pk", flat=True)[:2]
    exported = bytes(Building.objects.get(pk=moved).geom.ewkb)
    tol = _tolerance_deg()
    with connection.cursor() as cur:
        # One building drifts a tenth of the tolerance (the file holds the same shape); another
        # is moved ten times the tolerance, ~1 cm (an edit since the export: the file wins).
        for pk, dx in ((drifted, tol / 10), (moved, tol * 10)):
            cur.execute(
                "UPDATE layers_building SET geom = ST_Translate(geom, %s, 0) WHERE id = %s",
                [dx, pk],
            )
    kept = bytes(Building.objects.get(pk=drifted).geom.ewkb)
    report = layer_import(layer="buildings", path=path, dry_run=False)
    assert report.errors == []
    assert (report.created, report.updated) == (0, 1)
    assert bytes(Building.objects.get(pk=drifted).geom.ewkb) == kept
    assert bytes(Building.objects.get(pk=moved).geom.ewkb) == exported


# A building with a slit 1e-8° (~1 mm) wide: valid, but rounding to 7 decimals merges the two
# sides of the slit into one line, and the polygon comes back self-intersecting.
SLIT_DEG = 1e-8
STEP_DEG = 2**-17  # 0.73 m east, 0.85 m north here; an exact binary fraction of a degree


def _slit_building(community: Community) -> Building:
    c = community.geom.point_on_surface
    x0, y0 = round(c.x / STEP_DEG) * STEP_DEG, round(c.y / STEP_DEG) * STEP_DEG
    x1, y1, xm = x0 + 12 * STEP_DEG, y0 + 12 * STEP_DEG, x0 + 6 * STEP_DEG
    ring = [
        (x0, y0), (x1, y0), (x1, y1), (xm + SLIT_DEG, y1), (xm + SLIT_DEG, y0 + 2 * STEP_DEG),
        (xm, y0 + 2 * STEP_DEG), (xm, y1), (x0, y1), (x0, y0),
    ]  # fmt: skip
    shape = shapely.Polygon(ring)
    assert shape.is_valid
    rounded = shapely.from_wkt(shapely.to_wkt(shape, rounding_precision=7))
    assert not rounded.is_valid  # what a 7-decimal table made of it
    seq = 9000 + Building.objects.filter(community=community).count()
    return Building.objects.create(
        code=f"{community.code}{seq:04d}",
        name="缝隙楼",
        community=community,
        geom=GEOSGeometry(shape.wkb_hex, srid=STORAGE_SRID),
        households=1,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "crs"),
    [
        ("csv", "wgs84"),
        ("xlsx", "wgs84"),
        ("csv", "gk3:114"),
        ("xlsx", "gk3:114"),
        ("shp", "gk3:114"),
        ("gpkg", "cgcs2000"),
        ("geojson", "gk3:114"),
        ("kml", "wgs84"),
    ],
)
def test_near_degenerate_polygon_stays_valid(tiny_city, tmp_path, fmt, crs):
    community = Community.objects.order_by("code").first()
    building = _slit_building(community)
    stored = bytes(Building.objects.get(pk=building.pk).geom.ewkb)
    out = tmp_path / f"buildings.{'shp.zip' if fmt == 'shp' else fmt}"
    call_command(
        "export_layer", "buildings", "--format", fmt, "--crs", crs, "--community",
        community.code, "--output", str(out), verbosity=0,
    )  # fmt: skip
    declare = TABLE_CRS[crs] if fmt in ("csv", "xlsx") else None
    report = layer_import(layer="buildings", path=out, crs=declare, dry_run=False)
    assert report.errors == [], report.as_text()
    assert (report.created, report.updated) == (0, 0)
    back = Building.objects.get(pk=building.pk).geom
    assert back.valid and bytes(back.ewkb) == stored

"""Round trip: every layer of the tiny demo city exported by export_layer (in the format and
coordinate system a city would use for it) imports back with no error, creating nothing and
matching every row (most unchanged; a projected or rounded export may move a vertex by
less than a millimetre and update it): the two sides agree on layers.io.columns."""

import pytest
from django.apps import apps
from django.core.management import call_command

from layers.io.columns import LAYERS
from layers.models import GeomSource, Grid
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
    assert sorted(layer for layer, *_ in CASES) == sorted(LAYERS)


@pytest.mark.django_db
@pytest.mark.parametrize(("layer", "fmt", "crs", "declare"), CASES)
def test_export_then_import_updates_every_row(tiny_city, tmp_path, layer, fmt, crs, declare):
    model = apps.get_model(LAYERS[layer].model)
    count = model.objects.count()
    assert count > 0
    path = export(tmp_path, layer, fmt, crs)
    report = layer_import(layer=layer, path=path, crs=declare, dry_run=False)
    assert report.errors == [], report.as_text()
    assert (report.created, report.rows) == (0, count)
    assert report.updated + report.unchanged == count
    assert model.objects.count() == count


@pytest.mark.django_db
def test_reimported_grids_keep_their_parcels(tiny_city, tmp_path):
    # Shapes equal to the derived ones: the grids stay derived from their parcels.
    path = export(tmp_path, "grids", "gpkg", "wgs84")
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert report.errors == []
    assert set(Grid.objects.values_list("geom_source", flat=True)) == {GeomSource.PARCELS}

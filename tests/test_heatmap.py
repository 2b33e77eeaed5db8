"""Heatmaps: the pure raster steps on hand-made arrays (totals kept, cells in ground metres,
edges, frames, colours, the GeoTIFF), then the endpoints and the command on the tiny demo city
against the coverage they are drawn from."""

import io
import math

import numpy as np
import pytest
import rasterio
import shapely
from django.core.management import call_command
from PIL import Image
from pyproj import Geod, Transformer

from geo.srid import STORAGE_SRID, WEB_MERCATOR_SRID
from layers.analysis.coverage import building_coverage
from layers.analysis.heatmap import (
    bounds_lonlat,
    count_ramp,
    density_raster,
    heatmap_cache_clear,
    heatmap_raster,
    lonlat_to_3857,
    mercator_cell,
    polygon_raster,
    raster_rgba,
    raster_write,
)
from layers.models import Building, Grid

WUHAN = (114.30, 30.59)
GEOD = Geod(ellps="WGS84")


def city_points(n: int, seed: int = 1):
    """n random buildings in a 20 km square around Wuhan, as EPSG:3857 x, y and households."""
    rng = np.random.default_rng(seed)
    lon = WUHAN[0] + rng.uniform(-0.1, 0.1, n)
    lat = WUHAN[1] + rng.uniform(-0.09, 0.09, n)
    x, y = lonlat_to_3857(lon, lat)
    return x, y, rng.integers(1, 300, n)


# --- pure -----------------------------------------------------------------------------------------


def test_the_raster_holds_every_household_once():
    x, y, households = city_points(50_000)
    r = density_raster(x_3857=x, y_3857=y, weights=households, cell_m=100)
    assert r.array.dtype == np.float32
    assert r.total == pytest.approx(households.sum(), rel=1e-9)
    assert r.crs == "EPSG:3857"
    # The farthest points are inside the frame, not on its edge.
    w, s, e, n = r.bounds
    assert w <= x.min() and x.max() < e and s < y.min() and y.max() <= n


def test_a_cell_is_cell_m_on_the_ground_not_in_mercator_units():
    x, y, households = city_points(1_000)
    r = density_raster(x_3857=x, y_3857=y, weights=households, cell_m=100)
    # Mercator units per ground metre at 30.6°N: 1 / cos(lat) ≈ 1.162.
    assert r.cell_3857 == pytest.approx(100 / math.cos(math.radians(WUHAN[1])), rel=2e-3)
    # Measured on the ellipsoid, a cell in the middle of the raster is 100 m square (±0.5 %).
    row, col = r.shape[0] // 2, r.shape[1] // 2
    (x0, y0), (x1, y1) = r.transform @ (col, row), r.transform @ (col + 1, row + 1)
    to_lonlat = Transformer.from_crs(WEB_MERCATOR_SRID, STORAGE_SRID, always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_lonlat.transform([x0, x1], [y0, y1])
    width = GEOD.inv(lon0, lat0, lon1, lat0)[2]
    height = GEOD.inv(lon0, lat0, lon0, lat1)[2]
    assert width == pytest.approx(100, rel=5e-3)
    assert height == pytest.approx(100, rel=5e-3)


def test_each_point_lands_in_the_cell_that_contains_it():
    x, y, _ = city_points(2_000, seed=7)
    r = density_raster(x_3857=x, y_3857=y, weights=np.ones_like(x), cell_m=250)
    inverse = ~r.transform
    for xi, yi in zip(x[:200], y[:200], strict=True):
        col, row = (math.floor(v) for v in inverse @ (xi, yi))
        assert r.array[row, col] >= 1


def test_a_point_on_a_cell_edge_goes_east_and_south():
    bounds = (0.0, -300.0, 300.0, 0.0)
    cell = mercator_cell(cell_m=100, y_3857=-150.0)  # the frame's cell, from its middle
    r = density_raster(
        x_3857=np.array([0.0, cell, cell / 2]),
        y_3857=np.array([0.0, -cell / 2, -cell]),
        weights=np.array([1.0, 2.0, 4.0]),
        cell_m=100,
        bounds=bounds,
    )
    assert r.cell_3857 == cell
    assert r.array[0, 0] == 1  # the north-west corner
    assert r.array[0, 1] == 2  # on the edge between columns 0 and 1: column 1, east
    assert r.array[1, 0] == 4  # on the edge between rows 0 and 1: row 1, south


def test_bounds_leave_out_the_points_outside_them():
    x = np.array([10.0, 150.0, 5_000.0])
    y = np.array([-10.0, -150.0, -5_000.0])
    r = density_raster(
        x_3857=x, y_3857=y, weights=np.array([1, 2, 100]), cell_m=100, bounds=(0, -200, 200, 0)
    )
    assert r.shape == (2, 2)
    assert r.total == 3
    assert r.bounds == pytest.approx((0, -200, 200, 0))


def test_no_points_and_no_bounds_is_an_error_but_empty_bounds_are_zeros():
    empty = np.zeros(0)
    with pytest.raises(ValueError, match="no extent"):
        density_raster(x_3857=empty, y_3857=empty, weights=empty, cell_m=100)
    r = density_raster(
        x_3857=empty, y_3857=empty, weights=empty, cell_m=100, bounds=(0, 0, 300, 300)
    )
    assert r.shape == (3, 3) and r.total == 0
    with pytest.raises(ValueError, match="cell_m"):
        density_raster(x_3857=empty, y_3857=empty, weights=empty, cell_m=0, bounds=(0, 0, 1, 1))


def test_polygons_paint_their_value_over_the_cells_whose_centre_they_cover():
    a = shapely.box(0, -300, 300, 0)
    b = shapely.box(300, -300, 600, 0)
    tiny = shapely.box(700, -40, 720, -20)  # narrower than a cell: covers no cell centre
    r = polygon_raster(
        polygons_3857=np.array([a, b, tiny]),
        values=np.array([0.5, 1.25, 9.0]),
        cell_m=100,
        bounds=(0, -300, 800, 0),
    )
    assert r.shape == (3, 8)
    assert (r.array[:, :3] == 0.5).all()
    assert (r.array[:, 3:6] == 1.25).all()
    assert np.isnan(r.array[:, 6:]).all()
    assert math.isnan(r.nodata)


def test_colours_leave_empty_cells_transparent_and_clip_at_the_top():
    array = np.array([[0.0, 1.0, 50.0, 100.0, 1_000.0, np.nan]], dtype=np.float32)
    ramp = count_ramp(array=array)
    rgba = raster_rgba(array=array, ramp=ramp)
    assert rgba.shape == (1, 6, 4) and rgba.dtype == np.uint8
    assert rgba[0, 0, 3] == 0 and rgba[0, 5, 3] == 0  # zero and NaN: transparent
    assert (rgba[0, 1:5, 3] > 0).all()
    # The top stop is dark red, and everything above it stays dark red.
    assert tuple(rgba[0, 4, :3]) == (0xBD, 0x00, 0x26)
    assert ramp.legend()[0]["value"] == 0


def test_the_geotiff_keeps_the_frame_the_crs_and_the_total(tmp_path):
    x, y, households = city_points(5_000, seed=3)
    r = density_raster(x_3857=x, y_3857=y, weights=households, cell_m=100)
    path = raster_write(raster=r, path=tmp_path / "h.tif", tags={"kind": "test", "none": None})
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 3857
        assert src.transform.almost_equals(r.transform)
        assert src.nodata == 0
        assert src.compression.name.lower() == "deflate"
        assert src.tags()["kind"] == "test" and "none" not in src.tags()
        assert src.read(1).sum(dtype=np.float64) == pytest.approx(households.sum())


def test_lonlat_bounds_round_trip_to_the_mercator_frame():
    x, y, households = city_points(500, seed=5)
    r = density_raster(x_3857=x, y_3857=y, weights=households, cell_m=100)
    w, s, e, n = bounds_lonlat(r)
    xs, ys = lonlat_to_3857(np.array([w, e]), np.array([s, n]))
    assert (xs[0], ys[0], xs[1], ys[1]) == pytest.approx(r.bounds, abs=1e-6)


# --- the endpoints, on the tiny demo city --------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_cache():
    # The cache is keyed by the tile epoch, which a rolled-back test can leave at a number a
    # later test reaches again with other data: start every test from an empty cache.
    heatmap_cache_clear()
    yield
    heatmap_cache_clear()


def uncovered_households(distance_m: float) -> int:
    cov = building_coverage(distance_m=distance_m)
    return int(cov.households[~cov.covered].sum())


@pytest.mark.django_db
def test_json_describes_the_png_and_counts_the_uncovered_households(client, tiny_city):
    r = client.get("/api/analysis/heatmap/uncovered.json", {"distance": 300, "cell": 50})
    assert r.status_code == 200, r.content
    body = r.json()
    expected = uncovered_households(300)
    assert expected > 0
    assert body["total"] == expected
    w, s, e, n = body["bounds"]
    assert body["coordinates"] == [[w, n], [e, n], [e, s], [w, s]]
    assert body["cell_m"] == 50 and body["distance_m"] == 300 and body["mode"] == "straight"
    png = client.get(body["url"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert [float(v) for v in png["X-Bounds"].split(",")] == pytest.approx([w, s, e, n], abs=1e-6)
    image = Image.open(io.BytesIO(png.content))
    assert image.mode == "RGBA" and image.size == (body["width"], body["height"])
    alpha = np.asarray(image)[:, :, 3]
    assert 0 < (alpha > 0).sum() < alpha.size  # some cells drawn, the empty ones clear


@pytest.mark.django_db
def test_the_geotiff_download_sums_to_the_same_households(client, tiny_city):
    r = client.get("/api/analysis/heatmap/uncovered.tif", {"distance": "500"})
    assert r.status_code == 200
    name = "heatmap-uncovered-500m-straight-cell100m.tif"
    assert r["Content-Disposition"] == f'attachment; filename="{name}"'
    with rasterio.MemoryFile(r.content) as mem, mem.open() as src:
        assert src.crs.to_epsg() == 3857
        assert src.read(1).sum(dtype=np.float64) == pytest.approx(uncovered_households(500))


@pytest.mark.django_db
def test_load_paints_each_grid_its_households_over_the_band_top(client, tiny_city, settings):
    r = client.get("/api/analysis/heatmap/load.json", {"cell": 25})
    assert r.status_code == 200, r.content
    body = r.json()
    households = [g.households for g in Grid.objects.exclude(geom_3857=None)]
    assert body["total"] == sum(households)
    assert body["distance_m"] is None
    top = settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX
    # Every painted value is some grid's ratio; at 25 m cells the largest grid shows.
    assert body["max"] == pytest.approx(max(households) / top, abs=1e-4)
    tif = client.get(body["tif"])
    with rasterio.MemoryFile(tif.content) as mem, mem.open() as src:
        values = src.read(1)
        assert math.isnan(src.nodata)
        painted = np.unique(values[np.isfinite(values)])
        ratios = np.array(sorted(set(households))) / top
        assert np.isin(np.round(painted, 5), np.round(ratios.astype(np.float32), 5)).all()


@pytest.mark.django_db
def test_an_edit_to_a_building_shows_in_the_next_heatmap(client, tiny_city):
    before = client.get("/api/analysis/heatmap/uncovered.json", {"distance": 300}).json()
    # Unchanged data: the same rendered raster, from the cache.
    first = heatmap_raster(kind="uncovered", distance_m=300, cell_m=100)
    assert heatmap_raster(kind="uncovered", distance_m=300, cell_m=100) is first
    cov = building_coverage(distance_m=300)
    far = int(cov.building_id[np.flatnonzero(~cov.covered)[0]])
    building = Building.objects.get(pk=far)
    building.households += 1000
    building.save()  # a statement trigger bumps the data version
    after = client.get("/api/analysis/heatmap/uncovered.json", {"distance": 300}).json()
    assert after["total"] == before["total"] + 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "params", "status", "message"),
    [
        ("uncovered.json", {"distance": "far"}, 400, "distance must be a number"),
        ("uncovered.png", {"distance": "-5"}, 400, "more than 0"),
        ("uncovered.png", {"distance": "1e9"}, 400, "at most"),
        ("uncovered.tif", {"cell": "0"}, 400, "cell must be more than 0"),
        ("uncovered.json", {"cell": "nan"}, 400, "cell must be more than 0"),
        ("uncovered.json", {"cell": "0.01"}, 400, "GRIDATLAS_HEATMAP_MAX_CELLS"),
        ("uncovered.json", {"mode": "crow"}, 400, "mode must be one of straight, network"),
        ("hotspots.json", {}, 404, "kinds are uncovered, load"),
    ],
)
def test_bad_heatmap_requests_say_why(client, tiny_city, url, params, status, message):
    r = client.get(f"/api/analysis/heatmap/{url}", params)
    assert r.status_code == status
    assert message in r.json()["error"]


@pytest.mark.django_db
def test_the_command_writes_the_geotiff(tiny_city, tmp_path):
    out = tmp_path / "uncovered.tif"
    text = io.StringIO()
    call_command("heatmap", kind="uncovered", distance=300, cell=50, out=out, stdout=text)
    assert "households" in text.getvalue()
    with rasterio.open(out) as src:
        assert src.read(1).sum(dtype=np.float64) == pytest.approx(uncovered_households(300))
        assert float(src.tags()["distance_m"]) == 300

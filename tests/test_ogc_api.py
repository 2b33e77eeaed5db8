"""OGC API Features at /ogc: the documents, paging, bbox and attribute filters, single features,
personal data gated; and GDAL 3.6 (/usr/bin/ogrinfo, ogr2ogr) as a real client against a live
server, listing the collections and copying one to a GeoPackage."""

import re
import subprocess
from pathlib import Path

import pyogrio
import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.gis.geos import Polygon

from geo.srid import STORAGE_SRID
from layers.catalogue import COLUMNS
from layers.models import Building, Grid, Worker
from tests.demo_city_support import city_loaded, plan_make

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OGRINFO, OGR2OGR = "/usr/bin/ogrinfo", "/usr/bin/ogr2ogr"
GDAL_TIMEOUT_S = 120


@pytest.fixture
def clerk(db):
    user = User.objects.create_user("clerk", password="x")  # a test account
    user.user_permissions.add(Permission.objects.get(codename="view_worker"))
    return user


def rels(body) -> dict:
    return {link["rel"]: link for link in body["links"]}


@pytest.mark.django_db
def test_landing_with_and_without_slash_conformance_and_openapi(client):
    for url in ("/ogc", "/ogc/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        links = rels(response.json())
        assert links["data"]["href"] == "http://testserver/ogc/collections"
        assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    api = client.get("/ogc/openapi")
    assert api["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = api.json()
    assert doc["openapi"].startswith("3.0")
    assert doc["components"]["parameters"]["limit"]["schema"]["maximum"] == 10_000
    items = doc["paths"]["/collections/buildings/items"]["get"]["parameters"]
    assert {p.get("name") for p in items} >= {"code", "community_code", "households"}
    assert "/collections/workers/items" not in doc["paths"]


@pytest.mark.django_db
def test_collections_hide_workers_from_anonymous(tiny_city, client, clerk):
    body = client.get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == [k for k in COLUMNS if k != "workers"]
    grids = next(c for c in body["collections"] if c["id"] == "grids")
    assert grids["crs"] == [CRS84]
    min_lon, min_lat, max_lon, max_lat = grids["extent"]["spatial"]["bbox"][0]
    for g in Grid.objects.all():
        assert min_lon <= g.geom.extent[0] and g.geom.extent[2] <= max_lon
    assert rels(grids)["items"]["type"] == "application/geo+json"
    assert client.get("/ogc/collections/workers").status_code == 404
    assert client.get("/ogc/collections/workers/items").status_code == 404
    client.force_login(clerk)
    assert "workers" in [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    workers = client.get("/ogc/collections/workers/items?limit=5").json()
    assert workers["numberMatched"] == Worker.objects.count() > 0
    assert workers["features"][0]["geometry"] is None
    assert "phone" in workers["features"][0]["properties"]


@pytest.mark.django_db
def test_items_paging_links_walk_every_feature(tiny_city, client):
    total = Building.objects.count()
    url, seen = "/ogc/collections/buildings/items?limit=40", []
    while url:
        response = client.get(url)
        assert response["Content-Type"] == "application/geo+json"
        page = response.json()
        assert page["numberMatched"] == total
        assert page["numberReturned"] == len(page["features"]) <= 40
        seen += [f["id"] for f in page["features"]]
        nxt = rels(page).get("next")
        url = nxt["href"].removeprefix("http://testserver") if nxt else None
    assert sorted(seen) == sorted(Building.objects.values_list("pk", flat=True))
    second = client.get("/ogc/collections/buildings/items?limit=40&offset=40").json()
    assert "offset=0" in rels(second)["prev"]["href"]
    feature = second["features"][0]
    assert set(feature["properties"]) == {c.name for c in COLUMNS["buildings"].columns}
    assert feature["geometry"]["type"] == "Polygon"


@pytest.mark.django_db
def test_items_bbox_and_attribute_filters(tiny_city, client):
    grid = Grid.objects.order_by("code").first()
    x0, y0, x1, y1 = grid.geom.extent
    box = Polygon.from_bbox((x0, y0, x1, y1))
    box.srid = STORAGE_SRID
    url = f"/ogc/collections/buildings/items?bbox={x0},{y0},{x1},{y1}&limit=10000"
    page = client.get(url).json()
    expected = Building.objects.filter(geom__intersects=box).count()
    assert page["numberMatched"] == expected == len(page["features"]) > 0
    community = grid.community.code
    filtered = client.get(
        f"/ogc/collections/grids/items?community_code={community}&limit=1000"
    ).json()
    assert {f["properties"]["code"] for f in filtered["features"]} == set(
        Grid.objects.filter(community__code=community).values_list("code", flat=True)
    )
    households = client.get(f"/ogc/collections/grids/items?households={grid.households}").json()
    assert grid.code in {f["properties"]["code"] for f in households["features"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3",
        "bbox=10,10,0,0",
        "limit=0",
        "limit=x",
        "offset=-1",
        "colour=red",
        "f=html",
        "households=many",
    ],
)
def test_items_bad_parameters_are_400_with_a_message(tiny_city, client, query):
    response = client.get(f"/ogc/collections/grids/items?{query}")
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.django_db
def test_single_feature_and_404s(tiny_city, client):
    grid = Grid.objects.order_by("pk").first()
    response = client.get(f"/ogc/collections/grids/items/{grid.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == grid.pk
    assert feature["properties"]["code"] == grid.code
    assert rels(feature)["collection"]["href"].endswith("/ogc/collections/grids")
    assert client.get("/ogc/collections/grids/items/999999999").status_code == 404
    assert client.get("/ogc/collections/grids/items/abc").status_code == 404
    assert client.get("/ogc/collections/nothing").status_code == 404


def _gdal(*args: str) -> str:
    done = subprocess.run(  # fixed tools, arguments built here
        args, capture_output=True, text=True, timeout=GDAL_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _count(path: Path, layer: str) -> int:
    # GDAL 3.6's ogrinfo has no -json: its "Feature Count:" line, as a person reads it.
    text = _gdal(OGRINFO, "-ro", "-so", str(path), layer)
    return int(re.search(r"^Feature Count: (\d+)$", text, re.MULTILINE)[1])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gdal_lists_and_copies_collections(live_server, django_db_blocker, tmp_path):
    assert Path(OGRINFO).exists() and Path(OGR2OGR).exists()
    with city_loaded(django_db_blocker, plan_make(scale="tiny", seed=1)):
        source = f"OAPIF:{live_server.url}/ogc"
        listing = _gdal(OGRINFO, "-ro", "-q", source)
        for layer in COLUMNS:
            assert (f": {layer} (" in listing) == (layer != "workers"), listing
        target = tmp_path / "copy.gpkg"
        _gdal(OGR2OGR, "-f", "GPKG", str(target), source, "buildings", "grids")
        counts = {name: _count(target, name) for name in ("buildings", "grids")}
        assert counts == {"buildings": Building.objects.count(), "grids": Grid.objects.count()}
        copied = pyogrio.read_dataframe(target, layer="grids")
        assert sorted(copied["code"]) == sorted(Grid.objects.values_list("code", flat=True))
        assert copied.crs.to_epsg() == STORAGE_SRID
        # An attribute filter GDAL turns into a query parameter (it reads our OpenAPI for that).
        community = Grid.objects.order_by("code").first().community.code
        scoped = tmp_path / "scoped.gpkg"
        where = f"community_code = '{community}'"
        _gdal(OGR2OGR, "-f", "GPKG", str(scoped), source, "buildings", "-where", where)
        expected = Building.objects.filter(community__code=community).count()
        assert _count(scoped, "buildings") == expected > 0

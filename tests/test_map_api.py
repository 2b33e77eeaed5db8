"""The map's JSON API on the tiny demo city: search-as-you-type, feature cards, zoom-to lists,
and the 4xx a bad query gets."""

import pytest

from layers.models import Building, Community, Grid, MicroGrid, ServiceStation, Street, Xiaoqu


def search(client, q, **params):
    r = client.get("/api/search", {"q": q, **params})
    assert r.status_code == 200, r.content
    return r.json()["results"]


def contains(box, lon, lat):
    west, south, east, north = box
    return west <= lon <= east and south <= lat <= north


@pytest.mark.django_db
def test_search_by_name_finds_the_place_with_its_bbox(client, tiny_city):
    grid = Grid.objects.order_by("code").first()
    hits = search(client, grid.name)
    assert hits[0]["kind"] == "grids" and hits[0]["code"] == grid.code  # exact name ranks first
    assert hits[0]["context"] == grid.community.name
    p = grid.geom.point_on_surface
    assert contains(hits[0]["bbox"], p.x, p.y)


@pytest.mark.django_db
def test_search_by_code_prefix_and_ranking(client, tiny_city):
    community = Community.objects.order_by("code").first()
    hits = search(client, community.code, limit=20)
    assert hits[0] == {**hits[0], "kind": "communities", "code": community.code}
    # Everything else matched by that prefix is inside the community (grids, compounds).
    assert all(h["code"].startswith(community.code) for h in hits)
    assert {h["kind"] for h in hits[1:]} <= {"grids", "compounds"}


@pytest.mark.django_db
def test_search_part_of_a_name_covers_every_layer(client, tiny_city):
    street = Street.objects.first()
    xiaoqu = Xiaoqu.objects.order_by("code").first()
    assert search(client, street.name[:2])[0]["name"].startswith(street.name[:2])
    assert any(h["code"] == xiaoqu.code for h in search(client, xiaoqu.name, limit=20))
    assert search(client, "   ") == []
    assert search(client, "不存在的地方") == []


@pytest.mark.django_db
def test_search_treats_like_wildcards_as_text(client, tiny_city):
    assert search(client, "%") == []
    assert search(client, "_") == []


@pytest.mark.django_db
def test_search_answers_in_utf8(client, tiny_city):
    street = Street.objects.first()
    r = client.get("/api/search", {"q": street.name})
    assert street.name.encode() in r.content  # not \\u escapes


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": "网" * 51}, "at most 50"),
        ({"q": "网", "limit": "0"}, "limit must be"),
        ({"q": "网", "limit": "x"}, "limit must be"),
        ({"q": "网", "limit": "21"}, "from 1 to 20"),
    ],
)
def test_search_rejects_bad_queries(client, tiny_city, params, message):
    r = client.get("/api/search", params)
    assert r.status_code == 400 and message in r.json()["error"]


@pytest.mark.django_db
def test_grid_card_has_parents_and_load(client, tiny_city, settings):
    grid = Grid.objects.order_by("code").first()
    body = client.get(f"/api/features/grids/{grid.pk}").json()
    assert (body["code"], body["name"]) == (grid.code, grid.name)
    assert [p["kind"] for p in body["parents"]] == ["streets", "communities"]
    assert body["parents"][1]["code"] == grid.community.code
    assert body["facts"]["households"] == grid.households
    assert body["facts"]["microgrids"] == grid.microgrids.count()
    lo, hi = settings.GRIDATLAS_GRID_HOUSEHOLDS_MIN, settings.GRIDATLAS_GRID_HOUSEHOLDS_MAX
    expected = "under" if grid.households < lo else "over" if grid.households > hi else "ok"
    assert body["facts"]["load"] == expected


@pytest.mark.django_db
def test_building_card_names_its_grid_and_micro_grid(client, tiny_city):
    b = Building.objects.filter(parcel__micro_grid__isnull=False).select_related("parcel").first()
    body = client.get(f"/api/features/buildings/{b.pk}").json()
    by_kind = {p["kind"]: p["code"] for p in body["parents"]}
    assert by_kind["grids"] == b.parcel.grid.code
    assert by_kind["microgrids"] == b.parcel.micro_grid.code
    assert body["facts"] == {"households": b.households, "floors": b.floors, "units": b.units}


@pytest.mark.django_db
def test_every_clickable_layer_has_a_card_without_personal_data(client, tiny_city):
    for kind, model in [
        ("streets", Street),
        ("communities", Community),
        ("microgrids", MicroGrid),
        ("compounds", Xiaoqu),
        ("stations", ServiceStation),
    ]:
        obj = model.objects.first()
        body = client.get(f"/api/features/{kind}/{obj.pk}").json()
        assert body["name"] == obj.name and body["kind"] == kind
        assert len(body["bbox"]) == 4
        text = str(body)
        assert "phone" not in text and "worker" not in text


@pytest.mark.django_db
def test_card_errors_are_404_with_a_reason(client, tiny_city):
    r = client.get("/api/features/grids/999999")
    assert r.status_code == 404 and "no grids feature with id 999999" in r.json()["error"]
    r = client.get("/api/features/parcels/1")
    assert r.status_code == 404 and "use one of" in r.json()["error"]


@pytest.mark.django_db
def test_divisions_list_streets_then_their_communities(client, tiny_city):
    streets = client.get("/api/divisions").json()["divisions"]
    assert [s["code"] for s in streets] == sorted(Street.objects.values_list("code", flat=True))
    street = Street.objects.get(code=streets[0]["code"])
    body = client.get("/api/divisions", {"street": street.code}).json()
    codes = [c["code"] for c in body["divisions"]]
    assert codes == sorted(street.communities.values_list("code", flat=True))
    first = street.communities.get(code=codes[0]).geom.point_on_surface
    assert contains(body["divisions"][0]["bbox"], first.x, first.y)


@pytest.mark.django_db
def test_divisions_refuse_unknown_or_malformed_streets(client, tiny_city):
    assert client.get("/api/divisions", {"street": "12"}).status_code == 400
    r = client.get("/api/divisions", {"street": "999999999"})
    assert r.status_code == 404 and "GET /api/divisions lists them" in r.json()["error"]

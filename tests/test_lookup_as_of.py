""" "Which grid was this place in on date D" (&at=YYYY-MM-DD, manage.py lookup --at), on the tiny
demo city: before a publish's effective date the baseline answers, from it on the new layout;
a date before the baseline is the baseline; a community never published answers live."""

import pytest
from django.core.management import call_command
from django.db import connection

from layers.models import Grid, LayoutRevision, Parcel, Street
from tests.demo_city_support import planner_make
from tests.test_layout_commit import commit, neighbour_move

# Their publishes are dated 2027: on a later day they take effect at once.
pytestmark = pytest.mark.usefixtures("clock_2028")


@pytest.fixture
def published(client):
    """A parcel moved to its neighbour grid by revision 1, effective 2027-03-01."""
    user = planner_make("asof", streets=Street.objects.all())
    client.force_login(user)
    parcel_id, code, grid_code, micro_code = neighbour_move()
    source = Parcel.objects.get(pk=parcel_id).grid.code
    r = commit(
        client,
        code,
        base_revision=0,
        moves=[{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}],
        effective_date="2027-03-01",
        band_reason="测试",
    )
    assert r.status_code == 201, r.content
    client.logout()
    return {**point_of(parcel_id), "from": source, "to": grid_code, "community": code, "user": user}


def point_of(parcel_id):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
            "FROM layers_parcel WHERE id = %s) s",
            [parcel_id],
        )
        lon, lat = cur.fetchone()
    return {"lon": lon, "lat": lat}


def at(client, p, date=None):
    params = {"lon": p["lon"], "lat": p["lat"]}
    if date:
        params["at"] = date
    r = client.get("/api/lookup", params)
    assert r.status_code == 200, r.content
    return r.json()


@pytest.mark.django_db
def test_as_of_before_and_after_the_effective_date(client, tiny_city, published):
    p = published
    live = at(client, p)
    assert live["card"]["grid"]["code"] == p["to"] and "as_of" not in live
    before = at(client, p, "2027-02-28")
    assert (before["as_of"], before["revision"]) == ("2027-02-28", 0)
    assert before["card"]["grid"]["code"] == p["from"]
    assert before["card"]["revision"] == 0
    on = at(client, p, "2027-03-01")
    assert on["revision"] == 1 and on["card"]["grid"]["code"] == p["to"]
    assert at(client, p, "2030-01-01")["card"]["grid"]["code"] == p["to"]
    # Before the baseline (published effective 0001-01-01): still the baseline.
    ancient = at(client, p, "1990-05-04")
    assert ancient["revision"] == 0 and ancient["card"]["grid"]["code"] == p["from"]
    assert ancient["card"]["grid"]["name"] == Grid.objects.get(code=p["from"]).name
    r = client.get("/api/lookup", {"lon": p["lon"], "lat": p["lat"], "at": "March"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.json()["error"]


@pytest.mark.django_db
def test_a_later_backdated_publish_wins_over_the_baseline(client, tiny_city, published):
    """Effective dates, not publish order, decide: revision 2 moves the parcel back from
    2027-01-01 on, which is before revision 1's date; equal dates go to the higher number."""
    p = published
    client.force_login(p["user"])
    moved_back = LayoutRevision.objects.get(community__code=p["community"], number=1)
    parcel_id = moved_back.changed_parcels[0]
    r = commit(
        client,
        p["community"],
        base_revision=1,
        moves=[{"parcel": parcel_id, "grid": p["from"]}],
        effective_date="2027-01-01",
        band_reason="回退",
    )
    assert r.status_code == 201, r.content
    assert at(client, p, "2026-12-31")["revision"] == 0
    feb = at(client, p, "2027-02-01")
    assert feb["revision"] == 2 and feb["card"]["grid"]["code"] == p["from"]
    march = at(client, p, "2027-03-01")
    assert march["revision"] == 1 and march["card"]["grid"]["code"] == p["to"]
    # Live is revision 2's layout (the latest published), whatever the dates say.
    assert at(client, p)["card"]["grid"]["code"] == p["from"]


@pytest.mark.django_db
def test_a_community_never_published_answers_live(client, tiny_city):
    parcel = Parcel.objects.filter(grid__isnull=False).order_by("pk").first()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
            "FROM layers_parcel WHERE id = %s) s",
            [parcel.pk],
        )
        lon, lat = cur.fetchone()
    body = at(client, {"lon": lon, "lat": lat}, "2020-01-01")
    assert body["as_of"] == "2020-01-01" and body["revision"] is None
    assert body["card"]["grid"]["code"] == parcel.grid.code


@pytest.mark.django_db
def test_address_lookup_and_the_command_take_a_date(client, tiny_city, published, tmp_path):
    from layers.models import Address

    address = Address.objects.filter(building__community__code=published["community"]).first()
    assert address is not None
    r = client.get("/api/lookup", {"q": address.text, "at": "2027-02-01"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["as_of"] == "2027-02-01" and body["revision"] == 0
    top = body["candidates"][0]
    expected = at(client, {"lon": top["lon"], "lat": top["lat"]}, "2027-02-01")
    assert body["card"]["grid"] == expected["card"]["grid"]
    # manage.py lookup --at: the grid columns answer for that date.
    table = tmp_path / "points.csv"
    table.write_text(f"name,lon,lat\nhere,{published['lon']},{published['lat']}\n")
    for date, grid in (("2027-02-01", published["from"]), ("2027-06-01", published["to"])):
        out = tmp_path / f"out-{date}.csv"
        call_command("lookup", str(table), "--at", date, "--output", str(out))
        text = out.read_text(encoding="utf-8-sig")
        assert grid in text, text

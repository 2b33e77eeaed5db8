"""Scheduled layouts on the tiny demo city, with a frozen clock: a publish dated after today is
"scheduled" and changes nothing anyone sees (live grids, lookup, tiles, as-of today) until its day;
on that day the periodic task makes it the live layout without anyone acting; until then no other
publish goes in, and it can be cancelled; if the rules refuse it on the day, nothing changes and
the reason is kept."""

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from procrastinate.contrib.django import app

from layers.jobs import layouts_take_effect_task
from layers.models import Grid, LayoutRevision, Parcel, Street
from layers.services.layout_schedule import layouts_due_apply
from tests.demo_city_support import planner_make
from tests.test_layout_commit import commit, neighbour_move
from tests.test_lookup_as_of import at, point_of
from tests.test_tiles import get_tile, tile_of

CITY = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2027, 6, 1)


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=CITY)


@pytest.fixture
def planner(client):
    """Signed in on 2027-05-20 (the clock stays there unless a test moves it): a session begun
    today would have expired by then."""
    with time_machine.travel(local(2027, 5, 20, 15), tick=False):
        user = planner_make("scheduler", streets=Street.objects.all())
        client.force_login(user)
        yield user


@pytest.fixture
def scheduled(client, planner):
    """On 2027-05-20 a planner publishes a parcel's move to its neighbour grid, dated DAY."""
    parcel_id, code, grid_code, micro_code = neighbour_move()
    source = Parcel.objects.select_related("grid").get(pk=parcel_id).grid
    tile = tile_bytes(client, parcel_id)
    r = commit(
        client,
        code,
        base_revision=0,
        moves=[{"parcel": parcel_id, "grid": grid_code, "microgrid": micro_code}],
        effective_date=DAY.isoformat(),
        band_reason="测试：按期生效",
    )
    assert r.status_code == 201, r.content
    return {
        "response": r.json(),
        "parcel": parcel_id,
        "community": code,
        "from": source.code,
        "from_households": source.households,
        "to": grid_code,
        "tile": tile,
        **point_of(parcel_id),
    }


def tile_bytes(client, parcel_id) -> bytes:
    p = point_of(parcel_id)
    r = get_tile(client, "grids", *tile_of(p["lon"], p["lat"], 15))
    assert r.status_code == 200
    return r.content


def grid_at(client, s, date=None) -> str:
    """The grid /api/lookup answers at the moved parcel's point (today's, or as of `date`)."""
    body = at(client, s, date)
    return body["card"]["grid"]["code"]


def parcel_grid(parcel_id) -> str:
    return Parcel.objects.select_related("grid").get(pk=parcel_id).grid.code


@pytest.mark.django_db
def test_a_future_publish_is_scheduled_and_changes_nothing_live(client, tiny_city, scheduled):
    s = scheduled
    assert s["response"]["state"] == "scheduled" and s["response"]["revision"] == 1
    with time_machine.travel(local(2027, 5, 31, 23, 59), tick=False):
        assert parcel_grid(s["parcel"]) == s["from"]
        assert Grid.objects.get(code=s["from"]).households == s["from_households"]
        assert grid_at(client, s) == s["from"]
        assert grid_at(client, s, "2027-05-31") == s["from"]
        # The plan is visible to whoever asks about the day itself.
        assert grid_at(client, s, DAY.isoformat()) == s["to"]
        assert tile_bytes(client, s["parcel"]) == s["tile"]
        versions = client.get(f"/api/edit/communities/{s['community']}/revisions").json()
        newest = versions["revisions"][0]
        assert newest["number"] == 1 and newest["state"] == "scheduled"
        assert newest["author__username"] == "scheduler" and newest["applied_at"] is None
        assert newest["effective_date"] == DAY.isoformat() and newest["created_at"]
        assert versions["revisions"][-1]["state"] == "in_effect"  # the baseline
        layout = client.get(f"/api/edit/communities/{s['community']}/layout").json()
        assert layout["scheduled"]["revision"] == 1
        assert layout["scheduled"]["effective_date"] == DAY.isoformat()
        # Nothing is due the day before.
        assert layouts_due_apply() == {"applied": 0, "failed": 0}
        assert parcel_grid(s["parcel"]) == s["from"]


@pytest.mark.django_db
def test_no_other_publish_while_one_is_scheduled(client, tiny_city, scheduled):
    s = scheduled
    with time_machine.travel(local(2027, 5, 21, 9), tick=False):
        r = commit(
            client,
            s["community"],
            base_revision=1,
            moves=[{"parcel": s["parcel"], "grid": s["from"], "microgrid": None}],
            effective_date="2027-05-21",
            band_reason="紧急",
        )
    assert r.status_code == 409, r.content
    body = r.json()
    assert body["scheduled_revision"] == 1 and body["scheduled_effective_date"] == "2027-06-01"
    assert "cancel" in body["error"]
    assert parcel_grid(s["parcel"]) == s["from"]


@pytest.mark.django_db
def test_the_layout_takes_effect_on_its_day_without_anyone_acting(client, tiny_city, scheduled):
    s = scheduled
    # The worker's periodic task, ticking in the first minute of the day in the city (the UTC
    # date is still May 31st).
    tick = local(2027, 6, 1, 0, 1)
    assert tick.astimezone(datetime.UTC).date() == datetime.date(2027, 5, 31)
    with time_machine.travel(tick, tick=False):
        layouts_take_effect_task(timestamp=int(tick.timestamp()))
        assert parcel_grid(s["parcel"]) == s["to"]
        assert grid_at(client, s) == s["to"]
        assert grid_at(client, s, "2027-05-31") == s["from"]
        assert tile_bytes(client, s["parcel"]) != s["tile"]
        revision = LayoutRevision.objects.get(community__code=s["community"], number=1)
        assert revision.state == "in_effect" and revision.applied_at is not None
        assert Grid.objects.get(code=s["from"]).households < s["from_households"]
        # Idempotent: a second tick (or a second worker) changes nothing.
        assert layouts_due_apply() == {"applied": 0, "failed": 0}
        layout = client.get(f"/api/edit/communities/{s['community']}/layout").json()
        assert layout["scheduled"] is None and layout["revision"] == 1
    # The history rows say which publish moved the parcel.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.metadata FROM layers_parcelevent e JOIN pghistory_context c "
            "ON c.id = e.pgh_context_id WHERE e.pgh_obj_id = %s ORDER BY e.pgh_id DESC LIMIT 1",
            [s["parcel"]],
        )
        meta = cur.fetchone()[0]
    meta = json.loads(meta) if isinstance(meta, str) else meta
    assert meta["action"] == "layout_take_effect" and meta["layout_revision"] == 1


@pytest.mark.django_db
def test_the_task_uses_the_tick_date_and_runs_every_minute(client, tiny_city, scheduled):
    s = scheduled
    # A tick from 23:59 on the eve, run late (after midnight), does not apply it early.
    eve = local(2027, 5, 31, 23, 59)
    with time_machine.travel(local(2027, 6, 1, 0, 3), tick=False):
        layouts_take_effect_task(timestamp=int(eve.timestamp()))
    assert parcel_grid(s["parcel"]) == s["from"]
    periodic = {t.periodic_id: t for t in app.periodic_registry.periodic_tasks.values()}
    assert periodic["layouts_take_effect"].cron == "* * * * *"
    assert periodic["layouts_take_effect"].task.name == "layouts_take_effect"


@pytest.mark.django_db
def test_a_cancelled_publish_never_takes_effect(client, tiny_city, scheduled, planner):
    s = scheduled
    url = f"/api/edit/communities/{s['community']}/revisions/1/cancel"
    with time_machine.travel(local(2027, 5, 25, 10), tick=False):
        client.logout()
        assert client.post(url).status_code in (401, 403)
        client.force_login(planner)
        r = client.post(url)
        assert r.status_code == 200, r.content
        assert r.json()["state"] == "cancelled"
        assert client.post(url).status_code == 409
    with time_machine.travel(local(2027, 6, 2, 8), tick=False):
        assert layouts_due_apply() == {"applied": 0, "failed": 0}
        assert parcel_grid(s["parcel"]) == s["from"]
        assert grid_at(client, s, "2027-06-02") == s["from"]
        versions = client.get(f"/api/edit/communities/{s['community']}/revisions").json()
        assert versions["revisions"][0]["state"] == "cancelled"
        assert versions["revisions"][0]["cancelled_by__username"] == "scheduler"
        # Publishing is open again, on top of the last number.
        r = commit(
            client,
            s["community"],
            base_revision=1,
            moves=[{"parcel": s["parcel"], "grid": s["to"], "microgrid": None}],
            effective_date="2027-06-02",
            band_reason="重新发布",
        )
        assert r.status_code == 201, r.content
        assert r.json()["revision"] == 2 and r.json()["state"] == "in_effect"
        assert parcel_grid(s["parcel"]) == s["to"]
        # Revision 0 (the baseline) is in effect history: it cannot be cancelled.
        cancel_zero = f"/api/edit/communities/{s['community']}/revisions/0/cancel"
        assert client.post(cancel_zero).status_code == 400


@pytest.mark.django_db
def test_a_publish_the_rules_refuse_on_its_day_changes_nothing_and_says_why(
    client, tiny_city, scheduled
):
    s = scheduled
    # Meanwhile another grid of the community is given a code outside it (by SQL, as an
    # outside system might): on the day the community's check fails, so nothing changes.
    other = (
        Grid.objects.filter(community__code=s["community"])
        .exclude(code__in=[s["from"], s["to"]])
        .order_by("code")
        .first()
    )
    with connection.cursor() as cur:
        cur.execute("UPDATE layers_grid SET code = %s WHERE id = %s", ["9" * 15, other.pk])
    with time_machine.travel(local(2027, 6, 1, 0, 1), tick=False):
        assert layouts_due_apply()["failed"] == 1
        revision = LayoutRevision.objects.get(community__code=s["community"], number=1)
        assert revision.state == "failed" and revision.applied_at is None
        assert str(other.pk) not in revision.apply_error and revision.apply_error.strip()
        assert parcel_grid(s["parcel"]) == s["from"]
        versions = client.get(f"/api/edit/communities/{s['community']}/revisions").json()
        assert versions["revisions"][0]["state"] == "failed"
        with pytest.raises(Exception, match="could not take effect"):
            call_command("layouts_take_effect")


@pytest.mark.django_db
def test_only_the_state_of_a_revision_may_change_and_only_once(tiny_city, scheduled):
    revision = LayoutRevision.objects.get(community__code=scheduled["community"], number=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        LayoutRevision.objects.filter(pk=revision.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        LayoutRevision.objects.filter(pk=revision.pk).delete()
    LayoutRevision.objects.filter(pk=revision.pk).update(
        applied_at=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC)
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        LayoutRevision.objects.filter(pk=revision.pk).update(
            applied_at=datetime.datetime(2027, 7, 1, tzinfo=datetime.UTC)
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        LayoutRevision.objects.filter(pk=revision.pk).update(
            cancelled_at=datetime.datetime(2027, 7, 1, tzinfo=datetime.UTC)
        )


@pytest.mark.django_db
def test_an_import_of_grids_waits_for_a_scheduled_publish_of_their_community(tmp_path):
    """On its day a scheduled publish restores its whole layout: grids imported in between would
    be undone, so the import is refused (naming the publish) until it is cancelled or in effect."""
    from layers.services.layer_import import layer_import
    from tests.factories import box
    from tests.test_rule_check_defects import G2, freehand_pair, grids_file

    community = freehand_pair(split_a=200, split_b=200)
    revision = LayoutRevision.objects.create(
        community=community,
        number=1,
        effective_date=datetime.date(2099, 1, 1),
        assignment={},
    )
    before = Grid.objects.get(code=G2).geom.wkb
    path = grids_file(tmp_path, [(G2, box(200, 0, 390, 200))])
    report = layer_import(layer="grids", path=path, dry_run=False)
    refused = [i for i in report.errors if i.rule == "scheduled_publish_pending"]
    assert len(refused) == 1 and "2099-01-01" in refused[0].message, report.as_text()
    assert not report.written and Grid.objects.get(code=G2).geom.wkb == before
    LayoutRevision.objects.filter(pk=revision.pk).update(cancelled_at=datetime.datetime.now(CITY))
    report = layer_import(layer="grids", path=path, dry_run=False)
    assert not [i for i in report.issues if i.rule == "scheduled_publish_pending"]
    assert report.written and Grid.objects.get(code=G2).geom.wkb != before

"""Boundary history (django-pghistory): every insert, update and delete of a tracked table lands in
its event table by trigger (ORM and raw SQL alike), with who did it when a context is open."""

import pghistory
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection

from layers.models import GeomSource
from tests.factories import (
    box,
    community_make,
    grid_make,
    hierarchy_make,
    multi,
    parcel_make,
)

pytestmark = pytest.mark.django_db


def events(model_name: str, obj_pk: int):
    """The events of one row, oldest first."""
    return list(
        apps.get_model("layers", f"{model_name}Event")
        .objects.filter(pgh_obj_id=obj_pk)
        .order_by("pgh_id")
    )


def labels(model_name: str, obj_pk: int) -> list[str]:
    return [e.pgh_label for e in events(model_name, obj_pk)]


@pytest.fixture
def community():
    return hierarchy_make()


@pytest.fixture
def user():
    return get_user_model().objects.create(username="wangli")


def test_community_insert_update_delete_are_recorded(community):
    c = community_make(
        street=community.street, code=community.street.code + "002", extent=(500, 0, 700, 200)
    )
    pk = c.pk
    c.name = "新华社区"
    c.save()
    c.delete()
    evs = events("Community", pk)
    assert [e.pgh_label for e in evs] == ["insert", "update", "delete"]
    assert [e.name for e in evs] == ["测试社区", "新华社区", "新华社区"]
    assert {e.code for e in evs} == {community.street.code + "002"}


def test_grid_insert_update_delete_are_recorded(community):
    g = grid_make(community=community, seq=1)
    pk = g.pk
    g.name = "滨江网格"
    g.save()
    g.delete()
    evs = events("Grid", pk)
    assert [e.pgh_label for e in evs] == ["insert", "update", "delete"]
    assert evs[1].name == evs[2].name == "滨江网格"


def test_a_save_that_changes_nothing_tracked_writes_no_event(community):
    g = grid_make(community=community, seq=1)
    before = len(events("Grid", g.pk))
    # updated_at is tracked, so a plain save() is a change; an UPDATE to the same values is not.
    with connection.cursor() as cur:
        cur.execute("UPDATE layers_grid SET name = name WHERE id = %s", [g.pk])
    assert len(events("Grid", g.pk)) == before


def test_parcel_insert_update_delete_are_recorded_and_the_grid_redraw_too(community):
    g = grid_make(community=community, seq=1)
    p = parcel_make(community=community, extent=(0, 0, 100, 100))
    pk = p.pk
    p.grid = g
    p.save()
    p.delete()
    evs = events("Parcel", pk)
    assert [e.pgh_label for e in evs] == ["insert", "update", "delete"]
    assert [e.grid_id for e in evs] == [None, g.pk, g.pk]
    # The grid's derived polygon appeared and disappeared with the parcel: both are history.
    grid_geoms = [e.geom for e in events("Grid", g.pk)]
    assert grid_geoms[0] is None and grid_geoms[-1] is None
    assert any(geom is not None and geom.equals(multi(box(0, 0, 100, 100))) for geom in grid_geoms)


def test_an_update_made_by_raw_sql_is_recorded(community):
    g = grid_make(community=community, seq=1)
    with connection.cursor() as cur:
        cur.execute("UPDATE layers_grid SET name = %s WHERE id = %s", ["改名网格", g.pk])
    last = events("Grid", g.pk)[-1]
    assert (last.pgh_label, last.name) == ("update", "改名网格")
    assert last.pgh_context_id is None  # nobody declared who did it


def test_a_delete_made_by_raw_sql_is_recorded_with_the_last_values(community):
    p = parcel_make(community=community, extent=(0, 0, 100, 100))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM layers_parcel WHERE id = %s", [p.pk])
    last = events("Parcel", p.pk)[-1]
    assert last.pgh_label == "delete"
    assert last.geom.equals_exact(box(0, 0, 100, 100), tolerance=0)


def test_the_context_carries_the_user_and_the_note(community, user):
    g = grid_make(community=community, seq=1)
    with pghistory.context(user=user.pk, note="按街道通知调整"):
        g.name = "调整后网格"
        g.save()
    last = events("Grid", g.pk)[-1]
    assert last.pgh_context is not None
    assert last.pgh_context.metadata == {"user": user.pk, "note": "按街道通知调整"}
    # The insert before the context opened has none.
    assert events("Grid", g.pk)[0].pgh_context_id is None


def test_one_context_groups_every_event_it_caused(community, user):
    g = grid_make(community=community, seq=1)
    p = parcel_make(community=community, extent=(0, 0, 100, 100))
    with pghistory.context(user=user.pk):
        p.grid = g
        p.save()  # the parcel changes, and the trigger redraws the grid
    parcel_ctx = events("Parcel", p.pk)[-1].pgh_context_id
    grid_ctx = events("Grid", g.pk)[-1].pgh_context_id
    assert parcel_ctx is not None and parcel_ctx == grid_ctx


def test_raw_sql_inside_a_context_carries_the_user(community, user):
    g = grid_make(community=community, seq=1)
    with pghistory.context(user=user.pk), connection.cursor() as cur:
        cur.execute("UPDATE layers_grid SET name = %s WHERE id = %s", ["脚本改名", g.pk])
    last = events("Grid", g.pk)[-1]
    assert last.name == "脚本改名"
    assert last.pgh_context.metadata["user"] == user.pk


def test_events_hold_the_old_and_the_new_geometry(community):
    old, new = multi(box(0, 0, 100, 100)), multi(box(0, 0, 150, 100))
    g = grid_make(community=community, seq=1, geom=old, geom_source=GeomSource.FREEHAND)
    g.geom = new
    g.save()
    insert, update = events("Grid", g.pk)
    assert insert.geom.equals_exact(old, tolerance=0)
    assert update.geom.equals_exact(new, tolerance=0)
    # A redraw keeps the grid's identity and code.
    assert insert.pgh_obj_id == update.pgh_obj_id == g.pk
    assert insert.code == update.code == g.code


def test_a_parcel_redraw_keeps_both_outlines(community):
    p = parcel_make(community=community, extent=(0, 0, 100, 100))
    p.geom = box(0, 0, 100, 120)
    p.save()
    first, second = events("Parcel", p.pk)
    assert first.geom.equals_exact(box(0, 0, 100, 100), tolerance=0)
    assert second.geom.equals_exact(box(0, 0, 100, 120), tolerance=0)


def test_the_tile_copy_is_not_history():
    # geom_3857 is a function of geom: keeping it would double every event's size for nothing.
    for name in ("Community", "Grid", "MicroGrid", "Parcel", "Building"):
        fields = {f.name for f in apps.get_model("layers", f"{name}Event")._meta.fields}
        assert "geom" in fields and "geom_3857" not in fields

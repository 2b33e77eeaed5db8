"""Cut lines (layers/services/parcel_cut.py, POST /api/edit/communities/<code>/cut): the pieces
tile the old parcel exactly and share their edges with the neighbours, the largest keeps the id,
buildings follow their ground, ends that stop short are carried onto the edge, a line through a
building is a 422 naming it, a line that splits nothing a 400, planners only, and the layout
revision does not move.

The world: community 0..400 × 0..200 (~metres), parcels A = 0..200 (grid 1) and B = 200..400
(grid 2), each its own micro-grid; buildings a1 in the west of A, a2 in its east, b1 in B.
"""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import LineString

from geo.errors import BadRequest, RuleViolation
from geo.srid import STORAGE_SRID
from layers.models import Building, Grid, LayoutRevision, Parcel
from layers.rules import boundary_violations
from layers.services.parcel_cut import parcels_cut
from tests.factories import (
    area_m2,
    building_make,
    grid_make,
    hierarchy_make,
    lonlat,
    microgrid_make,
    parcel_make,
)

STRUCTURAL = ("outside_parent", "overlap", "gap", "split_building")


@pytest.fixture
def world(db):
    c = hierarchy_make()
    g1, g2 = grid_make(community=c, seq=1), grid_make(community=c, seq=2)
    m1, m2 = microgrid_make(grid=g1, seq=1), microgrid_make(grid=g2, seq=1)
    a = parcel_make(community=c, extent=(0, 0, 200, 200), grid=g1, micro_grid=m1)
    b = parcel_make(community=c, extent=(200, 0, 400, 200), grid=g2, micro_grid=m2)
    building_make(community=c, seq=1, extent=(10, 10, 30, 30), households=40)
    building_make(community=c, seq=2, extent=(150, 150, 170, 170), households=60)
    building_make(community=c, seq=3, extent=(300, 100, 320, 120), households=80)
    planner = get_user_model().objects.create_user("cutter", password="pw", is_staff=True)
    planner.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    planner = get_user_model().objects.get(pk=planner.pk)
    return {"community": c, "a": a, "b": b, "g1": g1, "g2": g2, "user": planner}


def line(*points) -> LineString:
    return LineString([lonlat(x, y) for x, y in points], srid=STORAGE_SRID)


def structural(code: str) -> list:
    return [v for v in boundary_violations(rules=STRUCTURAL, scope=code)]


def test_a_line_across_a_parcel_splits_it_into_pieces_that_tile_it(world):
    c, a = world["community"], world["a"]
    old = Parcel.objects.get(pk=a.pk).geom
    grid_area = area_m2(Grid.objects.get(pk=world["g1"].pk).geom)
    result = parcels_cut(
        community_code=c.code, line=line((120, -5), (120, 205)), user=world["user"]
    )
    assert result.split == [a.pk] and len(result.created) == 1
    kept, new = Parcel.objects.get(pk=a.pk), Parcel.objects.get(pk=result.created[0])
    # The largest piece keeps the id; the new one has the same grid and micro-grid.
    assert area_m2(kept.geom) > area_m2(new.geom) > 0
    assert (new.grid_id, new.micro_grid_id) == (a.grid_id, a.micro_grid_id)
    # Exact tiling: no area lost or doubled, the shared edge is one 200 m line on both sides.
    assert area_m2(kept.geom.union(new.geom).sym_difference(old)) < 1e-6
    assert area_m2(kept.geom.intersection(new.geom)) < 1e-9
    shared = kept.geom.boundary.intersection(new.geom.boundary)
    assert shared.transform(3857, clone=True).length == pytest.approx(200 * 1.15, rel=0.05)
    # Buildings follow their ground; totals are re-derived; the grid is unchanged.
    assert Building.objects.get(code=f"{c.code}0001").parcel_id == kept.pk
    assert Building.objects.get(code=f"{c.code}0002").parcel_id == new.pk
    assert (kept.households, new.households) == (40, 60)
    g1 = Grid.objects.get(pk=world["g1"].pk)
    assert g1.households == 100 and area_m2(g1.geom) == pytest.approx(grid_area, abs=1e-3)
    assert len(g1.geom) == 1  # still one polygon: no sliver, no crack
    assert structural(c.code) == []
    assert not LayoutRevision.objects.filter(community=c).exists()  # no new revision
    pieces = {p["id"]: p for p in result.parcels}
    assert set(pieces) == {a.pk, new.pk}
    # History says which cut made the pieces, and who drew it.
    event = apps.get_model("layers", "ParcelEvent").objects.filter(pgh_obj_id=new.pk).first()
    assert event.pgh_context.metadata == {
        "action": "parcel_cut",
        "community": c.code,
        "author": "cutter",
    }
    assert pieces[new.pk]["households"] == 60 and pieces[new.pk]["grid"] == world["g1"].code


def test_a_line_across_two_parcels_splits_both_with_shared_nodes(world):
    c = world["community"]
    result = parcels_cut(community_code=c.code, line=line((-5, 90), (405, 90)), user=world["user"])
    assert result.split == sorted([world["a"].pk, world["b"].pk]) and len(result.created) == 2
    parcels = list(Parcel.objects.filter(community=c))
    assert len(parcels) == 4
    total = parcels[0].geom
    for p in parcels[1:]:
        total = total.union(p.geom)
    assert area_m2(total.sym_difference(c.geom)) < 1e-6
    # The node at (200, 90) is a vertex of all four pieces: the grids' union stays clean.
    common = set.intersection(*(set(p.geom.exterior_ring.coords) for p in parcels))
    node = lonlat(200, 90)
    assert [c for c in common if abs(c[0] - node[0]) + abs(c[1] - node[1]) < 1e-9]
    assert structural(c.code) == []
    assert sum(p.households for p in Parcel.objects.filter(community=c)) == 180


def test_ends_that_stop_short_are_carried_onto_the_edge(world):
    c, a = world["community"], world["a"]
    # Both ends stop 0.6 m short of the parcel's edges (GRIDATLAS_CUT_SNAP_M is 1 m): they are
    # carried onto them, and the cut splits A edge to edge.
    result = parcels_cut(
        community_code=c.code, line=line((120, 0.6), (120, 199.4)), user=world["user"]
    )
    assert result.split == [a.pk]
    pieces = Parcel.objects.filter(pk__in=[a.pk, *result.created])
    assert sum(area_m2(p.geom) for p in pieces) == pytest.approx(area_m2(a.geom), rel=1e-9)
    assert structural(c.code) == []


def test_an_end_on_a_neighbour_edge_gives_the_neighbour_the_node_too(world, settings):
    c, b = world["community"], world["b"]
    before = Parcel.objects.get(pk=b.pk).geom.num_coords
    # From the top edge of A down to the A|B edge at (200, 80), 0.5 m short of it.
    parcels_cut(
        community_code=c.code, line=line((150, 205), (150, 80), (199.5, 80)), user=world["user"]
    )
    b_after = Parcel.objects.get(pk=b.pk).geom
    assert b_after.num_coords == before + 1  # the node where the cut meets the shared edge
    assert area_m2(b_after.sym_difference(b.geom)) < 1e-6
    assert structural(c.code) == []


def test_a_line_through_a_building_is_refused_naming_it(world):
    c = world["community"]
    with pytest.raises(RuleViolation) as exc:
        parcels_cut(community_code=c.code, line=line((20, -5), (20, 205)), user=world["user"])
    assert f"{c.code}0001" in exc.value.message
    assert exc.value.details["buildings"][0]["code"] == f"{c.code}0001"
    assert Parcel.objects.filter(community=c).count() == 2  # nothing written


def test_a_line_that_splits_nothing_is_a_bad_request(world):
    c = world["community"]
    with pytest.raises(BadRequest, match="splits no parcel"):
        parcels_cut(community_code=c.code, line=line((50, 50), (90, 60)), user=world["user"])
    # Along an existing edge: nothing to split either.
    with pytest.raises(BadRequest, match="splits no parcel"):
        parcels_cut(community_code=c.code, line=line((200, -5), (200, 205)), user=world["user"])


def test_the_cut_endpoint(world, client):
    c, a = world["community"], world["a"]
    url = f"/api/edit/communities/{c.code}/cut"
    body = {"line": json.loads(line((120, -5), (120, 205)).json)}
    r = client.post(url, data=json.dumps(body), content_type="application/json")
    assert r.status_code == 403
    client.force_login(world["user"])
    for bad in ({}, {"line": {"type": "Point", "coordinates": [114.3, 30.6]}}, "x"):
        r = client.post(url, data=json.dumps(bad), content_type="application/json")
        assert r.status_code == 400, r.content
    r = client.post(url, data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["split"] == [a.pk] and len(out["created"]) == 1
    assert {p["id"] for p in out["parcels"]} == {a.pk, *out["created"]}
    first = out["parcels"][0]
    assert {"id", "grid", "microgrid", "households", "buildings"} <= set(first)
    assert first["geometry"]["type"] == "Polygon"
    through = {"line": json.loads(line((20, -5), (20, 205)).json)}
    r = client.post(url, data=json.dumps(through), content_type="application/json")
    assert r.status_code == 422 and r.json()["buildings"][0]["code"] == f"{c.code}0001"
    r = client.post(
        "/api/edit/communities/999999999999/cut",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 404


def test_vertices_near_corners_snap_onto_them(world):
    c, a, b = world["community"], world["a"], world["b"]
    b_before = Parcel.objects.get(pk=b.pk).geom
    # Drawn 0.4 m beside the A|B edge, its vertices within 1 m of the edge's ends: it snaps onto
    # the edge and splits nothing (rather than cutting a 0.4 m strip).
    with pytest.raises(BadRequest, match="splits no parcel"):
        parcels_cut(
            community_code=c.code, line=line((199.6, 0.3), (199.6, 199.7)), user=world["user"]
        )
    # Ending 0.5 m from the corner (200, 200): the cut meets the corner itself, so the pieces
    # have that exact vertex and B, untouched, keeps its ring.
    result = parcels_cut(
        community_code=c.code, line=line((120, -5), (199.7, 199.6)), user=world["user"]
    )
    corner = lonlat(200, 200)
    for pk in (a.pk, *result.created):
        assert corner in Parcel.objects.get(pk=pk).geom.exterior_ring.coords
    assert Parcel.objects.get(pk=b.pk).geom.equals_exact(b_before, 0)
    assert structural(c.code) == []

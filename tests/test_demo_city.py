"""The demo city generator: determinism, exact tiling, households adding up, realism, and the
planted defects found by the boundary rules."""

import csv
from collections import Counter

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from fixtures.demo_city import city_load
from fixtures.demo_city.divisions import DIVISIONS_CSV
from layers.models import Building, Community, District, Grid, MicroGrid, Pairing, Parcel, Xiaoqu
from layers.rules import boundary_violations
from tests.demo_city_support import city_loaded, city_truncate, plan_make

STRUCTURAL = ("outside_parent", "overlap", "gap", "split_building", "code_parent")


@pytest.fixture(scope="module")
def small_plan():
    return plan_make(scale="small", seed=42)


@pytest.fixture(scope="module")
def small_city(django_db_setup, django_db_blocker, small_plan):
    with city_loaded(django_db_blocker, small_plan) as plan:
        yield plan


def scalar(sql, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


# --- pure plan: no database -------------------------------------------------------------------


def test_same_seed_same_city_other_seed_other_city(small_plan):
    assert plan_make(scale="small", seed=42).digest() == small_plan.digest()
    assert plan_make(scale="small", seed=43).digest() != small_plan.digest()


def test_sizes_follow_the_design_table(small_plan):
    p = small_plan
    households = sum(b["households"] for b in p.buildings)
    assert (len(p.districts), len(p.streets), len(p.communities)) == (1, 3, 12)
    assert 70 <= len(p.grids) <= 130
    assert 350 <= len(p.microgrids) <= 650
    assert 40 <= len(p.xiaoqus) <= 90
    assert 1100 <= len(p.buildings) <= 1900
    assert 30_000 <= households <= 50_000
    assert 15 <= len(p.stations) <= 40
    assert len(p.units) == 20
    assert all(20 <= b["households"] <= 300 for b in p.buildings)


def test_divisions_carry_real_names_and_codes(small_plan):
    with open(DIVISIONS_CSV, encoding="utf-8") as f:
        real = {r["code"]: r for r in csv.DictReader(f)}
    for c in small_plan.communities:
        assert c["code"] in real, c["code"]
        assert real[c["code"]]["parent"][:9] == c["street"]
        assert c["name"][:2] == real[c["code"]]["name"][:2]
    assert small_plan.districts[0]["code"] == "420102"
    assert small_plan.districts[0]["name"] == "江岸区"


def test_no_boundary_covers_water(small_plan):
    water = small_plan.water
    assert water.area > 50_000  # there is a river
    for c in small_plan.communities:
        assert c["geom"].intersection(water).area < 1.0, c["code"]


def test_compound_kinds_and_organisation_gaps(small_plan):
    kinds = Counter(x["kind"] for x in small_plan.xiaoqus)
    assert set(kinds) == {"old", "commercial", "work_unit", "redeveloped"}
    no_party = [x for x in small_plan.xiaoqus if not x["party_organisation"]]
    assert 0 < len(no_party) < len(small_plan.xiaoqus)


# --- loaded into PostGIS ----------------------------------------------------------------------


@pytest.mark.django_db
def test_counts_in_database_match_plan(small_city):
    assert District.objects.count() == 1
    assert Community.objects.count() == len(small_city.communities)
    assert Grid.objects.count() == len(small_city.grids)
    assert MicroGrid.objects.count() == len(small_city.microgrids)
    assert Building.objects.count() == len(small_city.buildings)
    assert Parcel.objects.filter(grid__isnull=True).count() == 0
    assert Parcel.objects.filter(micro_grid__isnull=True).count() == 0


@pytest.mark.django_db
def test_clean_city_breaks_no_structural_rule(small_city):
    found = [v for v in boundary_violations() if v.rule in STRUCTURAL]
    assert found == []


@pytest.mark.django_db
def test_rules_run_inside_a_history_context_as_in_a_request(small_city):
    # pghistory's request middleware wraps the cursor and reads the SQL as a string.
    import pghistory

    with pghistory.context(user=None, url="/check"):
        assert [v for v in boundary_violations() if v.rule in STRUCTURAL] == []


@pytest.mark.django_db
def test_grids_tile_each_community_exactly(small_city):
    # Uncovered and doubly covered area per community, in m² (EPSG:4547), computed by PostGIS.
    rows = _fetch("""
        SELECT c.code,
               ST_Area(ST_SymDifference(ST_Transform(c.geom, 4547),
                                        ST_Transform(ST_Union(g.geom), 4547))),
               ST_Area(ST_Transform(c.geom, 4547)) - sum(ST_Area(ST_Transform(g.geom, 4547)))
          FROM layers_community c JOIN layers_grid g ON g.community_id = c.id
         GROUP BY c.id""")
    assert len(rows) == 12
    for code, symdiff_m2, area_diff_m2 in rows:
        assert symdiff_m2 < 1.0, code
        assert abs(area_diff_m2) < 1.0, code  # union = sum of areas ⇒ no overlap


@pytest.mark.django_db
def test_microgrids_tile_their_grid_and_streets_their_district(small_city):
    worst = scalar("""
        SELECT max(ST_Area(ST_SymDifference(ST_Transform(g.geom, 4547),
                                            ST_Transform(u.geom, 4547))))
          FROM layers_grid g
          JOIN (SELECT grid_id, ST_Union(geom) AS geom FROM layers_microgrid GROUP BY grid_id) u
            ON u.grid_id = g.id""")
    assert worst < 1.0
    district_gap = scalar("""
        SELECT ST_Area(ST_SymDifference(
                   ST_Transform(d.geom, 4547),
                   ST_Transform((SELECT ST_Union(geom) FROM layers_street), 4547)))
          FROM layers_district d""")
    assert district_gap < 1.0


@pytest.mark.django_db
def test_households_add_up_at_every_level(small_city):
    total = sum(b["households"] for b in small_city.buildings)
    for table in ("layers_building", "layers_parcel", "layers_grid", "layers_microgrid"):
        assert scalar(f"SELECT sum(households) FROM {table}") == total, table
    # Independently of the derivation: buildings found inside each grid by geometry.
    mismatches = scalar("""
        SELECT count(*) FROM layers_grid g
         WHERE g.households <> (SELECT coalesce(sum(b.households), 0) FROM layers_building b
                                 WHERE ST_Covers(g.geom, ST_PointOnSurface(b.geom)))""")
    assert mismatches == 0


@pytest.mark.django_db
def test_every_building_lies_in_exactly_one_grid_and_microgrid(small_city):
    for table in ("layers_grid", "layers_microgrid"):
        bad = scalar(f"""
            SELECT count(*) FROM layers_building b
             WHERE (SELECT count(*) FROM {table} u
                     WHERE ST_Covers(u.geom, b.geom)) <> 1""")
        assert bad == 0, table


@pytest.mark.django_db
def test_realistic_gaps_exist(small_city):
    unpaired = Community.objects.exclude(pk__in=Pairing.objects.values("community")).count()
    assert 0 < unpaired < 12
    assert 0 < Xiaoqu.objects.filter(party_organisation="").count() < Xiaoqu.objects.count()
    statuses = Counter(g.load_status for g in Grid.objects.all())
    assert statuses["ok"] > statuses["under"] + statuses["over"] > 0
    # Stations are uneven: buildings with no station within the 5-minute walk (300 m) exist,
    # and are commoner in the west half of the city than in the east half.
    far = _fetch("""
        WITH b AS (SELECT ST_Transform(b.geom, 4547) AS g FROM layers_building b),
             s AS (SELECT ST_Transform(geom, 4547) AS g FROM layers_servicestation),
             mid AS (SELECT ST_X(ST_Centroid(ST_Transform(geom, 4547))) AS x FROM layers_district)
        SELECT ST_X(ST_Centroid(b.g)) < mid.x AS west, count(*)
          FROM b, mid
         WHERE NOT EXISTS (SELECT 1 FROM s WHERE ST_DWithin(s.g, b.g, 300))
         GROUP BY 1""")
    far = dict(far)
    assert far.get(True, 0) > far.get(False, 0) > 0


@pytest.mark.django_db
def test_grid_codes_run_north_to_south(small_city):
    rows = _fetch("""
        SELECT c.code, ST_Y(ST_Centroid(ST_Transform(min_g.geom, 4547))),
                       ST_Y(ST_Centroid(ST_Transform(max_g.geom, 4547)))
          FROM layers_community c
          JOIN LATERAL (SELECT geom FROM layers_grid WHERE community_id = c.id
                        ORDER BY code LIMIT 1) min_g ON true
          JOIN LATERAL (SELECT geom FROM layers_grid WHERE community_id = c.id
                        ORDER BY code DESC LIMIT 1) max_g ON true""")
    for code, first_y, last_y in rows:
        assert first_y >= last_y - 200.0, code  # same 200 m band at worst


def _fetch(sql):
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


# --- planted defects ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_planted_defects_are_exactly_what_the_rules_find(django_db_setup, django_db_blocker):
    plan = plan_make(scale="small", seed=42, with_defects=True)
    rules = {d["rule"] for d in plan.defects}
    assert rules == {"overlap", "gap", "split_building", "code_parent", "outside_parent"}
    with city_loaded(django_db_blocker, plan):
        found = {(v.rule, v.codes[0]) for v in boundary_violations() if v.rule in STRUCTURAL}
    expected = {(d["rule"], d["codes"][0]) for d in plan.defects}
    assert found == expected
    # Each violation says where: the map can highlight it.
    split = next(d for d in plan.defects if d["rule"] == "split_building")
    assert len(split["grids"]) == 2


# --- the command --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_command_builds_refuses_to_overwrite_and_keeps_if_empty(capsys):
    try:
        call_command("build_demo_city", scale="tiny", seed=1, replace=True)
        n = Building.objects.count()
        assert n > 0
        with pytest.raises(CommandError, match="--replace"):
            call_command("build_demo_city", scale="tiny", seed=2)
        call_command("build_demo_city", scale="tiny", seed=2, if_empty=True)
        assert Building.objects.count() == n
        assert "leaving it as it is" in capsys.readouterr().out
    finally:
        city_truncate()


@pytest.mark.django_db(transaction=True)
def test_failed_load_leaves_the_database_as_it_was():
    try:
        call_command("build_demo_city", scale="tiny", seed=1, replace=True)
        before = (Community.objects.count(), Building.objects.count(), Grid.objects.count())
        before_codes = sorted(Building.objects.values_list("code", flat=True)[:3])
        plan = plan_make(scale="tiny", seed=5)
        plan.buildings[-1]["code"] = plan.buildings[0]["code"]  # a clash only the DB sees
        with pytest.raises(IntegrityError, match="layers_building_code"):
            city_load(plan=plan, replace=True)  # replace: the old city was truncated first…
        plan = plan_make(scale="tiny", seed=5)
        bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
        c = plan.buildings[-1]["geom"].centroid
        plan.buildings[-1]["geom"] = shapely.affinity.translate(bowtie, c.x, c.y)
        with pytest.raises(ValueError, match="invalid in degrees.*Self-intersection"):
            city_load(plan=plan, replace=True)
        after = (Community.objects.count(), Building.objects.count(), Grid.objects.count())
        assert after == before  # …and is back, whole
        assert sorted(Building.objects.values_list("code", flat=True)[:3]) == before_codes
    finally:
        city_truncate()


@pytest.mark.django_db(transaction=True)
def test_committed_sample_loads_and_keeps_the_rules():
    from fixtures.demo_city.sample import SAMPLE_PATH, plan_read

    plan, _ = plan_read(SAMPLE_PATH)
    try:
        call_command("build_demo_city", from_sample=str(SAMPLE_PATH), replace=True)
        assert Building.objects.count() == len(plan.buildings) > 100
        assert sorted(Grid.objects.values_list("code", flat=True)) == sorted(
            g["code"] for g in plan.grids
        )
        assert [v for v in boundary_violations() if v.rule in STRUCTURAL] == []
    finally:
        city_truncate()


def test_unreadable_sample_is_a_clear_command_error(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot read the sample"):
        call_command("build_demo_city", from_sample=str(bad))

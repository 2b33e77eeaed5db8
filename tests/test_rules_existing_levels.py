"""Boundary rules for the levels that exist (issue 15): a district's own files often hold streets,
communities and grids, but no micro-grids, no buildings and no household counts. The rules apply
where their level is in use, the band where households are known; what they cannot judge is a
notice, which never blocks (docs/design.md, "Levels in use"). And a real defect at a level in use
is always a violation, never hidden as a notice (the generated corpus at the end).

Shapes from tests.factories: offsets in ~metres east and north of its origin; the community
0..400 × 0..200 is cut into 100 m columns.
"""

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from geo.errors import RuleViolation
from layers.models import Community, Grid, MicroGrid, Parcel
from layers.permissions import SYSTEM
from layers.rules import NOTICE, VIOLATION, boundary_violations
from layers.services.layer_import import layer_import
from layers.services.layout_apply import ParcelMove
from layers.services.layout_drafts import draft_check
from layers.services.layouts import layout_commit
from tests.factories import (
    COMMUNITY_CODE,
    DISTRICT_CODE,
    STREET_CODE,
    area_m2,
    box,
    building_make,
    community_make,
    district_make,
    grid_make,
    microgrid_make,
    multi,
    parcel_make,
    street_make,
)
from tests.test_rule_check_defects import grids_file

pytestmark = pytest.mark.django_db

C1, C2 = COMMUNITY_CODE, f"{STREET_CODE}002"
OTHER_DISTRICT = "420198"  # another district of the factories' made-up codes
WIDTH = 200  # the communities' height, m


def keys(violations) -> set:
    """(severity, rule, kind or rule, level, codes) of each."""
    return {(v.severity, v.rule, v.kind or v.rule, v.level, v.codes) for v in violations}


def tight_street(extent=(0, 0, 800, WIDTH)):
    """A district and a street of the same extent: their own levels have no gap."""
    return street_make(district=district_make(extent=extent), extent=extent)


def columns_layout(community, grid_of: list[int], micro_of=None, *, x0: float = 0) -> dict:
    """Derived grids (and micro-grids) from 100 m parcel columns from x0 east: column i goes to
    grid grid_of[i] and micro-grid micro_of[i] of that grid (None: none). {code: unit}."""
    units: dict[str, object] = {}
    for i, seq in enumerate(grid_of):
        code = f"{community.code}{seq:03d}"
        grid = units.get(code) or grid_make(community=community, seq=seq)
        units[code] = grid
        micro = None
        if micro_of and micro_of[i] is not None:
            code = f"{grid.code}{micro_of[i]:03d}"
            micro = units.get(code) or microgrid_make(grid=grid, seq=micro_of[i])
            units[code] = micro
        extent = (x0 + 100 * i, 0, x0 + 100 * (i + 1), WIDTH)
        parcel_make(community=community, extent=extent, grid=grid, micro_grid=micro)
    return units


# --- 1. gaps only where the level is in use -------------------------------------------------------


def test_no_microgrid_gap_in_a_community_without_microgrids():
    street = tight_street()
    one = community_make(street=street, extent=(0, 0, 400, WIDTH))
    columns_layout(one, [1, 1, 2, 2])  # derived grids: the parcel fast path
    two = community_make(street=street, code=C2, extent=(400, 0, 800, WIDTH))
    for seq, x in ((1, 400), (2, 600)):  # freehand grids: the general overlay
        grid_make(
            community=two, seq=seq, geom=multi(box(x, 0, x + 200, WIDTH)), geom_source="freehand"
        )
    assert not Parcel.objects.exclude(micro_grid=None).exists()  # the old rule: 4 whole gaps
    found = boundary_violations(rules=("gap",), notices=True)
    assert found == [], keys(found)


def test_a_microgrid_gap_is_still_found_in_a_community_that_uses_them():
    street = tight_street()
    one = community_make(street=street, extent=(0, 0, 400, WIDTH))
    # Grid 1: a micro-grid over its first column, none over its second; grid 2: no micro-grid.
    columns_layout(one, [1, 1, 2, 2], [1, None, None, None])
    two = community_make(street=street, code=C2, extent=(400, 0, 800, WIDTH))
    free = grid_make(
        community=two, seq=1, geom=multi(box(400, 0, 600, WIDTH)), geom_source="freehand"
    )
    microgrid_make(grid=free, seq=1, geom=multi(box(400, 0, 500, WIDTH)), geom_source="freehand")
    grid_make(community=two, seq=2, geom=multi(box(600, 0, 800, WIDTH)), geom_source="freehand")
    found = boundary_violations(rules=("gap",), levels=("microgrid",), notices=True)
    gaps = {v.codes[0]: v for v in found}
    assert keys(found) == {
        (VIOLATION, "gap", "gap", "microgrid", (code,))
        for code in (f"{C1}001", f"{C1}002", f"{C2}001", f"{C2}002")
    }
    column = area_m2(box(0, 0, 100, WIDTH))
    for code, columns in ((f"{C1}001", 1), (f"{C1}002", 2), (f"{C2}001", 1), (f"{C2}002", 2)):
        assert abs(gaps[code].area_m2 - columns * column) < 5, code
    assert keys(boundary_violations(rules=("gap",), levels=("microgrid",))) == keys(found)


@pytest.fixture
def two_districts():
    """District 420199 (0..1200): street 001 with community 001 (grids) and 002 (no grid); street
    002 with no community. District 420198 (no street)."""
    district = district_make(extent=(0, 0, 1200, WIDTH))
    street = street_make(district=district, extent=(0, 0, 800, WIDTH))
    street_make(district=district, code=f"{DISTRICT_CODE}002", extent=(800, 0, 1200, WIDTH))
    one = community_make(street=street, extent=(0, 0, 400, WIDTH))
    grid_make(community=one, seq=1, geom=multi(box(0, 0, 400, WIDTH)), geom_source="freehand")
    community_make(street=street, code=C2, extent=(400, 0, 800, WIDTH))
    district_make(code=OTHER_DISTRICT, extent=(5000, 0, 5400, WIDTH))


def test_undivided_parents_are_notices_where_their_level_is_used_nearby(two_districts):
    with translation.override("en"):
        found = boundary_violations(rules=("gap",), notices=True)
    assert keys(found) == {
        (NOTICE, "gap", "not_divided", "street", (OTHER_DISTRICT,)),  # other districts have some
        (NOTICE, "gap", "not_divided", "community", (f"{DISTRICT_CODE}002",)),
        (NOTICE, "gap", "not_divided", "grid", (C2,)),  # its district has grids
    }
    (grid_notice,) = [v for v in found if v.level == "grid"]
    assert grid_notice.message.startswith(f"{C2} has no grid at all")
    assert grid_notice.area_m2 is None and grid_notice.geom is not None
    assert boundary_violations(rules=("gap",)) == []  # notices only


def test_a_community_with_parcels_and_no_grid_is_a_gap(two_districts):
    """Parcels are cut to be grouped into grids: a community whose parcels are all unassigned (a
    publish that emptied every grid) is bare, not undivided."""
    parcel_make(community=Community.objects.get(code=C2), extent=(400, 0, 800, WIDTH))
    grid_level = [v for v in boundary_violations(rules=("gap",), notices=True) if v.level == "grid"]
    assert keys(grid_level) == {(VIOLATION, "gap", "gap", "grid", (C2,))}
    assert abs(grid_level[0].area_m2 - area_m2(box(400, 0, 800, WIDTH))) < 5


def test_a_level_not_loaded_in_the_district_is_silent():
    street = street_make(
        district=district_make(code=OTHER_DISTRICT, extent=(0, 0, 800, WIDTH)),
        code=f"{OTHER_DISTRICT}001",
        extent=(0, 0, 800, WIDTH),
    )
    community_make(street=street, code=f"{OTHER_DISTRICT}001001", extent=(0, 0, 400, WIDTH))
    community_make(street=street, code=f"{OTHER_DISTRICT}001002", extent=(400, 0, 800, WIDTH))
    assert boundary_violations(notices=True) == []  # no grid anywhere: not a notice per community


# --- 2. the household band where households are known --------------------------------------------


@pytest.fixture
def reported_grids():
    """Community 001 without buildings: grid 1 reports 120 households, grid 2 400, grid 3
    nothing; grid 1 has a micro-grid reporting 10."""
    one = community_make(street=tight_street(extent=(0, 0, 400, WIDTH)), extent=(0, 0, 400, WIDTH))
    made = {}
    for seq, (x0, x1), reported in (
        (1, (0, 100), 120),
        (2, (100, 300), 400),
        (3, (300, 400), None),
    ):
        made[seq] = grid_make(
            community=one,
            seq=seq,
            geom=multi(box(x0, 0, x1, WIDTH)),
            geom_source="freehand",
            households_reported=reported,
        )
    microgrid_make(
        grid=made[1],
        seq=1,
        geom=multi(box(0, 0, 100, WIDTH)),
        geom_source="freehand",
        households_reported=10,
    )
    return one


def test_the_band_applies_to_the_reported_households(reported_grids):
    with translation.override("en"):
        found = boundary_violations(rules=("load_band",), notices=True)
    assert keys(found) == {
        (VIOLATION, "load_band", "load_band_reported", "grid", (f"{C1}001",)),
        (VIOLATION, "load_band", "load_band_reported", "microgrid", (f"{C1}001001",)),
        (NOTICE, "load_band", "households_unknown", "grid", (f"{C1}003",)),
    }
    messages = {v.codes[0]: v.message for v in found}
    assert "has 120 households as reported by its source" in messages[f"{C1}001"]
    assert "outside the band 300–500" in messages[f"{C1}001"]
    assert "has 10 households as reported" in messages[f"{C1}001001"]
    assert "households unknown" in messages[f"{C1}003"]
    with translation.override("zh-hans"):
        (zh,) = [v for v in boundary_violations(rules=("load_band",)) if v.level == "grid"]
    assert "上报" in zh.message, zh.message


def test_households_unknown_is_a_notice_not_a_violation(reported_grids):
    Grid.objects.update(households_reported=None)
    MicroGrid.objects.update(households_reported=None)
    assert boundary_violations(rules=("load_band",)) == []  # what a gate sees
    found = boundary_violations(rules=("load_band",), notices=True)
    assert {v.codes[0] for v in found} == {f"{C1}001", f"{C1}002", f"{C1}003", f"{C1}001001"}
    assert {(v.severity, v.kind) for v in found} == {(NOTICE, "households_unknown")}


def test_loaded_buildings_make_the_derived_count_real_zero_included():
    one = community_make(street=tight_street(extent=(0, 0, 400, WIDTH)), extent=(0, 0, 400, WIDTH))
    columns_layout(one, [1, 1, 2, 2], [1, 2, 1, 2])
    Grid.objects.filter(code=f"{C1}002").update(households_reported=400)  # buildings win
    building_make(community=one, seq=1, extent=(40, 50, 60, 70), households=350)
    counts = dict(Grid.objects.values_list("code", "households"))
    assert counts == {f"{C1}001": 350, f"{C1}002": 0}
    found = boundary_violations(rules=("load_band",), notices=True)
    assert keys(found) == {
        (VIOLATION, "load_band", "load_band", "grid", (f"{C1}002",)),  # 0, not the reported 400
        (VIOLATION, "load_band", "load_band", "microgrid", (f"{C1}001001",)),  # 350 > 100
        *(
            (VIOLATION, "load_band", "load_band", "microgrid", (code,))  # 0 < 30
            for code in (f"{C1}001002", f"{C1}002001", f"{C1}002002")
        ),
    }


def test_a_freehand_unit_without_parcels_has_no_derived_count(reported_grids):
    """Households are summed over parcels: a freehand grid not yet parcelised has no count of its
    own even when its community has buildings, so its reported figure (or a notice) stands."""
    building_make(community=reported_grids, seq=1, extent=(150, 50, 170, 70), households=450)
    assert set(Grid.objects.values_list("households", flat=True)) == {0}
    found = boundary_violations(rules=("load_band",), notices=True)
    assert {(v.codes[0], v.kind) for v in found} == {
        (f"{C1}001", "load_band_reported"),
        (f"{C1}001001", "load_band_reported"),
        (f"{C1}003", "households_unknown"),
    }


# --- 3. notices never block -----------------------------------------------------------------------


@pytest.fixture
def unknown_layout():
    """Community 001 as four parcel columns, grids 1 (columns 0-1) and 2 (2-3), one micro-grid
    per column; no buildings, nothing reported: every unit's households are unknown."""
    one = community_make(street=tight_street(extent=(0, 0, 400, WIDTH)), extent=(0, 0, 400, WIDTH))
    columns_layout(one, [1, 1, 2, 2], [1, 2, 1, 2])
    return one


def _move_second_column():
    parcel = Parcel.objects.get(micro_grid__code=f"{C1}001002")
    return [ParcelMove(parcel.pk, f"{C1}002", None)]


def test_notices_do_not_block_a_publish(unknown_layout, clock_2028):
    import datetime

    moves = _move_second_column()
    check = draft_check(community=unknown_layout, moves=moves, new_units=[])
    assert check.violations == []  # the editor's draft check lists no notice as a violation
    revision = layout_commit(
        community_code=C1,
        base_revision=0,
        moves=moves,
        user=SYSTEM,
        effective_date=datetime.date(2027, 12, 1),
    )
    assert revision.number == 1 and revision.reason == ""
    assert Grid.objects.get(code=f"{C1}002").parcels.count() == 3
    assert boundary_violations(notices=True)  # the notices are still there, and did not block


def test_an_edit_in_a_community_without_microgrids_creates_none(clock_2028):
    """An imported layout without micro-grids stays without them after a publish: a micro-grid
    made for the moved parcel would put the level in use and turn every other grid into a gap."""
    import datetime

    one = community_make(street=tight_street(extent=(0, 0, 400, WIDTH)), extent=(0, 0, 400, WIDTH))
    columns_layout(one, [1, 1, 2, 2])
    assert not MicroGrid.objects.exists()
    parcel = Parcel.objects.filter(grid__code=f"{C1}001").order_by("pk").last()
    revision = layout_commit(
        community_code=C1,
        base_revision=0,
        moves=[ParcelMove(parcel.pk, f"{C1}002", None)],
        user=SYSTEM,
        effective_date=datetime.date(2027, 12, 1),
    )
    assert revision.number == 1
    assert Grid.objects.get(code=f"{C1}002").parcels.count() == 3
    assert not MicroGrid.objects.exists()
    assert not [v for v in boundary_violations() if v.level == "microgrid"]


def test_a_known_band_still_blocks_a_publish(unknown_layout, clock_2028):
    import datetime

    Grid.objects.filter(code=f"{C1}001").update(households_reported=40)
    with pytest.raises(RuleViolation) as exc:
        layout_commit(
            community_code=C1,
            base_revision=0,
            moves=_move_second_column(),
            user=SYSTEM,
            effective_date=datetime.date(2027, 12, 1),
        )
    assert [v["rule"] for v in exc.value.details["violations"]] == ["load_band"]


def test_an_import_of_grids_without_microgrids_warns_of_no_gap(tmp_path):
    one = community_make(street=tight_street(extent=(0, 0, 400, WIDTH)), extent=(0, 0, 400, WIDTH))
    assert one.code == C1
    rows = [(f"{C1}001", box(0, 0, 200, WIDTH)), (f"{C1}002", box(200, 0, 400, WIDTH))]
    report = layer_import(layer="grids", path=grids_file(tmp_path, rows), dry_run=True)
    assert report.errors == [] and report.warnings == [], report.as_text()
    # A real gap in the grids is still reported: grid 2 drawn 30 m short of the community's edge.
    rows[1] = (f"{C1}002", box(200, 0, 370, WIDTH))
    report = layer_import(layer="grids", path=grids_file(tmp_path, rows, "short"), dry_run=True)
    assert [(i.rule, i.key) for i in report.warnings] == [("gap", C1)], report.as_text()


# --- 4. check_boundaries --district, --level; the check page --------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("check_boundaries", *args, stdout=out)
    return out.getvalue()


def counts_under(text: str, heading: str) -> dict[str, int]:
    """The name → count rows of the table under the line starting with `heading`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    counts = {}
    for line in lines[start + 2 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture
def district_without_microgrids():
    """District 420199 as a district's own files give it: community 001 with two freehand grids
    (no micro-grid, no building, no households), community 002 with no grid. One micro-grid
    sticks out of its grid: a defect only a micro-grid check sees. District 420198 has a street
    that does not cover it: a gap elsewhere."""
    street = tight_street()
    one = community_make(street=street, extent=(0, 0, 400, WIDTH))
    for seq, x in ((1, 0), (2, 200)):
        grid_make(
            community=one, seq=seq, geom=multi(box(x, 0, x + 200, WIDTH)), geom_source="freehand"
        )
    community_make(street=street, code=C2, extent=(400, 0, 800, WIDTH))
    other = district_make(code=OTHER_DISTRICT, extent=(5000, 0, 5400, WIDTH))
    street_make(district=other, code=f"{OTHER_DISTRICT}001", extent=(5000, 0, 5200, WIDTH))


def test_a_district_with_only_notices_passes(district_without_microgrids):
    text = run(
        "--district", DISTRICT_CODE, "--level", "street,community,grid", "--fail-on-violations"
    )
    assert "Boundary rules over district 420199 (levels street, community, grid):" in text
    assert counts_under(text, "Boundary rules")["total"] == 0
    notices = counts_under(text, "Notices")
    assert notices == {"not_divided": 1, "households_unknown": 2, "total": 3}
    assert text.index("Boundary rules") < text.index("Notices")


def test_level_and_district_choose_what_is_checked(district_without_microgrids):
    stray = microgrid_make(
        grid=Grid.objects.get(code=f"{C1}001"),
        seq=1,
        geom=multi(box(0, 0, 200, WIDTH)),
        geom_source="freehand",
    )
    MicroGrid.objects.filter(pk=stray.pk).update(geom=multi(box(0, 0, 230, WIDTH)))  # by SQL
    # All levels: the micro-grid sticks 30 m into grid 2 and leaves grid 2 without micro-grids.
    with pytest.raises(CommandError, match="boundary violations") as exc:
        run("--district", DISTRICT_CODE, "--fail-on-violations")
    assert exc.value.returncode == 1
    text = run("--district", DISTRICT_CODE)
    counts = counts_under(text, "Boundary rules")
    assert counts["outside_parent"] == 1 and counts["gap"] == 1, text  # grid 2: no micro-grid
    # Without the micro-grid level, nothing; the whole city has the other district's gap.
    run(
        "--district",
        DISTRICT_CODE,
        "--level",
        "street",
        "--level",
        "community,grid",
        "--fail-on-violations",
    )
    city = counts_under(run("--level", "street,community,grid"), "Boundary rules")
    assert city["gap"] == 1 and city["total"] == 1


def test_unknown_district_or_level_is_a_usage_error(district_without_microgrids):
    for args, message in (
        (("--district", "999999"), "no district with code 999999"),
        (("--level", "grid,building"), "unknown level building: choose from street, community"),
        (("--rule", "gap", "--level", "nonsense"), "unknown level nonsense"),
    ):
        with pytest.raises(CommandError, match=message) as exc:
            run(*args)
        assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("--district", DISTRICT_CODE, "--street", STREET_CODE)


def test_the_check_page_lists_notices_apart(district_without_microgrids, admin_client):
    admin_client.cookies.load({"django_language": "en"})
    r = admin_client.get("/check/")
    assert r.status_code == 200
    rows, notices = r.context["rows"], r.context["notice_rows"]
    assert r.context["total"] == len(rows) == 1  # the other district's street gap
    assert r.context["notices_total"] == len(notices) == 3
    html = r.content.decode()
    assert 'class="check-notices"' in html and "3 notices" in html
    assert html.index("check-table") < html.index("check-notices")
    assert f"{C2} has no grid at all" in html
    assert {n["rule_key"] for n in notices} == {"gap", "load_band"}
    download = admin_client.get("/check/violations.geojson").json()
    assert len(download["features"]) == 1  # violations only


# --- 5. a real defect at a level in use is always a violation -------------------------------------

STRIP_M = 4  # thicker than the tolerance, on areas far above the minimum


def random_layout(rng: random.Random) -> dict:
    """Community 001 (n 100 m columns) with derived grids of 1–3 columns; micro-grids per column
    or none; buildings, reported households or nothing. Community 002 beside it in the same street
    has grids or none, micro-grids or none: the district mixes what is loaded."""
    n = rng.randint(3, 6)
    street = tight_street(extent=(0, 0, 100 * n + 400, WIDTH))
    one = community_make(street=street, extent=(0, 0, 100 * n, WIDTH))
    grid_of, seq = [], 0
    while len(grid_of) < n:
        seq += 1
        grid_of += [seq] * rng.randint(1, 3)
    grid_of = grid_of[:n]
    micro = rng.random() < 0.6
    micro_of = [grid_of[:i].count(g) + 1 for i, g in enumerate(grid_of)] if micro else None
    units = columns_layout(one, grid_of, micro_of)
    load = rng.choice(["buildings", "reported", "nothing"])
    if load == "buildings":
        building_make(community=one, seq=1, extent=(40, 40, 60, 60), households=rng.randint(1, 900))
    elif load == "reported":
        Grid.objects.filter(community=one).update(households_reported=rng.randint(0, 900))
    two = community_make(street=street, code=C2, extent=(100 * n, 0, 100 * n + 400, WIDTH))
    if rng.random() < 0.5:
        columns_layout(two, [1, 1, 2, 2], [1, 2, 1, 2] if rng.random() < 0.5 else None, x0=100 * n)
    return {"n": n, "grid_of": grid_of, "micro": micro, "units": units}


def plant(rng: random.Random, layout: dict) -> tuple[str, str, set[str]]:
    """A gap or an overlap at a level the layout uses: (rule, level, codes it must name)."""
    n, grid_of = layout["n"], layout["grid_of"]
    grid_code = {i: f"{C1}{g:03d}" for i, g in enumerate(grid_of)}
    pairs = [i for i in range(n - 1) if grid_of[i] != grid_of[i + 1]]
    inner = [i for i in range(n - 1) if grid_of[i] == grid_of[i + 1]]
    kinds = ["community_gap", "community_overlap", "grid_gap_unassigned", "grid_gap_shrunk"]
    kinds += ["grid_overlap"] if pairs else []
    if layout["micro"]:
        kinds += ["micro_gap", "micro_missing", *(["micro_overlap"] if inner else [])]
    kind = rng.choice(kinds)
    i = rng.randrange(n)
    column = Parcel.objects.get(community__code=C1, geom__contains=box(*_mid(i)).centroid)
    if kind == "community_gap":  # community 002 redrawn short of the street's north edge
        Community.objects.filter(code=C2).update(
            geom=multi(box(100 * n, 0, 100 * n + 400, WIDTH - STRIP_M))
        )
        return "gap", "community", {STREET_CODE}
    if kind == "community_overlap":  # community 002 drawn 4 m into community 001
        Community.objects.filter(code=C2).update(
            geom=multi(box(100 * n - STRIP_M, 0, 100 * n + 400, WIDTH))
        )
        return "overlap", "community", {C1, C2}
    if kind == "grid_gap_unassigned":  # a parcel left out of every grid
        Parcel.objects.filter(pk=column.pk).update(grid=None, micro_grid=None)
        return "gap", "grid", {C1}
    if kind == "grid_gap_shrunk":  # a grid redrawn short of the community's north edge
        Grid.objects.filter(code=grid_code[i]).update(
            geom_source="freehand", geom=multi(box(100 * i, 0, 100 * (i + 1), WIDTH - STRIP_M))
        )
        Parcel.objects.filter(grid__code=grid_code[i]).exclude(pk=column.pk).update(
            grid=None, micro_grid=None
        )
        return "gap", "grid", {C1}
    if kind == "grid_overlap":  # a grid drawn 4 m into its neighbour
        j = rng.choice(pairs)
        grown = Grid.objects.get(code=grid_code[j]).geom.union(
            box(100 * (j + 1), 0, 100 * (j + 1) + STRIP_M, WIDTH)
        )
        Grid.objects.filter(code=grid_code[j]).update(geom_source="freehand", geom=multi(grown))
        return "overlap", "grid", {grid_code[j], grid_code[j + 1]}
    if kind == "micro_gap":  # a parcel of a grid left out of its micro-grids
        Parcel.objects.filter(pk=column.pk).update(micro_grid=None)
        return "gap", "microgrid", {column.grid.code}
    if kind == "micro_missing":  # a grid whose micro-grids were all removed
        grid = column.grid
        Parcel.objects.filter(grid=grid).update(micro_grid=None)
        MicroGrid.objects.filter(grid=grid).delete()
        return "gap", "microgrid", {grid.code}
    j = rng.choice(inner)  # micro_overlap: a micro-grid drawn 4 m into its sibling
    left = Parcel.objects.get(community__code=C1, geom__contains=box(*_mid(j)).centroid).micro_grid
    grown = left.geom.union(box(100 * (j + 1), 0, 100 * (j + 1) + STRIP_M, WIDTH))
    MicroGrid.objects.filter(pk=left.pk).update(geom_source="freehand", geom=multi(grown))
    right = Parcel.objects.get(community__code=C1, geom__contains=box(*_mid(j + 1)).centroid)
    return "overlap", "microgrid", {left.code, right.micro_grid.code}


def _mid(i: int) -> tuple[float, float, float, float]:
    return (100 * i + 40, 90, 100 * i + 60, 110)


@pytest.mark.parametrize("seed", range(24))
def test_a_planted_defect_at_a_level_in_use_is_always_a_violation(seed):
    rng = random.Random(seed)
    layout = random_layout(rng)
    rule, level, codes = plant(rng, layout)
    found = boundary_violations(notices=True)
    hits = [v for v in found if v.rule == rule and v.level == level and set(v.codes) == codes]
    planted = (seed, rule, level, codes)
    assert hits and all(v.severity == VIOLATION for v in hits), (planted, keys(found))
    # Whatever else the layout holds, no notice names a defect's feature, and the gate sees it.
    assert not [
        v for v in found if v.severity == NOTICE and set(v.codes) & codes and v.rule == rule
    ]
    scoped = boundary_violations(scope=min(codes, key=len))  # as a publish or import checks
    assert any(v.rule == rule and set(v.codes) == codes for v in scoped)

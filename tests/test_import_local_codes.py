"""Files in a local system's codes (issue 15): 十堰市张湾区 (420303) as a district system exports
it, streets `HG`, communities `HG-1` naming their street by that code or by name, grids
`HG-1-2`. The official codes come from the 2023 national list by name (streets, communities),
by generation in reading order (grids), or from --code-map; never from a guess.

The shapes are the factories' boxes (metres east and north of an origin); they nest: district
(-3000..3000)² ⊃ streets ⊃ community (0..400 × 0..1000) ⊃ grids."""

import json

import geopandas as gpd
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from geo.errors import BadRequest
from geo.srid import STORAGE_SRID
from layers.io.code_map import code_map_parse
from layers.io.division_checks import county_resolve
from layers.models import Community, District, GeomSource, Grid, PlannerStreet, Street
from layers.services.layer_import import layer_import
from tests.factories import box, multi
from tests.import_corpus import shape

pytestmark = pytest.mark.django_db

COUNTY = "420303"
HUAGUO = "420303001"  # 花果街道
HONGWEI = "420303002"  # 红卫街道
HANJIANGLU = "420303004"  # 汉江路街道
ERYANPU = "420303001001"  # 二堰铺社区居民委员会
HUAGUOYUAN = "420303001002"  # 花果园社区居民委员会

STREET_BOXES = {
    "HG": (-2000, -2000, 2000, 2000),
    "HW": (-2900, 2100, -100, 2900),
    "HJL": (100, 2100, 2900, 2900),
}
# The grids of one community (0..400 × 0..1000): two rows 600 m apart, so north and south are
# two reading bands wherever the origin lies.
GRID_BOXES = {
    "NW": (0, 600, 200, 1000),
    "NE": (200, 600, 400, 1000),
    "SW": (0, 0, 200, 400),
    "SE": (200, 0, 400, 400),
}


def gpkg(tmp_path, name: str, rows: list[dict]):
    """A GeoPackage of `rows` ({header: value, "box": (x0, y0, x1, y1)}) in lon/lat."""
    frame = gpd.GeoDataFrame(
        [
            {k: v for k, v in r.items() if k != "box"} | {"geometry": shape(box(*r["box"]))}
            for r in rows
        ],
        crs=f"EPSG:{STORAGE_SRID}",
    )
    path = tmp_path / f"{name}.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


def district():
    return District.objects.create(
        code=COUNTY, name="张湾区", geom=multi(box(-3000, -3000, 3000, 3000))
    )


def street(code: str, name: str, source: str) -> Street:
    return Street.objects.create(
        code=code,
        name=name,
        source_code=source,
        district=District.objects.get(code=COUNTY),
        geom=multi(box(*STREET_BOXES[source])),
    )


@pytest.fixture
def streets():
    district()
    street(HUAGUO, "花果街道", "HG")
    street(HONGWEI, "红卫街道", "HW")
    street(HANJIANGLU, "汉江路街道", "HJL")


@pytest.fixture
def community(streets):
    return Community.objects.create(
        code=ERYANPU,
        name="二堰铺社区",
        source_code="HG-1",
        street=Street.objects.get(code=HUAGUO),
        geom=multi(box(0, 0, 400, 1000)),
    )


def issues(report, rule: str):
    return [i for i in report.issues if i.rule == rule]


# --- the county --------------------------------------------------------------------------------
def test_county_by_code_or_name_and_what_is_refused():
    assert county_resolve("420303").name == "张湾区"
    assert county_resolve(" 张湾区 ").code == COUNTY
    assert county_resolve("张湾").code == COUNTY  # without its suffix
    assert county_resolve(None) is None
    with pytest.raises(BadRequest, match=r"names 4 counties \(320106 南京市鼓楼区, 320302"):
        county_resolve("鼓楼区")
    with pytest.raises(BadRequest, match="下城区's code in the 2016 list"):
        county_resolve("330103")
    with pytest.raises(BadRequest, match="not a county code"):
        county_resolve("4203")


# --- districts and streets by name ---------------------------------------------------------------
def test_district_named_in_letters_gets_its_code_from_the_name(tmp_path):
    path = gpkg(
        tmp_path, "d", [{"编码": "ZW", "名称": "张湾区", "box": (-3000, -3000, 3000, 3000)}]
    )
    report = layer_import(layer="districts", path=path, dry_run=False)
    assert report.errors == [], report.as_text()
    d = District.objects.get()
    assert (d.code, d.name, d.source_code) == (COUNTY, "张湾区", "ZW")
    assert report.code_map == {"ZW": COUNTY}
    assert any("1 districts matched by name (1 exact, 0 by variant)" in n for n in report.notes)


def test_a_district_name_many_counties_share_is_refused_with_them(tmp_path):
    path = gpkg(tmp_path, "d", [{"编码": "GL", "名称": "鼓楼区", "box": (0, 0, 100, 100)}])
    report = layer_import(layer="districts", path=path, dry_run=False)
    (issue,) = issues(report, "code_match")
    assert "320106 南京市鼓楼区" in issue.message and "--county 320106" in issue.repair
    assert issues(report, "bad_code") == []  # refused once, with the way forward
    assert not District.objects.exists()
    # The county narrows it: the right one is matched, another is named as not it.
    narrowed = layer_import(layer="districts", path=path, county="320106", dry_run=True)
    assert narrowed.errors == [] and narrowed.code_map == {"GL": "320106"}
    elsewhere = layer_import(layer="districts", path=path, county=COUNTY, dry_run=True)
    (issue,) = elsewhere.errors
    assert "'鼓楼区' is not --county 420303 张湾区" in issue.message


def test_streets_in_letters_are_matched_by_name_within_the_county(tmp_path):
    district()
    rows = [
        {"编码": "HG", "名称": "花果街道办事处", "box": STREET_BOXES["HG"]},
        {"编码": "HW", "名称": "红卫街道", "box": STREET_BOXES["HW"]},
        {"编码": "HJL", "名称": "汉江路", "box": STREET_BOXES["HJL"]},
    ]
    path = gpkg(tmp_path, "s", rows)
    report = layer_import(layer="streets", path=path, county="张湾区", dry_run=False)
    assert report.errors == [], report.as_text()
    stored = dict(Street.objects.values_list("source_code", "code"))
    assert stored == {"HG": HUAGUO, "HW": HONGWEI, "HJL": HANJIANGLU}
    assert Street.objects.get(code=HUAGUO).district.code == COUNTY  # from the code's prefix
    assert any("3 streets matched by name (1 exact, 2 by variant)" in n for n in report.notes)
    # Again: the stored streets keep their codes by source code, nothing new.
    again = layer_import(layer="streets", path=path, county=COUNTY, dry_run=False)
    assert again.errors == [] and again.created == 0
    assert any("3 streets kept the code stored" in n for n in again.notes)
    assert Street.objects.count() == 3


def test_streets_without_a_county_cannot_be_matched(tmp_path):
    district()
    path = gpkg(tmp_path, "s", [{"编码": "HG", "名称": "花果街道", "box": STREET_BOXES["HG"]}])
    report = layer_import(layer="streets", path=path, dry_run=False)
    (issue,) = issues(report, "code_match")
    assert issue.key == "HG" and "cannot tell which county" in issue.message
    assert "--county" in issue.repair
    assert not Street.objects.exists()


# --- communities: parents by local code and by name -----------------------------------------------
def test_communities_name_their_street_by_local_code_or_by_name(streets, tmp_path):
    rows = [
        {"编码": "HG-1", "名称": "二堰铺社区", "所属街道": "HG", "box": (0, 0, 400, 1000)},
        {
            "编码": "HG-2",
            "名称": "花果园社区居民委员会",
            "所属街道": "花果街道办事处",
            "box": (400, 0, 800, 1000),
        },
        {
            "编码": "HW-1",
            "名称": "王湾社区居委会",
            "所属街道": "HW",
            "box": (-2000, 2200, -1000, 2800),
        },
    ]
    report = layer_import(
        layer="communities", path=gpkg(tmp_path, "c", rows), county=COUNTY, dry_run=False
    )
    assert report.errors == [], report.as_text()
    stored = dict(Community.objects.values_list("source_code", "code"))
    assert stored == {"HG-1": ERYANPU, "HG-2": HUAGUOYUAN, "HW-1": "420303002001"}
    assert Community.objects.get(code=HUAGUOYUAN).street.code == HUAGUO
    assert "street_code resolved on 3 rows (2 by source code, 1 by name)" in report.notes
    assert any("3 communities matched by name (1 exact, 2 by variant)" in n for n in report.notes)


def test_a_typo_is_refused_with_the_closest_names(streets, tmp_path):
    rows = [{"编码": "HG-9", "名称": "二堰埔社区", "所属街道": "HG", "box": (0, 0, 400, 1000)}]
    report = layer_import(layer="communities", path=gpkg(tmp_path, "c", rows), dry_run=False)
    (issue,) = report.errors
    assert (issue.row, issue.key, issue.rule) == (1, "HG-9", "code_match")
    assert "no community (社区) named '二堰埔社区'" in issue.message
    assert "420303001001 二堰铺社区居民委员会" in issue.message
    assert "write 名称 as in the official list" in issue.repair
    closest = issue.repair.rpartition("--code-map HG-9=")[2]
    assert f"{closest} " in issue.message  # the map proposed is the closest candidate
    assert not Community.objects.exists()


def test_a_name_two_divisions_share_is_refused_with_both(streets, tmp_path):
    rows = [{"编码": "HJL-8", "名称": "马家沟", "所属街道": "HJL", "box": (200, 2200, 900, 2800)}]
    report = layer_import(layer="communities", path=gpkg(tmp_path, "c", rows), dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "code_match" and "'马家沟' names 2" in issue.message
    assert "420303004008 马家沟社区居民委员会" in issue.message
    assert "420303004205 马家沟村委会" in issue.message


def test_an_unknown_parent_is_refused_naming_the_county(streets, tmp_path):
    rows = [{"编码": "XX-1", "名称": "二堰铺社区", "所属街道": "XX", "box": (0, 0, 400, 1000)}]
    path = gpkg(tmp_path, "c", rows)
    report = layer_import(layer="communities", path=path, county=COUNTY, dry_run=False)
    (issue,) = report.errors
    assert issue.rule == "code_match" and issue.key == "XX-1"
    assert "street_code 'XX': no street (街道) in GridAtlas" in issue.message
    assert "in 420303 张湾区" in issue.message and "--code-map XX=" in issue.repair


def test_code_map_wins_over_the_name_and_names_the_unmatched(streets, tmp_path):
    rows = [
        {"编码": "HG-1", "名称": "二堰铺社区", "所属街道": "HG", "box": (0, 0, 400, 1000)},
        {"编码": "HG-X", "名称": "新建社区", "所属街道": "HG", "box": (400, 0, 800, 1000)},
    ]
    path = gpkg(tmp_path, "c", rows)
    mapping = {"HG-1": "420303001003", "HG-X": "420303001005"}
    report = layer_import(layer="communities", path=path, code_map=mapping, dry_run=False)
    assert report.errors == [], report.as_text()
    assert dict(Community.objects.values_list("source_code", "code")) == mapping
    assert report.code_map == mapping
    # A mapping to a code under another street is refused, not written.
    wrong = layer_import(
        layer="communities", path=path, code_map={"HG-X": "420303002009"}, dry_run=True
    )
    (issue,) = wrong.errors
    assert (
        issue.key == "HG-X" and "does not start with its parent's code 420303001" in issue.message
    )


# --- grids: generated in reading order, idempotent -----------------------------------------------
def grid_rows(*corners: str) -> list[dict]:
    """Grids named by their corner, with local codes in an order unlike the reading order."""
    local = {"SE": "HG-1-1", "NW": "HG-1-2", "SW": "HG-1-3", "NE": "HG-1-4"}
    return [
        {"编码": local[c], "名称": f"{c}网格", "所属社区": "HG-1", "box": GRID_BOXES[c]}
        for c in corners
    ]


def codes_by_name() -> dict[str, tuple[str, str]]:
    return {g.name: (g.code, g.source_code) for g in Grid.objects.all()}


def test_grids_get_codes_in_reading_order_and_keep_them(community, tmp_path):
    first = gpkg(tmp_path, "g1", grid_rows("SE", "NE", "NW"))
    report = layer_import(layer="grids", path=first, county=COUNTY, dry_run=False)
    assert not report.errors, report.as_text()
    assert codes_by_name() == {
        "NW网格": (ERYANPU + "001", "HG-1-2"),
        "NE网格": (ERYANPU + "002", "HG-1-4"),
        "SE网格": (ERYANPU + "003", "HG-1-1"),
    }
    assert any("3 grid codes generated in reading order" in n for n in report.notes)
    assert "community_code resolved on 3 rows (3 by source code)" in report.notes
    # The same file again: the same codes, nothing created.
    again = layer_import(layer="grids", path=first, county=COUNTY, dry_run=False)
    assert not again.errors and again.created == 0
    assert codes_by_name()["SE网格"] == (ERYANPU + "003", "HG-1-1")
    # One grid more: it takes the lowest free code, the others keep theirs.
    more = gpkg(tmp_path, "g2", grid_rows("SW", "SE", "NE", "NW"))
    third = layer_import(layer="grids", path=more, county=COUNTY, dry_run=False)
    assert not third.errors and third.created == 1
    assert codes_by_name() == {
        "NW网格": (ERYANPU + "001", "HG-1-2"),
        "NE网格": (ERYANPU + "002", "HG-1-4"),
        "SE网格": (ERYANPU + "003", "HG-1-1"),
        "SW网格": (ERYANPU + "004", "HG-1-3"),
    }
    assert any(
        "1 grid codes generated in reading order; 3 grids kept the code stored" in n
        for n in third.notes
    )


def test_a_grid_code_already_taken_is_skipped(community, tmp_path):
    Grid.objects.create(code=ERYANPU + "001", name="旧网格", community=community)
    path = gpkg(tmp_path, "g", grid_rows("NW", "NE"))
    report = layer_import(layer="grids", path=path, dry_run=True)
    assert not issues(report, "code_match"), report.as_text()
    assert report.code_map == {"HG-1-2": ERYANPU + "002", "HG-1-4": ERYANPU + "003"}


def test_a_code_mapped_to_two_grids_is_refused_for_both(community, tmp_path):
    path = gpkg(tmp_path, "g", grid_rows("NW", "NE", "SW"))
    twice = {"HG-1-2": ERYANPU + "007", "HG-1-4": ERYANPU + "007"}
    report = layer_import(layer="grids", path=path, code_map=twice, dry_run=True)
    refused = sorted((i.row, i.message) for i in issues(report, "code_match"))
    message = f"rows 1, 2 would all be {ERYANPU}007"
    assert refused == [(1, message), (2, message)]
    assert report.code_map == {"HG-1-3": ERYANPU + "001"}  # the third is numbered


def test_a_grid_with_no_parent_is_refused(community, tmp_path):
    rows = [{"编码": "G7", "名称": "孤网格", "box": GRID_BOXES["NW"]}]
    report = layer_import(layer="grids", path=gpkg(tmp_path, "g", rows), dry_run=True)
    (issue,) = report.errors
    assert issue.rule == "code_match" and "no community (社区) to number it under" in issue.message


def test_micro_grids_numbered_under_the_grid_their_code_names(community, tmp_path):
    Grid.objects.create(
        code=ERYANPU + "001",
        name="NW网格",
        source_code="HG-1-2",
        community=community,
        geom=multi(box(*GRID_BOXES["NW"])),
        geom_source=GeomSource.FREEHAND,
    )
    rows = [  # no parent column: the grid is the one whose source code prefixes theirs
        {"编码": "HG-1-2-1", "名称": "南", "box": (0, 600, 200, 800)},
        {"编码": "HG-1-2-2", "名称": "北", "box": (0, 800, 200, 1000)},
    ]
    report = layer_import(layer="microgrids", path=gpkg(tmp_path, "m", rows), dry_run=True)
    assert not report.errors, report.as_text()
    grid = ERYANPU + "001"
    assert report.code_map == {"HG-1-2-2": grid + "001", "HG-1-2-1": grid + "002"}
    assert "grid_code resolved on 2 rows (2 by the prefix of the row's own code)" in report.notes


# --- retired official codes -----------------------------------------------------------------------
def test_a_retired_code_is_refused_with_the_current_division(tmp_path):
    rows = [{"编码": "330103001", "名称": "长庆街道", "box": (0, 0, 100, 100)}]
    report = layer_import(layer="streets", path=gpkg(tmp_path, "s", rows), dry_run=False)
    (issue,) = report.errors
    assert (issue.key, issue.rule) == ("330103001", "retired_code")
    assert "长庆街道 in the 2016 division list" in issue.message
    assert "use 330105014 长庆街道" in issue.repair  # now in 拱墅区
    districts = [{"编码": "330103", "名称": "下城区", "box": (0, 0, 100, 100)}]
    report = layer_import(layer="districts", path=gpkg(tmp_path, "d", districts), dry_run=True)
    (issue,) = report.errors
    assert issue.rule == "retired_code" and "give its current code" in issue.repair


def test_a_retired_community_code_no_division_is_named_as_now_is_kept_with_a_warning(tmp_path):
    # 新建社区 (420102010004, 江岸区) is in the 2016 list only, and no 2023 division has its name:
    # the district still uses the code, which no other division holds.
    rows = [{"编码": "420102010004", "名称": "新建社区", "box": (0, 0, 100, 100)}]
    report = layer_import(layer="communities", path=gpkg(tmp_path, "c", rows), dry_run=True)
    assert not [i for i in report.errors if i.rule == "retired_code"]
    (warning,) = [i for i in report.warnings if i.rule == "retired_code"]
    assert warning.key == "420102010004" and "kept as given" in warning.message


def test_a_retired_code_already_stored_is_no_new_mistake(tmp_path):
    District.objects.create(code="330103", name="下城区", geom=multi(box(0, 0, 100, 100)))
    districts = [{"编码": "330103", "名称": "下城区", "box": (0, 0, 100, 100)}]
    report = layer_import(layer="districts", path=gpkg(tmp_path, "d", districts), dry_run=True)
    assert report.errors == [], report.as_text()
    assert report.code_map == {} and report.notes == []


# --- the command line and the page ----------------------------------------------------------------
def test_code_map_inline_json_and_csv(tmp_path):
    assert code_map_parse("HG-1=420303001003, HG-2 = 420303001004") == {
        "HG-1": "420303001003",
        "HG-2": "420303001004",
    }
    assert code_map_parse('{"HG-1": "420303001003"}') == {"HG-1": "420303001003"}
    csv_path = tmp_path / "map.csv"
    csv_path.write_text("source,code\nHG-1,420303001003\n", encoding="utf-8")
    assert code_map_parse(str(csv_path), allow_path=True) == {"HG-1": "420303001003"}
    json_path = tmp_path / "map.json"
    json_path.write_text(json.dumps({"HW": HONGWEI}), encoding="utf-8")
    assert code_map_parse(str(json_path), allow_path=True) == {"HW": HONGWEI}
    with pytest.raises(BadRequest, match="a file path is not read here"):
        code_map_parse(str(csv_path))
    with pytest.raises(BadRequest, match="is not LOCAL=OFFICIAL"):
        code_map_parse("HG-1")


def test_import_layer_takes_county_and_code_map(tmp_path, capsys):
    district()
    rows = [
        {"编码": "HG", "名称": "花果街道", "box": STREET_BOXES["HG"]},
        {"编码": "HW", "名称": "红卫", "box": STREET_BOXES["HW"]},
    ]
    path = gpkg(tmp_path, "s", rows)
    mapping = tmp_path / "map.csv"
    mapping.write_text("HW,420303002\n", encoding="utf-8")
    call_command(
        "import_layer",
        "streets",
        str(path),
        "--county",
        "张湾区",
        "--code-map",
        str(mapping),
        verbosity=0,
    )
    assert dict(Street.objects.values_list("source_code", "code")) == {"HG": HUAGUO, "HW": HONGWEI}
    assert "1 streets given their code by --code-map" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--county '鼓楼区' names 4 counties"):
        call_command("import_layer", "streets", str(path), "--county", "鼓楼区", verbosity=0)


def planner_make():
    user = get_user_model().objects.create_user("planner_codes", password="pw-codes-1")
    user.user_permissions.add(Permission.objects.get(codename="change_parcel"))
    PlannerStreet.objects.bulk_create(
        PlannerStreet(user=user, street=s) for s in Street.objects.all()
    )
    return user


def test_the_import_page_takes_county_and_code_map(streets, client, tmp_path):
    client.force_login(planner_make())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = [
        {"编码": "HG-1", "名称": "二堰铺社区", "所属街道": "花果街道", "box": (0, 0, 400, 1000)},
        {"编码": "HG-X", "名称": "新建社区", "所属街道": "HG", "box": (400, 0, 800, 1000)},
    ]
    form = {
        "layer": "communities",
        "action": "check",
        "county": "420303",
        "code_map": "HG-X=420303001005",
    }
    with open(gpkg(tmp_path, "c", rows), "rb") as f:
        r = client.post("/import/", {**form, "file": f})
    assert r.status_code == 200
    report = r.context["report"]
    assert report.errors == [] and report.code_map == {
        "HG-1": ERYANPU,
        "HG-X": "420303001005",
    }
    html = r.content.decode()
    assert 'id="import-county" value="420303"' in html
    r = client.post(
        "/import/", {"layer": "communities", "action": "import", "token": r.context["token"]}
    )
    assert r.context["report"].written
    assert Community.objects.get(source_code="HG-X").code == "420303001005"
    # From the web a code map is typed in: a path is refused before anything is kept.
    with open(gpkg(tmp_path, "c2", rows), "rb") as f:
        r = client.post("/import/", {**form, "code_map": "/etc/map.csv", "file": f})
    assert r.status_code == 400 and "a file path is not read here" in r.context["error"]

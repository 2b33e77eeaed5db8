"""The national division list (NBS 2023) and name → code matching (issue 15), on the real list:
十堰市张湾区 420303 and 武汉市武昌区 420106, suffix variants, a typo, names several divisions
share, municipalities, a retired code, and over every village and town of two counties: a name
comes back to its own code or is called ambiguous, never another code."""

import csv
import re

import pytest

from geo.division_list import (
    DIVISIONS_DIR,
    SUFFIXES,
    DivisionEntry,
    children,
    city_name,
    counties_named,
    division,
    name_match,
    retired,
    suffix_kind,
)

ZHANGWAN = "420303"  # 十堰市张湾区
WUCHANG = "420106"  # 武汉市武昌区


def test_every_level_is_listed_with_its_parent():
    assert division("42") == DivisionEntry("42", "湖北省", "province")
    assert division("4203") == DivisionEntry("4203", "十堰市", "city")
    county = division(ZHANGWAN)
    assert county == DivisionEntry(ZHANGWAN, "张湾区", "county")
    assert county.parent_code == "4203"
    town = division("420303001")
    assert (town.name, town.level, town.parent_code, town.short_name) == (
        "花果街道",
        "town",
        ZHANGWAN,
        "花果",
    )
    village = division("420303001001")
    assert (village.name, village.level, village.parent_code, village.short_name) == (
        "二堰铺社区居民委员会",
        "village",
        "420303001",
        "二堰铺",
    )
    assert division("42").parent_code is None


@pytest.mark.parametrize("code", ["420303999", "420303001999", "4203030", "", "abc", "４２"])
def test_a_code_not_in_the_list_is_none(code):
    assert division(code) is None
    assert children(code) == []


def test_zhangwan_has_changed_since_2016():
    towns = children(ZHANGWAN)
    villages = [v for t in towns for v in children(t.code)]
    assert (len(towns), len(villages)) == (10, 121)
    assert [t.code for t in towns] == sorted(t.code for t in towns)
    assert all(v.level == "village" and v.parent_code in {t.code for t in towns} for v in villages)
    with open(DIVISIONS_DIR / "adcode_shiyan_4203.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    towns_2016 = [r for r in rows if r["level"] == "town" and r["code"].startswith(ZHANGWAN)]
    villages_2016 = [r for r in rows if r["level"] == "village" and r["code"].startswith(ZHANGWAN)]
    assert (len(towns_2016), len(villages_2016)) == (12, 104)


def test_children_of_every_level_are_one_level_down():
    assert len(children("42")) == 14  # 湖北: 12 cities, 恩施州, 省直辖县级行政区划
    assert {c.level for c in children("42")} == {"city"}
    assert {c.level for c in children("4203")} == {"county"}
    assert children("420303001001") == []


@pytest.mark.parametrize("name", ["张湾区", "张湾", " 张湾区 ", "张　湾区"])
def test_a_county_is_found_by_its_name_with_or_without_suffix(name):
    assert [c.code for c in counties_named(name)] == [ZHANGWAN]


def test_a_county_name_several_cities_have_lists_them_all():
    assert [c.code for c in counties_named("朝阳区")] == ["110105", "220104"]  # 北京, 长春
    assert counties_named("不存在区") == []


@pytest.mark.parametrize(
    ("code", "city"),
    [
        ("420303001001", "十堰市"),
        ("4203", "十堰市"),
        ("110101", "北京市"),  # 东城区, under 北京's 市辖区
        ("110101001001", "北京市"),
        ("500229", "重庆市"),  # 城口县, under 重庆's 县
        ("429004", "仙桃市"),  # 省直辖县级行政区划: its own city
        ("441900003", "东莞市"),  # a city with no counties
        ("42", None),
        ("420399", None),
    ],
)
def test_city_name(code, city):
    assert city_name(code) == city


def test_a_retired_code_is_known_from_the_2016_list():
    assert retired("330103") == DivisionEntry("330103", "下城区", "county")
    assert retired("330103001") == DivisionEntry("330103001", "长庆街道", "town")
    assert division("330103") is None
    assert retired("330105") is None  # 拱墅区, which took it over, is current
    assert retired(ZHANGWAN) is None
    assert retired("110101") is None  # current, and in no 2016 list we ship


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("花果街道", "exact", "420303001"),
        ("花果街道办事处", "variant", "420303001"),
        ("花果街道办", "variant", "420303001"),
        ("花果街办", "variant", "420303001"),
        ("花果", "variant", "420303001"),
        (" 花果　街道 ", "exact", "420303001"),  # spaces, a full-width one too
        ("黄龙镇人民政府", "variant", "420303100"),
        ("黄龙镇", "exact", "420303100"),
        ("方滩乡", "exact", "420303200"),
    ],
)
def test_street_names_and_their_suffix_variants(name, status, code):
    match = name_match(name, level="town", within=ZHANGWAN)
    assert (match.status, match.code) == (status, code)
    assert match.candidates[0][0] == code


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("二堰铺社区居民委员会", "exact"),
        ("二堰铺社区居委会", "variant"),
        ("二堰铺居民委员会", "variant"),
        ("二堰铺居委会", "variant"),
        ("二堰铺社区", "variant"),
        ("二堰铺", "variant"),
    ],
)
def test_community_names_and_their_suffix_variants(name, status):
    for within in (ZHANGWAN, "420303001"):
        match = name_match(name, level="village", within=within)
        assert (match.status, match.code) == (status, "420303001001")
        assert match.name == name


def test_a_typo_is_unmatched_and_proposes_the_right_name_first():
    match = name_match("二堰埔社区", level="village", within=ZHANGWAN)
    assert (match.status, match.code) == ("unmatched", None)
    assert match.candidates[0][:2] == ("420303001001", "二堰铺社区居民委员会")
    assert 0 < match.candidates[0][2] < 1
    assert len(match.candidates) <= 3


def test_a_name_two_streets_share_is_ambiguous_in_the_county_and_exact_in_its_street():
    match = name_match("东湖路社区", level="village", within=WUCHANG)
    assert (match.status, match.code) == ("ambiguous", None)
    assert {c[0] for c in match.candidates} == {"420106012001", "420106490018"}
    in_street = name_match("东湖路社区居委会", level="village", within="420106012")
    assert (in_street.status, in_street.code) == ("exact", "420106012001")


def test_a_community_and_a_village_of_one_name_are_told_apart_by_their_suffix_alone():
    # 马家沟社区居民委员会 and 马家沟村委会 under 汉江路街道: the bare name is either; a suffix says
    # which kind (a residents' or a villagers' committee), the full name which one.
    both = {"420303004008", "420303004205"}
    for name, status, code in (
        ("马家沟", "ambiguous", None),
        ("马家沟社区", "variant", "420303004008"),
        ("马家沟居委会", "variant", "420303004008"),
        ("马家沟社区居民委员会", "exact", "420303004008"),
        ("马家沟村", "variant", "420303004205"),
        ("马家沟村委会", "exact", "420303004205"),
    ):
        match = name_match(name, level="village", within=ZHANGWAN)
        assert (match.status, match.code) == (status, code), name
        assert {c[0] for c in match.candidates} == both
        assert code is None or match.candidates[0][0] == code  # the chosen one first


def test_nothing_like_it_is_unmatched_with_no_candidates():
    for name in ("", "   ", "完全不同的名字"):
        match = name_match(name, level="village", within=ZHANGWAN)
        assert (match.status, match.code, match.candidates) == ("unmatched", None, ())


@pytest.mark.parametrize(
    ("level", "within", "message"),
    [
        ("county", ZHANGWAN, "'town' or 'village'"),
        ("town", "420303001", "within a county (6 digits)"),
        ("village", "4203", "a county (6 digits) or a town (9 digits)"),
        ("village", "４２０３０３", "a county (6 digits)"),
        ("town", "330103", "retired 下城区"),
        ("town", "420399", "not in the 2023 division list"),
    ],
)
def test_a_scope_that_cannot_be_searched_is_refused(level, within, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        name_match("花果", level=level, within=within)


def _spellings(entry: DivisionEntry) -> list[str]:
    short = entry.short_name
    return [entry.name, short, f" {short}　", *(short + s for s in SUFFIXES[entry.level])]


@pytest.mark.parametrize("county", [ZHANGWAN, WUCHANG])
def test_every_spelling_of_every_name_gives_its_own_code_or_ambiguous(county):
    """The rule of name_match over a generated corpus: every town and village of a county under
    its full name, its short name and its short name with each suffix variant."""
    own = asked = 0
    for town in children(county):
        entries = [(town, "town", county), *((v, "village", county) for v in children(town.code))]
        for entry, level, within in entries:
            for spelling in _spellings(entry):
                match = name_match(spelling, level=level, within=within)
                asked += 1
                if match.code is None:
                    assert match.status == "ambiguous", (spelling, entry, match)
                elif match.code != entry.code:
                    # Only a suffix of the other kind (柏林村 for 柏林社区…) may name another
                    # division, and then one of that kind with the same short name.
                    other = division(match.code)
                    kind = suffix_kind(spelling, level)
                    assert kind and kind != suffix_kind(entry.name, level), (spelling, match)
                    assert suffix_kind(other.name, level)[0] == kind[0], (spelling, match)
                    assert other.short_name == entry.short_name, (spelling, match)
                else:
                    own += 1
    assert own > 0.9 * asked  # most names are their division's alone


def test_naming_a_city_or_county_does_not_load_the_whole_list(monkeypatch):
    """The city profile names the city on every page: that reads the small county table, never
    the 620,000 villages (0.5 s and ~50 MB a process)."""
    from geo import division_list

    monkeypatch.setattr(division_list, "_loaded", None)
    assert city_name("420303") == "十堰市" and city_name("110101") == "北京市"
    assert [e.code for e in counties_named("张湾区")] == ["420303"]
    assert division("4203").name == "十堰市"
    assert {"张湾区", "茅箭区"} <= {e.name for e in division_list.counties_of("4203")}
    assert "市辖区" not in {e.name for e in division_list.counties_of("1101")}
    assert division_list._loaded is None
    assert children("420303")  # the towns: now the whole list
    assert division_list._loaded is not None

"""The address parser on its own: no database, many small cases."""

import dataclasses

import pytest

from geo.city_profile import city_profile
from layers.address_parse import ParsedAddress, address_parse, address_place, district_names


def parts(text: str) -> dict:
    """The parts that were found, without the cleaned text."""
    p = address_parse(text)
    return {
        k: v for k, v in dataclasses.asdict(p).items() if k != "normalized" and v not in (None, ())
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The stored form, and the same without district or road.
        (
            "江岸区丽新街8号湖晴小区3栋",
            {
                "district": "江岸区",
                "road": "丽新街",
                "door": 8,
                "compound": "湖晴小区",
                "building": "3",
            },
        ),
        (
            "丽新街8号湖晴小区3栋",
            {"road": "丽新街", "door": 8, "compound": "湖晴小区", "building": "3"},
        ),
        ("湖晴小区3栋", {"compound": "湖晴小区", "building": "3"}),
        # A building outside compounds: the door is the address, 楼 names its building.
        ("江岸区丽新街12号", {"district": "江岸区", "road": "丽新街", "door": 12}),
        ("丽新街12号楼", {"road": "丽新街", "door": 12}),
        ("丽新街", {"road": "丽新街"}),
        # Roads with a phase, and the big-road suffix.
        (
            "湖康路二期22号金祥小区4栋",
            {"road": "湖康路二期", "door": 22, "compound": "金祥小区", "building": "4"},
        ),
        (
            "江府大道33号翠云小区3栋",
            {"road": "江府大道", "door": 33, "compound": "翠云小区", "building": "3"},
        ),
        ("解放大街5号", {"road": "解放大街", "door": 5}),
        ("江川巷14号", {"road": "江川巷", "door": 14}),
    ],
)
def test_parts_of_the_usual_forms(text, expected):
    assert parts(text) == expected


@pytest.mark.parametrize(
    ("text", "building"),
    [
        ("湖晴小区3栋", "3"),
        ("湖晴小区3号楼", "3"),
        ("湖晴小区3幢", "3"),
        ("湖晴小区3座", "3"),
        ("湖晴小区3#", "3"),
        ("湖晴小区3号", "3"),  # N号 after a compound is its building
        ("湖晴小区3楼", "3"),  # …and so is N楼 with no building before it
        ("湖晴小区A座", "A"),
        ("湖晴小区12A栋", "12A"),
        ("湖晴3#", "3"),
    ],
)
def test_building_markers_are_one_building(text, building):
    p = address_parse(text)
    assert p.building == building
    assert p.compound_full in ("湖晴小区", "湖晴")


@pytest.mark.parametrize(
    ("text", "building"),
    [
        ("湖晴小区三栋", "3"),
        ("湖晴小区十栋", "10"),
        ("湖晴小区十二栋", "12"),
        ("湖晴小区二十栋", "20"),
        ("湖晴小区二十三栋", "23"),
        ("湖晴小区一百零五栋", "105"),
        ("湖晴小区两栋", "2"),
        ("湖晴小区十二号楼", "12"),
        ("湖晴小区〇栋", "0"),
    ],
)
def test_chinese_numerals(text, building):
    assert address_parse(text).building == building


@pytest.mark.parametrize(
    ("text", "building", "unit", "room"),
    [
        ("湖晴小区12-3-1001", "12", 3, "1001"),
        ("湖晴小区12栋3单元1001", "12", 3, "1001"),
        ("湖晴小区12#3-1001", "12", 3, "1001"),
        ("湖晴小区12栋3-1001", "12", 3, "1001"),
        ("湖晴小区3-2-501", "3", 2, "501"),
        ("湖晴小区3栋2单元501室", "3", 2, "501"),
        ("湖晴小区3栋2单元501房", "3", 2, "501"),
        ("湖晴小区3栋2单元501号房", "3", 2, "501"),
        ("湖晴小区3栋2单元501号", "3", 2, "501"),
        ("湖晴小区3栋2门501", "3", 2, "501"),
        ("湖晴小区3-501", "3", None, "501"),  # a big second number is a room
        ("湖晴小区3-2", "3", 2, None),  # a small one is a unit
        ("湖晴小区3栋501", "3", None, "501"),
        ("湖晴小区三栋二单元五零一", "3", 2, "501"),
        ("湖晴小区三栋二单元五零一室", "3", 2, "501"),
        ("湖晴小区十二栋一单元一零零一", "12", 1, "1001"),
        ("湖晴小区3栋2单元0501", "3", 2, "501"),
    ],
)
def test_building_unit_room(text, building, unit, room):
    p = address_parse(text)
    assert (p.compound, p.building, p.unit, p.room) == ("湖晴小区", building, unit, room)


def test_floor_after_the_building():
    p = address_parse("湖晴小区3栋2单元5楼501")
    assert (p.building, p.unit, p.floor, p.room) == ("3", 2, 5, "501")
    assert address_parse("湖晴小区3栋5层").floor == 5


def test_unit_alone_is_not_a_building():
    p = address_parse("湖晴小区2单元501")
    assert (p.building, p.unit, p.room) == (None, 2, "501")


@pytest.mark.parametrize(
    ("text", "compound", "phase"),
    [
        ("福恒花园二期5栋", "福恒花园", "二期"),
        ("福恒花园2期5栋", "福恒花园", "二期"),  # digits become the Chinese the names use
        ("福恒花园一期5栋", "福恒花园", "一期"),
        ("福恒花园十期5栋", "福恒花园", "十期"),
        ("湖晴东区3栋", "湖晴", "东区"),
        ("湖晴北苑3栋", "湖晴", "北苑"),
        ("水利厅生活区3栋", "水利厅生活区", None),  # 生活区 is a name, not a 区 phase
        ("江泰安置小区3栋", "江泰安置小区", None),
        ("二期3栋", "二期", None),  # a phase alone is all the name there is
    ],
)
def test_phase_qualifiers(text, compound, phase):
    p = address_parse(text)
    assert (p.compound, p.phase) == (compound, phase)


def test_compound_full_joins_name_and_phase():
    assert address_parse("福恒花园2期").compound_full == "福恒花园二期"
    assert address_parse("福恒花园").compound_full == "福恒花园"


@pytest.mark.parametrize(
    "text",
    [
        "武汉市江岸区紫晴小区3栋",
        "湖北省武汉市江岸区紫晴小区3栋",
        "湖北武汉市江岸区紫晴小区3栋",
        "中国湖北省武汉市江岸区紫晴小区3栋",
        "武汉市武汉市江岸区紫晴小区3栋",
        "江岸区江岸区紫晴小区3栋",
        "武汉江岸区紫晴小区3栋",
    ],
)
def test_city_and_district_prefixes_are_optional(text):
    p = address_parse(text)
    assert (p.district, p.compound, p.building) == ("江岸区", "紫晴小区", "3")
    assert p.normalized == "紫晴小区3栋"


def test_prefix_words_inside_names_stay():
    # 武汉 alone is no prefix (武汉大学家属院), nor 湖北 without a city after it.
    assert address_parse("武汉大学家属院3栋").compound == "武汉大学家属院"
    assert address_parse("湖北电力职工小区二期6栋").compound == "湖北电力职工小区"
    assert address_parse("东西湖区江川巷14号").district == "东西湖区"


def test_street_offices_and_communities_are_kept_as_leftovers():
    p = address_parse("江岸区后湖街道建设新村社区紫晴小区3栋")
    assert (p.compound, p.building) == ("紫晴小区", "3")
    assert p.rest == ("后湖街道", "建设新村社区")


@pytest.mark.parametrize(
    "text",
    [
        "紫晴小区１２栋",  # full-width digits
        "紫晴小区　12栋",  # ideographic space
        "  紫晴小区 12 栋 ",
        "紫晴小区，12栋。",
        "紫晴小区(12栋)",
        "【紫晴小区】12栋",
        "紫晴小区12栋附近",
        "紫晴小区12栋旁边",
        "紫晴小区的12栋",
        "紫晴小区12栋门口",
        "紫晴小区12栋😀",
    ],
)
def test_noise_is_ignored(text):
    p = address_parse(text)
    assert (p.compound, p.building, p.rest) == ("紫晴小区", "12", ())


def test_gaps_between_numbers_separate_them():
    p = address_parse("紫晴小区 3 2 501")
    assert (p.building, p.unit, p.room) == ("3", 2, "501")
    p = address_parse("紫晴小区１２＃３－１００１")
    assert (p.building, p.unit, p.room) == ("12", 3, "1001")
    p = address_parse("紫晴小区12—3—1001")  # em dashes
    assert (p.building, p.unit, p.room) == ("12", 3, "1001")


def test_names_with_numeral_characters_keep_them():
    # Numerals are numbers only next to a marker: 三镇, 百步亭, 九州 are names.
    assert address_parse("三镇小区二栋").compound == "三镇小区"
    assert address_parse("百步亭花园3栋").compound == "百步亭花园"
    assert address_parse("九州花园十栋").building == "10"


def test_just_a_compound_or_alias():
    assert parts("紫晴小区") == {"compound": "紫晴小区"}
    assert parts("紫晴") == {"compound": "紫晴"}
    assert parts("长航宿舍") == {"compound": "长航宿舍"}


def test_road_before_a_compound_without_door():
    assert parts("恒润街紫晴小区3栋") == {"road": "恒润街", "compound": "紫晴小区", "building": "3"}
    # …but a compound named after its road keeps its name.
    assert address_parse("中山路小区3栋").compound == "中山路小区"


@pytest.mark.parametrize("text", ["", "   ", "!!!", "。，、；", "😀🏠", "\x00\t\n"])
def test_nothing_to_search_is_empty(text):
    p = address_parse(text)
    assert p.is_empty
    assert p.normalized == ""


def test_sql_looking_text_is_only_letters():
    p = address_parse("'; DROP TABLE layers_address; --")
    assert p.normalized == "DROPTABLELAYERSADDRESS"
    assert "'" not in p.normalized and ";" not in p.normalized


def test_long_digit_runs_parse_fast():
    # A digit run is one number (possessive regex): no backtracking blow-up.
    p = address_parse("1" * 300 + "湖")
    assert p.compound is not None
    assert address_parse("9" * 500).building == "9" * 500


def test_canonical_writes_the_parts_back():
    p = address_parse("武汉市江岸区丽新街八号湖晴小区三栋二单元五零一")
    assert p.canonical() == "江岸区丽新街8号湖晴小区3栋2单元501室"


def test_parsed_address_is_a_frozen_value():
    p = address_parse("湖晴小区3栋")
    assert isinstance(p, ParsedAddress)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.building = "4"  # type: ignore[misc]


def test_address_place_reads_stored_addresses():
    assert address_place("江岸区丽新街8号湖晴小区3栋") == ("丽新街", 8)
    assert address_place("新洲区湖康路二期22号金祥小区4栋") == ("湖康路二期", 22)
    assert address_place("紫晴小区3栋") == (None, None)


def test_districts_come_from_the_city_profile():
    code = city_profile().city_code  # nothing loaded: Wuhan, the fallback
    assert {"江岸区", "东西湖区", "新洲区"} <= district_names(code)
    assert "市辖区" not in district_names(code)  # a virtual county


def test_a_city_with_no_division_list_still_parses(settings):
    settings.GRIDATLAS_CITY_CODE, settings.GRIDATLAS_CITY_NAME = "9999", "某某市"
    p = address_parse("某某市紫晴小区3栋")
    assert (p.district, p.compound, p.building) == (None, "紫晴小区", "3")


# --- issue 13: what used to be read wrong, with confidence ------------------------------------
@pytest.mark.parametrize(
    ("text", "compound", "building"),
    [
        ("紫晴小區三棟", "紫晴小区", "3"),  # traditional characters
        ("東萬城12棟", "东万城", "12"),
        ("長航家屬院5號樓", "长航家属院", "5"),
    ],
)
def test_traditional_characters_are_read_as_simplified(text, compound, building):
    p = address_parse(text)
    assert (p.compound, p.building) == (compound, building)


@pytest.mark.parametrize(
    "text",
    [
        "紫晴小区3栋（王先生 13812345678）",
        "紫晴小区3栋(王先生)",
        "紫晴小区3栋【送货放门口】",
        "紫晴小区3栋（王",
    ],
)
def test_a_bracketed_note_after_the_building_is_left_out_and_kept(text):
    p = address_parse(text)
    assert (p.compound, p.building, p.rest) == ("紫晴小区", "3", ())
    assert p.notes and p.notes[0].startswith("王") or p.notes == ("送货放门口",)


@pytest.mark.parametrize("text", ["紫晴小区9栋(原5栋)", "紫晴小区9栋原5栋", "紫晴小区原5栋现9栋"])
def test_renumbered_building_takes_the_current_number(text):
    p = address_parse(text)
    assert (p.compound, p.building, p.old_building) == ("紫晴小区", "9", "5")
    assert p.building_numbers == ("9", "5")


@pytest.mark.parametrize(
    "text", ["紫晴小区5栋到9栋", "紫晴小区5到9栋", "紫晴小区五栋至九栋", "紫晴小区5~9栋"]
)
def test_a_range_of_buildings_is_both_ends_and_no_building(text):
    p = address_parse(text)
    assert (p.compound, p.building, p.building_range) == ("紫晴小区", None, ("5", "9"))


@pytest.mark.parametrize("text", ["沙云巷20#", "沙云巷20号", "沙云巷20"])
def test_a_number_after_a_road_is_its_door_not_a_building(text):
    p = address_parse(text)
    assert (p.road, p.door, p.compound, p.building) == ("沙云巷", 20, None, None)


def test_a_number_after_a_compound_is_a_building():
    assert parts("紫晴小区20#") == {"compound": "紫晴小区", "building": "20"}
    assert parts("首城巷27号5栋") == {"road": "首城巷", "door": 27, "building": "5"}


def test_spaces_after_every_character_join_the_digits():
    assert address_parse("东 万 城 1 0 栋").building == "10"


@pytest.mark.parametrize(
    ("text", "district", "divisions"),
    [
        ("江岸区", "江岸区", ()),
        ("花桥社区", None, ("花桥社区",)),
        ("后湖街道办事处新荣社区居委会", None, ("后湖街道", "新荣社区")),
    ],
)
def test_a_division_alone_is_a_division_query(text, district, divisions):
    p = address_parse(text)
    assert p.names_division_only
    assert (p.district, p.divisions) == (district, divisions)

"""Understanding an address as a resident says it, e.g. 武汉市江岸区丽新街8号湖晴小区三栋2单元501.

`address_parse(text)` turns free text into a `ParsedAddress`: district, road and door number
(门牌), compound (小区) and its phase (二期, 东区), building, unit, floor, room, and what was
left over. Pure Python, no database: `layers.selectors.address_search` matches the parts.

The steps, in order, each one small regex with its reason beside it:
1. NFKC: full-width digits, letters, ＃ and － become ASCII; traditional characters become
   simplified (OpenCC t2s), as the register is written: 紫晴小區 → 紫晴小区.
   Notes in brackets after the building go (3栋（王先生 138…）): they are no part of the place.
2. Noise: punctuation and spaces go (a gap between two numbers becomes '-': "3 2 501"), and so
   do words that place without naming (附近, 旁边, 对面).
3. Numerals: Chinese numerals before a marker (十二栋, 三单元, 五零一室) become digits; phase
   numerals become Chinese (2期 → 二期), as compounds and roads are named that way.
4. Prefixes: province, the configured city, its districts, street offices and communities, as
   often as they repeat (武汉市武汉市江岸区).
5. Road and door number at the front (丽新街8号, 湖康路二期22号).
6. Renumbered buildings (9栋(原5栋): the current number, the old one kept) and ranges
   (5栋到9栋: both ends, neither taken).
7. The tail of numbers: building, unit, floor and room in their usual spellings (3栋2单元501,
   3#2-501, 3-2-501). After a road with no compound, the number is a door (沙云巷20#).
8. What is left in between is the compound name; a trailing 二期/东区/北苑 is its phase.
"""

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import cn2an
import opencc

from geo.city_profile import city_profile
from geo.division_list import counties_of

DIVISIONS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "divisions"

HAN = r"\u3007\u3400-\u4dbf\u4e00-\u9fff"  # 〇, CJK extension A, CJK unified ideographs
CN_DIGITS = "零〇一二两三四五六七八九十百千幺"
ROAD_SUFFIX = r"(?:大道|大街|路|街|巷)"
PHASE_NUM = r"[一二三四五六七八九十]+期"
BUILDING_MARKERS = ("号楼", "栋", "幢", "座", "#", "号")
UNIT_MARKERS = ("单元", "门")
ROOM_MARKERS = ("室", "房", "号房")
FLOOR_MARKERS = ("楼", "层")
# Longest first: 号楼 and 号房 before 号, 单元 before the one-character markers.
MARKER = r"(?:号楼|号房|单元|栋|幢|座|号|#|室|房|楼|层|门)"
# A generic compound word alone names no compound: "中山路小区" is not road 中山路 + 小区.
GENERIC_NAMES = {"小区", "花园", "家园", "新村", "宿舍", "公寓", "大院", "社区", "生活区", "家属院"}


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of an address query; None where the text did not say.

    `normalized` is the cleaned query (NFKC, noise and prefixes gone, numerals as digits): the
    text the parts were cut from. Numbers keep their written digits as strings where letters or
    leading zeros can occur (building "12A", room "0501"); unit and floor are integers.
    """

    normalized: str
    district: str | None = None
    road: str | None = None  # with its phase when it has one: 湖康路二期
    door: int | None = None  # 门牌号 on the road
    compound: str | None = None  # without its phase
    phase: str | None = None  # 二期, 东区, 北苑
    building: str | None = None  # "3", "12A", "A"
    unit: int | None = None
    floor: int | None = None
    room: str | None = None
    rest: tuple[str, ...] = field(default=())  # pieces not understood (street offices too)
    # Street offices and communities named in the text (后湖街道, 新荣社区): they filter.
    divisions: tuple[str, ...] = field(default=())
    old_building: str | None = None  # 9栋(原5栋): "5"; `building` is the current "9"
    building_range: tuple[str, str] | None = None  # 5栋到9栋: ("5", "9"); `building` is None
    notes: tuple[str, ...] = field(default=())  # bracketed notes left out (王先生 138…)

    @property
    def compound_full(self) -> str | None:
        """The compound as it is named in the data: name and phase together (福恒花园二期)."""
        if self.compound is None:
            return self.phase
        return self.compound + (self.phase or "")

    @property
    def is_empty(self) -> bool:
        """Nothing to search with: no place, no compound, no building."""
        return not (
            self.road
            or self.compound_full
            or self.building
            or self.building_range
            or self.unit
            or self.room
        )

    @property
    def names_division_only(self) -> bool:
        """Only a district, street office or community (江岸区, 花桥社区): answer the division."""
        return self.is_empty and bool(self.district or self.divisions)

    @property
    def building_numbers(self) -> tuple[str, ...]:
        """Every building number the text names: current, old, both ends of a range."""
        found = (self.building, self.old_building, *(self.building_range or ()))
        return tuple(dict.fromkeys(n for n in found if n))

    def canonical(self) -> str:
        """The parts written back in the style of the stored addresses, for "understood as"."""
        parts = [
            self.district or "",
            self.road or "",
            f"{self.door}号" if self.door is not None else "",
            self.compound_full or "",
            f"{self.building}栋" if self.building else "",
            f"{self.unit}单元" if self.unit is not None else "",
            f"{self.floor}层" if self.floor is not None else "",
            f"{self.room}室" if self.room else "",
        ]
        return "".join(parts)


def address_parse(text: str) -> ParsedAddress:
    """The parts of an address as typed by a resident or a field worker.

    >>> p = address_parse("武汉市江岸区丽新街８号湖晴小区三栋二单元五零一")
    >>> (p.district, p.road, p.door, p.compound, p.building, p.unit, p.room)
    ('江岸区', '丽新街', 8, '湖晴小区', '3', 2, '501')
    """
    s, notes = _notes_dropped(_simplified(unicodedata.normalize("NFKC", text).upper()))
    s = _numerals(_denoise(s))
    s, old_building, building_range = _renumbered_and_range(s)
    s, district, rest = _strip_prefixes(s)
    normalized = s
    road, door, s = _road_and_door(s)
    head, tail = _split_tail(s)
    slots, tail_rest = _tail_slots(tail)
    if road is None:
        road, head = _road_without_door(head)
    compound, phase = _compound_and_phase(head)
    if road and door is None and compound is None and _door_number(tail) is not None:
        # 沙云巷20# or 沙云巷20: after a road with no compound, a number is the door (门牌),
        # not building 20 of whichever compound stands on that road.
        door, slots["building"] = _door_number(tail), None
    return ParsedAddress(
        normalized=normalized,
        district=district,
        road=road,
        door=door,
        compound=compound,
        phase=phase,
        rest=tuple(rest + tail_rest),
        divisions=tuple(_division_core(r) for r in rest),
        old_building=old_building,
        building_range=building_range,
        notes=notes,
        **slots,
    )


# --- 1. traditional characters and bracketed notes -------------------------------------------
@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _simplified(s: str) -> str:
    # Only text with a character outside ASCII is converted (most queries are plain simplified).
    return _t2s().convert(s) if not s.isascii() else s


_BRACKETED = re.compile(r"[(\[{【〔〖《「『]([^)\]}】〕〗》」』]*)(?:[)\]}】〕〗》」』]|$)")
# A building already named before the bracket: what follows in brackets is a note about it.
_BUILDING_BEFORE = re.compile(rf"[0-9{CN_DIGITS}A-Z]+\s*(?:号楼|栋|幢|座|#)")
_OLD_NUMBER_NOTE = re.compile(r"^\s*(?:原|旧|老|以前)")


def _notes_dropped(s: str) -> tuple[str, tuple[str, ...]]:
    """Bracketed text after the building is a note (a name, a phone): left out, and said.
    Brackets before it hold the place (【东万城】15栋, 紫晴小区(7栋)); 9栋(原5栋) renumbers."""
    notes = []

    def drop(m: re.Match) -> str:
        inside = m.group(1)
        if _OLD_NUMBER_NOTE.match(inside) or not _BUILDING_BEFORE.search(s[: m.start()]):
            return m.group(0)
        notes.append(inside.strip())
        return " "

    return _BRACKETED.sub(drop, s), tuple(n for n in notes if n)


# --- 2. noise -------------------------------------------------------------------------------
KEEP = rf"{HAN}0-9A-Z#\-"
_DASHES = re.compile(r"[\u2010-\u2015\u2212~]")  # hyphens, en/em dashes, minus, tilde
_GAP_BETWEEN_NUMBERS = re.compile(rf"(?<=[0-9{CN_DIGITS}])[^{KEEP}]+(?=[0-9{CN_DIGITS}])")
_ANYTHING_ELSE = re.compile(rf"[^{KEEP}]+")
# Words that locate without naming: the worker stands near the place the resident names.
_NOISE_WORDS = re.compile(
    r"附近|旁边|对面|周边|隔壁|门口|一带|这边|那边|里面|楼下|地址|请问|大概|左右|的"
)


def _denoise(s: str) -> str:
    tokens = s.split()
    if len(tokens) >= 3 and all(len(t) == 1 for t in tokens):
        # 东 万 城 1 0 栋: a space after every character separates nothing (10栋, not 1-0).
        s = "".join(tokens)
    s = _DASHES.sub("-", s)
    s = _GAP_BETWEEN_NUMBERS.sub("-", s)  # "3 2 501" keeps its three numbers apart
    s = _ANYTHING_ELSE.sub("", s)  # spaces, punctuation, emoji, quotes, semicolons
    s = _NOISE_WORDS.sub("", s)
    s = re.sub(r"-{2,}", "-", s)
    s = re.sub(r"#+", "#", s)
    return s.strip("-")


# --- 3. numerals ------------------------------------------------------------------------------
# Only runs of numerals next to a marker are numbers: 三镇, 九州, 百步亭 are names.
_CN_BEFORE_MARKER = re.compile(rf"[{CN_DIGITS}]+(?={MARKER}|-|到|至)")
# A room after its unit or building needs no marker: 三栋二单元五零一.
_CN_AFTER_MARKER = re.compile(rf"(?<=栋|幢|座|元|楼|层|-|#)[{CN_DIGITS}]+(?=$|-)")
_ARABIC_PHASE = re.compile(r"(\d+)期")


def _cn_to_int(m: re.Match) -> str:
    try:
        return str(int(cn2an.cn2an(m.group(0), "smart")))
    except (ValueError, KeyError):
        return m.group(0)  # 百 alone and other non-numbers stay as written


def _numerals(s: str) -> str:
    s = _CN_BEFORE_MARKER.sub(_cn_to_int, s)
    s = _CN_AFTER_MARKER.sub(_cn_to_int, s)
    # Phases are written in Chinese in the names (福恒花园二期, 湖康路二期): 2期 → 二期.
    return _ARABIC_PHASE.sub(lambda m: cn2an.an2cn(m.group(1)) + "期", s)


# --- renumbering and ranges -------------------------------------------------------------------
_BUILDING_NUMBER = r"\d+[A-Z]?"
_BUILDING_MARK = r"(?:号楼|栋|幢|座|#|号)"
# 原5栋 (old number), with an optional 现 before the current one: 9栋原5栋, 原5栋现9栋.
_OLD_NUMBER = re.compile(
    rf"(?:原|旧|老|以前)(?P<old>{_BUILDING_NUMBER}){_BUILDING_MARK}?(?:现|今)?"
)
# 5栋到9栋, 5到9栋, 5-9栋 (~ is a dash by now): both ends, the marker after the last.
_RANGE = re.compile(
    rf"(?P<first>{_BUILDING_NUMBER}){_BUILDING_MARK}?(?:到|至|-)(?P<last>{_BUILDING_NUMBER})"
    r"(?:号楼|栋|幢|座|#)"
)


def _renumbered_and_range(s: str) -> tuple[str, str | None, tuple[str, str] | None]:
    old = None
    if m := _OLD_NUMBER.search(s):
        old, s = m.group("old").lstrip("0") or "0", s[: m.start()] + s[m.end() :]
    m = _RANGE.search(s)
    if m and _range_plausible(m.group("first"), m.group("last")):
        ends = (m.group("first").lstrip("0") or "0", m.group("last").lstrip("0") or "0")
        return s[: m.start()] + s[m.end() :], old, ends
    return s, old, None


def _range_plausible(first: str, last: str) -> bool:
    # 5-9栋 is a range; 12-3栋 is more likely a block and its building, left to the tail.
    if first.isdigit() and last.isdigit():
        return int(first) < int(last)
    return first != last


def _division_core(name: str) -> str:
    """后湖街道办事处 → 后湖街道, 新荣社区居委会 → 新荣社区: as the divisions are named."""
    return re.sub(r"村委会$", "村", re.sub(r"(?:办事处|居委会)$", "", name))


# --- 4. prefixes ------------------------------------------------------------------------------
@functools.cache
def _prefix_re(city_code: str, city_name: str) -> re.Pattern:
    districts = "|".join(sorted(map(re.escape, district_names(city_code)), key=len, reverse=True))
    short_city = re.escape(city_name.removesuffix("市"))
    alternatives = [
        r"中华人民共和国|中国",
        rf"[{HAN}]{{2,3}}省",
        rf"[{HAN}]{{2,3}}(?={re.escape(city_name)})",  # the province without 省: 湖北武汉市
        re.escape(city_name),
        # 武汉江岸区, never 武汉 alone: 武汉大学家属院 is a compound.
        rf"{short_city}(?={districts})" if districts else None,
        rf"(?P<district>{districts})" if districts else None,
        # Street offices and communities are known to the map already: kept as leftovers.
        rf"(?P<local>[{HAN}]{{2,8}}?(?:街道办事处|街道|社区居委会|社区|村委会))",
    ]
    return re.compile("^(?:" + "|".join(a for a in alternatives if a) + ")")


@functools.cache
def district_names(city_code: str) -> frozenset[str]:
    """The districts (区/县/县级市) of the city, from the national division lists: the 2023 one
    (any city in China) and the 2016 city lists (names since merged away still appear in
    addresses)."""
    names = {e.name for e in counties_of(city_code)}
    lists_2016 = [*DIVISIONS_DIR.glob("adcode_*.csv"), *DIVISIONS_DIR.glob("*_2016.csv")]
    for path in sorted(lists_2016):
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if (
                    row["level"] == "county"
                    and row["virtual"] != "t"
                    and row["code"].startswith(city_code)
                ):
                    names.add(row["name"])
    return frozenset(names)


def _strip_prefixes(s: str) -> tuple[str, str | None, list[str]]:
    profile = city_profile()
    pattern = _prefix_re(profile.city_code, profile.name)
    district, rest = None, []
    while m := pattern.match(s):
        if not m.group(0):
            break
        found = m.groupdict()  # no district group for a city with no division list
        district = found.get("district") or district
        if found.get("local"):
            rest.append(found["local"])
        s = s[m.end() :]
    return s, district, rest


# --- 5. road and door -------------------------------------------------------------------------
# Lazy, so 时长路36号 is road 时长路; the phase belongs to the road (湖康路二期22号). A 楼 or 院
# after the door number names the building or yard of that door (丽新街12号楼).
_ROAD_DOOR = re.compile(
    rf"^(?P<road>[{HAN}]{{1,12}}?{ROAD_SUFFIX}(?:{PHASE_NUM})?)(?P<door>\d+)号(?:楼|院)?"
)
_ROAD_ONLY = re.compile(rf"^(?P<road>[{HAN}]{{2,12}}?{ROAD_SUFFIX}(?:{PHASE_NUM})?)")


def _road_and_door(s: str) -> tuple[str | None, int | None, str]:
    m = _ROAD_DOOR.match(s)
    if not m:
        return None, None, s
    return m.group("road"), int(m.group("door")), s[m.end() :]


def _road_without_door(head: str) -> tuple[str | None, str]:
    """A road named without its door number, before a compound (恒润街紫晴小区) or alone."""
    m = _ROAD_ONLY.match(head)
    if not m:
        return None, head
    rest = head[m.end() :]
    if rest in GENERIC_NAMES or len(rest) == 1:
        return None, head  # 中山路小区 is a compound named after its road
    return m.group("road"), rest


# --- 6. the tail of numbers -------------------------------------------------------------------
# Possessive: a run of digits is one number, never split (no backtracking blow-up on 100 digits).
_NUMBER = r"(?:\d++[A-Z]?|[A-Z](?=座|栋|幢|号楼|单元|#))"
# The longest run of numbers and markers that reaches the end of the text.
_TAIL = re.compile(rf"(?:{_NUMBER}{MARKER}?-?)+$")
_TOKEN = re.compile(rf"(?P<value>{_NUMBER})(?P<marker>{MARKER}|-)?")


def _split_tail(s: str) -> tuple[str, str]:
    m = _TAIL.search(s)
    if not m:
        return s, ""
    return s[: m.start()], m.group(0)


def _door_number(tail: str) -> int | None:
    """The number of a tail that is one number with # or 号 or nothing after it (20#, 20号, 20)."""
    m = re.fullmatch(r"(\d+)(?:#|号)?", tail)
    return int(m.group(1)) if m else None


def _tail_slots(tail: str) -> tuple[dict, list[str]]:
    """Building, unit, floor and room from 3栋2单元5楼501, 3#2-501, 3-2-501 or 14号."""
    slots: dict = {"building": None, "unit": None, "floor": None, "room": None}
    rest = []
    for m in _TOKEN.finditer(tail):
        value, marker = m.group("value"), m.group("marker") or ""
        if not _tail_take(slots, value, marker):
            rest.append(value + marker)
    return slots, rest


def _tail_take(slots: dict, value: str, marker: str) -> bool:
    """Put one number where its marker says; bare numbers fill building, unit, room in turn."""
    digits = value.isdigit()
    if marker in ROOM_MARKERS or (marker == "号" and slots["building"] is not None):
        key = "room"  # 2单元501号: a 号 after the building is a room
    elif marker in BUILDING_MARKERS:
        key = "building"
    elif marker in UNIT_MARKERS:
        key = "unit"
    elif marker in FLOOR_MARKERS:
        # "湖晴小区3楼" names building 3; after a building, 5楼 is the fifth floor.
        key = "floor" if slots["building"] is not None else "building"
    elif slots["building"] is None and slots["unit"] is None and slots["room"] is None:
        key = "building"
    elif slots["unit"] is None and slots["room"] is None and digits and int(value) < 100:
        key = "unit"  # 3-2-501: the small middle number is the unit
    else:
        key = "room"
    if slots[key] is not None or (key in ("unit", "floor") and not digits):
        return False
    slots[key] = int(value) if key in ("unit", "floor") else value.lstrip("0") or "0"
    return True


# --- 7. compound and phase --------------------------------------------------------------------
_PHASE = re.compile(rf"(?:{PHASE_NUM}|[东西南北中]区|[东西南北]苑)$")


def _compound_and_phase(head: str) -> tuple[str | None, str | None]:
    if not head:
        return None, None
    m = _PHASE.search(head)
    if m and m.start() >= 2:  # 二期 alone, or a one-character name, is not split
        return head[: m.start()], m.group(0)
    return head, None


def address_place(text: str) -> tuple[str | None, int | None]:
    """Road and door number of a stored address (江岸区丽新街8号湖晴小区3栋 → 丽新街, 8)."""
    s, _district, _rest = _strip_prefixes(unicodedata.normalize("NFKC", text))
    road, door, _ = _road_and_door(s)
    return road, door

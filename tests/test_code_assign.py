"""Generated official codes for a city's own features (issue 15): parent code + serial in reading
order, codes others hold skipped, codes a feature already has kept, and the refusals."""

import re

import pytest
import shapely
import shapely.affinity

from geo.reading_order import reading_order
from layers.io.code_assign import codes_generated

COMMUNITY = "420303001001"  # 二堰铺社区: its grids are 420303001001NNN
# Gauss-Krüger metres near 十堰 (CGCS2000 CM 111E): a projected CRS, never lon/lat.
X0, Y0 = 500_000.0, 3_610_000.0


def box(col: float, row: float, size: float = 100.0) -> shapely.Polygon:
    """A square `col` squares east and `row` squares south of the origin."""
    x, y = X0 + col * size, Y0 - row * size
    return shapely.box(x, y - size, x + size, y)


# Keys named by where they lie, not in reading order: the order comes from the geometry.
FOUR = {"SQ-3-4": box(1, 3), "SQ-3-1": box(0, 0), "SQ-3-3": box(0, 3), "SQ-3-2": box(1, 0)}


def grid(serial: int) -> str:
    return f"{COMMUNITY}{serial:03d}"


def test_codes_follow_reading_order_north_to_south_west_to_east():
    codes = codes_generated(COMMUNITY, "grid", FOUR, taken=set())
    assert codes == {"SQ-3-1": grid(1), "SQ-3-2": grid(2), "SQ-3-3": grid(3), "SQ-3-4": grid(4)}
    assert list(codes.values()) == sorted(codes.values())


def test_a_feature_a_little_north_of_its_western_neighbour_stays_in_its_band():
    geoms = {"west": box(0, 0), "east": shapely.affinity.translate(box(1, 0), yoff=30.0)}
    assert codes_generated(COMMUNITY, "grid", geoms, taken=set()) == {
        "west": grid(1),
        "east": grid(2),
    }
    # In bands of 10 m the 30 m matter: the northern one comes first.
    assert codes_generated(COMMUNITY, "grid", geoms, taken=set(), band_m=10.0) == {
        "east": grid(1),
        "west": grid(2),
    }


def test_taken_codes_are_skipped():
    codes = codes_generated(COMMUNITY, "grid", FOUR, taken={grid(2), grid(4), "420303001002001"})
    assert codes == {"SQ-3-1": grid(1), "SQ-3-2": grid(3), "SQ-3-3": grid(5), "SQ-3-4": grid(6)}


def test_kept_codes_stay_and_the_new_features_take_the_free_ones_in_order():
    keep = {"SQ-3-3": grid(2), "gone": grid(7)}  # a kept code of a feature not in the file
    codes = codes_generated(COMMUNITY, "grid", FOUR, taken={grid(1), grid(2)}, keep=keep)
    assert codes == {"SQ-3-3": grid(2), "SQ-3-1": grid(3), "SQ-3-2": grid(4), "SQ-3-4": grid(5)}
    assert grid(7) not in codes.values()  # still reserved for its feature


def test_re_import_with_one_feature_added_changes_no_other_code():
    first = codes_generated(COMMUNITY, "grid", FOUR, taken=set())
    again = {**FOUR, "SQ-3-0": box(-1, 0)}  # a new one, north-west of all: first in reading order
    second = codes_generated(COMMUNITY, "grid", again, taken=set(first.values()), keep=first)
    assert {k: second[k] for k in first} == first
    assert second["SQ-3-0"] == grid(5)


def test_micro_grids_and_buildings_have_their_levels_lengths():
    micro = codes_generated(grid(1), "microgrid", {"a": box(0, 0), "b": box(0, 1)}, taken=set())
    assert micro == {"a": f"{grid(1)}001", "b": f"{grid(1)}002"}
    buildings = codes_generated(COMMUNITY, "building", {"1栋": box(0, 0, 20.0)}, taken=set())
    assert buildings == {"1栋": f"{COMMUNITY}0001"}


def test_nothing_to_code_gives_nothing():
    assert codes_generated(COMMUNITY, "grid", {}, taken={grid(1)}) == {}


def test_the_last_serial_is_999_and_past_it_the_numbering_runs_out():
    taken = {grid(n) for n in range(1, 999)}
    assert codes_generated(COMMUNITY, "grid", {"a": box(0, 0)}, taken=taken) == {"a": grid(999)}
    two = {"a": box(0, 0), "b": box(1, 0)}
    with pytest.raises(ValueError, match=r"2 grid features under 420303001001 need a new code but"):
        codes_generated(COMMUNITY, "grid", two, taken=taken)


@pytest.mark.parametrize(
    ("parent", "level", "geoms", "keep", "message"),
    [
        (COMMUNITY, "district", FOUR, None, "level 'district': codes are generated for street"),
        (COMMUNITY, "nonsense", FOUR, None, "level 'nonsense'"),
        ("420303001", "grid", FOUR, None, "a grid's parent is a community (社区), 12 digits"),
        (COMMUNITY, "grid", FOUR, {"SQ-3-1": "420303001002001"}, "is not under 420303001001"),
        (COMMUNITY, "grid", FOUR, {"SQ-3-1": grid(1)[:-1]}, "is not a 15-digit grid code"),
        (COMMUNITY, "grid", FOUR, {"SQ-3-1": grid(1), "SQ-3-2": grid(1)}, "both keep code"),
        (COMMUNITY, "grid", {"a": shapely.Polygon()}, None, "a: the grid has no geometry"),
        (COMMUNITY, "grid", {"a": None}, None, "a: the grid has no geometry"),
        (
            COMMUNITY,
            "grid",
            {"a": shapely.box(110.79, 32.62, 110.8, 32.63)},
            None,
            "look like lon/lat degrees",
        ),
    ],
)
def test_what_cannot_be_coded_is_refused_with_the_reason(parent, level, geoms, keep, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        codes_generated(parent, level, geoms, taken=set(), keep=keep)


def test_reading_order_is_the_demo_citys():
    from fixtures.demo_city import fill_community, plan

    assert fill_community.reading_order is reading_order
    assert plan.reading_order is reading_order

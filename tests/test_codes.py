"""Division and governance codes: the field validator, the parent-prefix rule, the parent of a
code, and the database pattern agreeing with the Python validator."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from geo.codes import LEVELS, CodeValidator, check_code_prefix, code_parent, code_regex

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# The malformed variants of a good code, by what is wrong with them.
BAD_VARIANTS = {
    "one digit short": lambda good: good[:-1],
    "one digit long": lambda good: good + "1",
    "a letter": lambda good: good[:-1] + "A",
    "full-width digits": lambda good: good.translate(FULL_WIDTH),
    "a space inside": lambda good: good[:3] + " " + good[4:],
    "a trailing newline": lambda good: good + "\n",
    "empty": lambda good: "",
}


def refusal(level: str, value) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        CodeValidator(level)(value)
    return exc.value


@pytest.mark.parametrize("level", list(LEVELS))
def test_each_level_accepts_its_example(level):
    CodeValidator(level)(LEVELS[level].example)


@pytest.mark.parametrize("variant", list(BAD_VARIANTS))
@pytest.mark.parametrize("level", list(LEVELS))
def test_each_level_refuses_malformed_codes(level, variant):
    bad = BAD_VARIANTS[variant](LEVELS[level].example)
    err = refusal(level, bad)
    assert err.code == "bad_code"


def test_full_width_digits_look_right_but_are_refused():
    # '４２０１…' is what a Chinese IME types; str.isdigit() would let it through.
    code = "４２０１０２００２００１００１"
    assert code.isdigit() and len(code) == 15
    err = refusal("grid", code)
    assert repr(code) in err.message % err.params


@pytest.mark.parametrize("level", list(LEVELS))
def test_the_message_names_the_level_its_length_and_an_example(level):
    lvl = LEVELS[level]
    err = refusal(level, "12ab")
    text = err.message % err.params
    assert lvl.label in text
    assert f"{lvl.digits} digits" in text
    assert f"e.g. {lvl.example}" in text
    assert "'12ab'" in text


def test_the_message_says_how_a_code_is_built():
    grid = refusal("grid", "1")
    assert "the community (社区) code + 3" in grid.message % grid.params
    building = refusal("building", "1")
    assert "the community (社区) code + 4" in building.message % building.params
    district = refusal("district", "1")
    assert "GB/T 2260" in district.message % district.params


def test_none_is_refused_not_crashed_on():
    err = refusal("street", None)
    assert "got None" in err.message % err.params


def test_validators_compare_by_level():
    # Migrations compare deconstructed validators: equal levels must not produce a migration.
    assert CodeValidator("grid") == CodeValidator("grid")
    assert CodeValidator("grid") != CodeValidator("xiaoqu")
    assert CodeValidator("grid").deconstruct()[1] == ("grid",)


# --- the parent prefix ---------------------------------------------------------------------------


def test_a_code_extending_its_parent_passes():
    check_code_prefix(level="community", code="420102002001", parent_code="420102002")


def test_a_code_not_extending_its_parent_is_a_code_field_error():
    with pytest.raises(ValidationError) as exc:
        check_code_prefix(level="community", code="420103002001", parent_code="420102002")
    (err,) = exc.value.error_dict["code"]
    assert err.code == "code_parent_mismatch"
    text = err.message % err.params
    assert "community (社区)" in text
    assert "420103002001" in text and "420102002" in text


def test_prefix_check_leaves_blank_codes_to_the_format_validator():
    check_code_prefix(level="grid", code="", parent_code="420102002001")
    check_code_prefix(level="grid", code="420102002001001", parent_code="")


# --- the parent of a code ------------------------------------------------------------------------


@pytest.mark.parametrize("level", [k for k, lvl in LEVELS.items() if lvl.parent])
def test_code_parent_cuts_to_the_parent_level(level):
    lvl = LEVELS[level]
    assert code_parent(lvl.example) == LEVELS[lvl.parent].example


def test_code_parent_of_a_building_is_its_community():
    assert code_parent("4201020020010007") == "420102002001"


@pytest.mark.parametrize("code", ["420102", "4201020", "42010200200100100100"])
def test_code_parent_refuses_codes_without_a_parent_level(code):
    with pytest.raises(ValueError, match=f"{len(code)}-digit"):
        code_parent(code)


# --- the database pattern ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["district", "grid", "building"])
def test_database_pattern_agrees_with_the_validator(level):
    """The CHECK constraints use code_regex: PostgreSQL must accept and refuse what Python does."""
    good = LEVELS[level].example
    samples = [good] + [make(good) for make in BAD_VARIANTS.values()]
    with connection.cursor() as cur:
        for value in samples:
            cur.execute("SELECT %s ~ %s", [value, code_regex(level)])
            db_ok = cur.fetchone()[0]
            try:
                CodeValidator(level)(value)
                py_ok = True
            except ValidationError:
                py_ok = False
            assert db_ok == py_ok == (value == good), repr(value)


def test_grids_and_micro_grids_add_a_serial_of_the_same_length():
    """The editor makes new grid and micro-grid codes with one serial width (data-code-serial,
    layers/editing/page.py): both levels must add the same number of digits to their parent."""
    from geo.codes import LEVELS

    grid_serial = LEVELS["grid"].digits - LEVELS["community"].digits
    assert grid_serial == LEVELS["microgrid"].digits - LEVELS["grid"].digits == 3

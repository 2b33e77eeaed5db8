"""Small typed parsers for request input: query parameters, form fields and JSON values.

Every parser either returns a value the database and the analyses can take as it is, or raises
geo.errors.BadRequest naming the parameter and what to send instead. They exist because the
built-ins are too generous for input: `str.isdigit()` is true for "²" (which `int()` refuses),
`int()` and `float()` take Arabic-Indic and full-width digits, underscores and surrounding
spaces, `float()` takes "inf", "nan" and 1e-300, and nothing stops a number PostgreSQL cannot
store (an int4 column takes at most 2,147,483,647). Integers here are ASCII digits with a range,
floats are finite with a range, text is bounded.
"""

import datetime
import re

from geo.errors import BadRequest

INT4_MAX = 2**31 - 1  # PostgreSQL integer (revision numbers, households, seeds we store)
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint (primary keys, OFFSET)

_INT = re.compile(r"-?[0-9]{1,19}")  # 19 digits reach BIGINT_MAX; the range decides the rest
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")
# C0 controls and DEL. Tab, newline and carriage return are text in a form's textarea; in a
# path or a parameter's name nothing of this range makes sense.
_NOT_FINITE = {"nan", "inf", "infinity"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_char(text: str, *, allow_whitespace: bool = False) -> str | None:
    """The first C0 control character (or DEL) in `text`, None when there is none. With
    `allow_whitespace`, tab, newline and carriage return are allowed."""
    match = (_CONTROL_IN_TEXT if allow_whitespace else _CONTROL).search(text)
    return match.group() if match else None


def int_parse(raw: str | None, *, name: str, low: int, high: int, default: int | None = None):
    """A whole number from low to high written in ASCII digits (an optional leading minus);
    `default` when the parameter is absent or blank (BadRequest when there is no default)."""
    if raw is None or raw == "":
        if default is None:
            raise BadRequest(f"{name} is required: a whole number from {low} to {high}")
        return default
    if not _INT.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(
            f"{name} must be a whole number from {low} to {high} in digits 0-9, not {shown(raw)}",
            parameter=name,
        )
    return int(raw)


def float_parse(
    raw: str | None,
    *,
    name: str,
    low: float,
    high: float,
    unit: str,
    default: float | None = None,
    low_inclusive: bool = True,
) -> float:
    """A finite decimal number in [low, high] (or (low, high] when not `low_inclusive`),
    written in ASCII; `unit` is said in the message ("metres", "degrees")."""
    if raw is None or raw.strip() == "":
        if default is None:
            raise BadRequest(f"{name} is required: a number of {unit}")
        return default
    text = raw.strip()
    if not _FLOAT.fullmatch(text) and text.lower().lstrip("+-") not in _NOT_FINITE:
        raise BadRequest(
            f"{name} must be a number of {unit} in digits 0-9, not {shown(raw)}", parameter=name
        )
    value = float(text)  # may be inf (1e309) or nan: refused by the range below
    above = value >= low if low_inclusive else value > low
    if not (above and value <= high):
        bound = f"from {low:g} to" if low_inclusive else f"more than {low:g} and at most"
        raise BadRequest(
            f"{name} must be {bound} {high:g} {unit} (out of range: {shown(raw)})",
            parameter=name,
        )
    return value


def text_parse(raw: str | None, *, name: str, max_chars: int, default: str = "") -> str:
    """Text of at most `max_chars` characters, stripped; `default` when absent."""
    if raw is None:
        return default
    if len(raw) > max_chars:
        raise BadRequest(
            f"{name} is {len(raw):,} characters long; send at most {max_chars:,}", parameter=name
        )
    return raw.strip()


def date_parse(raw: str | None, *, name: str) -> datetime.date:
    """A calendar date written YYYY-MM-DD."""
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD, not {shown(raw)}") from None


def json_int(value, *, name: str, low: int, high: int) -> int:
    """An integer JSON value (not a boolean, not a float, not a string) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}, not {shown(value)}")
    return value


def json_text(value, *, name: str, max_chars: int, nullable: bool = False) -> str | None:
    """A JSON string of at most `max_chars` characters (null and "" give None when
    `nullable`)."""
    if nullable and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string, not {type(value).__name__} {shown(value)}")
    if len(value) > max_chars:
        raise BadRequest(f"{name} is {len(value):,} characters long; send at most {max_chars:,}")
    return value


def shown(value, max_chars: int = 40) -> str:
    """The value as the message quotes it: repr, cut short (a 10 MB value is not echoed)."""
    text = repr(value)
    return text if len(text) <= max_chars else text[:max_chars] + f"… ({len(text):,} characters)"

"""Division and governance codes (docs/design.md): each level extends its parent's code by a fixed
number of digits, so a code names its whole ancestry.

>>> code_parent("420102002001")
'420102002'
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible


@dataclass(frozen=True)
class CodeLevel:
    key: str
    label: str
    digits: int
    parent: str | None
    example: str


LEVELS: dict[str, CodeLevel] = {
    lvl.key: lvl
    for lvl in (
        CodeLevel("district", "district (区)", 6, None, "420102"),
        CodeLevel("street", "street (街道)", 9, "district", "420102002"),
        CodeLevel("community", "community (社区)", 12, "street", "420102002001"),
        CodeLevel("grid", "grid (网格)", 15, "community", "420102002001001"),
        CodeLevel("microgrid", "micro-grid (微网格)", 18, "grid", "420102002001001001"),
        # Compounds and buildings are numbered inside their community (a building may have no
        # compound), so both extend the community code.
        CodeLevel("xiaoqu", "compound (小区)", 15, "community", "420102002001001"),
        CodeLevel("building", "building (楼栋)", 16, "community", "4201020020010001"),
    )
}


def code_parent(code: str) -> str:
    """The parent's code, cut from a code by the parent level's length."""
    for lvl in LEVELS.values():
        if lvl.digits == len(code) and lvl.parent:
            return code[: LEVELS[lvl.parent].digits]
    raise ValueError(f"no parent level for a {len(code)}-digit code")


@deconstructible
class CodeValidator:
    """Field validator: the code is all digits, of its level's length."""

    def __init__(self, level: str):
        self.level = level

    def __call__(self, value: str) -> None:
        lvl = LEVELS[self.level]
        if not re.fullmatch(rf"[0-9]{{{lvl.digits}}}", value or ""):
            parent = (
                f"the {LEVELS[lvl.parent].label} code + {lvl.digits - LEVELS[lvl.parent].digits}"
                if lvl.parent
                else "GB/T 2260"
            )
            raise ValidationError(
                "A %(label)s code is %(digits)d digits (%(parent)s), e.g. %(example)s; "
                "got %(value)r.",
                code="bad_code",
                params={
                    "label": lvl.label,
                    "digits": lvl.digits,
                    "parent": parent,
                    "example": lvl.example,
                    "value": value,
                },
            )

    def __eq__(self, other):
        return isinstance(other, CodeValidator) and other.level == self.level


def check_code_prefix(*, level: str, code: str, parent_code: str) -> None:
    """Raise a field error when a code does not extend its parent's code."""
    lvl = LEVELS[level]
    if code and parent_code and not code.startswith(parent_code):
        raise ValidationError(
            {
                "code": ValidationError(
                    "The %(label)s code %(code)s must start with its parent's code %(parent)s.",
                    code="code_parent_mismatch",
                    params={"label": lvl.label, "code": code, "parent": parent_code},
                )
            }
        )


def code_regex(level: str) -> str:
    """The SQL/`__regex` pattern of a level, for database check constraints."""
    return rf"^[0-9]{{{LEVELS[level].digits}}}$"

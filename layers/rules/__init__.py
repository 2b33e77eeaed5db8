"""The boundary rules of docs/design.md, checked set-based in PostGIS (one SQL file per rule)."""

from .check import (
    CHECK_LEVELS,
    NOTICE,
    NOTICE_LABELS,
    RULE_LABELS,
    RULES,
    VIOLATION,
    Violation,
    boundary_violations,
)

__all__ = [
    "CHECK_LEVELS",
    "NOTICE",
    "NOTICE_LABELS",
    "RULE_LABELS",
    "RULES",
    "VIOLATION",
    "Violation",
    "boundary_violations",
]

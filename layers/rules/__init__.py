"""The boundary rules of docs/design.md, checked set-based in PostGIS (one SQL file per rule)."""

from .check import RULE_LABELS, RULES, Violation, boundary_violations

__all__ = ["RULE_LABELS", "RULES", "Violation", "boundary_violations"]

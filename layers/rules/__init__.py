"""The boundary rules of docs/design.md, checked set-based in PostGIS (one SQL file per rule)."""

from .check import RULES, Violation, boundary_violations

__all__ = ["RULES", "Violation", "boundary_violations"]

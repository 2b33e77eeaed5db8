"""Tile coordinates as a validated value object, built once at the edge."""

import re
from dataclasses import dataclass

from geo.errors import BadRequest, TileOutOfRange

MAX_Z = 22
_WHOLE = re.compile(r"-?[0-9]{1,10}")  # a negative one is outside the grid: 404, as before


@dataclass(frozen=True)
class TileCoord:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str, x: str, y: str) -> "TileCoord":
        """From URL parts: 400 when not whole numbers, 404 when outside the tile grid."""
        # ASCII digits only: int() also takes " 1", "1_0" and Arabic-Indic digits, which no
        # tile URL holds (and a cache key must have one spelling).
        if not all(_WHOLE.fullmatch(p) for p in (z, x, y)):
            shown = "/".join(p[:12] for p in (z, x, y))
            raise BadRequest(f"tile coordinates must be whole numbers, got {shown}")
        zi, xi, yi = int(z), int(x), int(y)
        if not 0 <= zi <= MAX_Z:
            raise TileOutOfRange(f"zoom {zi} is outside 0–{MAX_Z}")
        n = 2**zi
        if not (0 <= xi < n and 0 <= yi < n):
            raise TileOutOfRange(f"tile {zi}/{xi}/{yi} is outside the grid (0–{n - 1} at z{zi})")
        return cls(zi, xi, yi)

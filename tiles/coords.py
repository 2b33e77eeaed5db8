"""Tile coordinates as a validated value object, built once at the edge."""

from dataclasses import dataclass

from geo.errors import BadRequest, TileOutOfRange

MAX_Z = 22


@dataclass(frozen=True)
class TileCoord:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str, x: str, y: str) -> "TileCoord":
        """From URL parts: 400 when not whole numbers, 404 when outside the tile grid."""
        try:
            zi, xi, yi = int(z), int(x), int(y)
        except ValueError:
            raise BadRequest(f"tile coordinates must be whole numbers, got {z}/{x}/{y}") from None
        if not 0 <= zi <= MAX_Z:
            raise TileOutOfRange(f"zoom {zi} is outside 0–{MAX_Z}")
        n = 2**zi
        if not (0 <= xi < n and 0 <= yi < n):
            raise TileOutOfRange(f"tile {zi}/{xi}/{yi} is outside the grid (0–{n - 1} at z{zi})")
        return cls(zi, xi, yi)

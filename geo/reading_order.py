"""Reading order: the order in which the features under one parent are numbered (the demo city's
codes, and the codes layers/io/code_assign.py generates for a city's own data). Features are read
in horizontal bands from north to south and from west to east inside a band, like a page of
text; the band keeps a feature a few metres north of its western neighbour from jumping ahead of
it.

Geometries are in a metric CRS (metres, y growing northwards), so a band is a width in metres.
"""

import numpy as np
import shapely

# The band of each code level, in metres: about the height of one row of its features.
READING_BAND_M: dict[str, float] = {
    "street": 1000.0,
    "community": 400.0,
    "grid": 200.0,
    "microgrid": 60.0,
    "xiaoqu": 150.0,
    "building": 40.0,
}


def reading_order(geoms, band_m: float) -> list[int]:
    """Indices sorted north→south in bands, west→east inside a band (codes follow this)."""
    cs = shapely.centroid(np.array(geoms, dtype=object))
    xs, ys = shapely.get_x(cs), shapely.get_y(cs)
    return sorted(range(len(geoms)), key=lambda k: (-np.floor(ys[k] / band_m), xs[k], -ys[k]))

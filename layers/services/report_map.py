"""The offline report map: one HTML file (folium/Leaflet) of station coverage that opens on a
government intranet with no internet — Leaflet is inlined from the vendored copy, there is no
base-map tile layer, and nothing else is fetched.

It shows communities coloured by the share of households within walking distance of a station,
the stations, and the largest uncovered buildings.
"""

import json
import re
from pathlib import Path

import folium
import numpy as np
from django.conf import settings
from django.db import connection

from layers.analysis.coverage import building_coverage

VENDOR = Path(settings.BASE_DIR) / "geo" / "static" / "vendor" / "leaflet"
# Colour classes of the community choropleth: share of households covered (lower bound, colour).
CLASSES = (
    (0.9, "#1a9850"),
    (0.75, "#91cf60"),
    (0.5, "#fee08b"),
    (0.25, "#fc8d59"),
    (0.0, "#d73027"),
)
SIMPLIFY_DEG = 0.00003  # ~3 m: invisible at a report's zooms, a fraction of the bytes


def _class_colour(share: float | None) -> str:
    if share is None:
        return "#cccccc"
    return next(colour for floor, colour in CLASSES if share >= floor)


def _communities(shares: dict[int, tuple[int, int]]) -> dict:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.id, c.code, c.name, s.name,"
            " ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, %s), 6)"
            " FROM layers_community c JOIN layers_street s ON s.id = c.street_id ORDER BY c.code",
            [SIMPLIFY_DEG],
        )
        rows = cur.fetchall()
    features = []
    for pk, code, name, street, geometry in rows:
        covered, total = shares.get(pk, (0, 0))
        share = covered / total if total else None
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geometry),
                "properties": {
                    "name": name,
                    "code": code,
                    "street": street,
                    "households": total,
                    "uncovered": total - covered,
                    "covered": "—" if share is None else f"{share:.0%}",
                    "colour": _class_colour(share),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _stations() -> list[tuple[str, str, float, float]]:
    with connection.cursor() as cur:
        cur.execute("SELECT name, level, ST_Y(geom), ST_X(geom) FROM layers_servicestation")
        return cur.fetchall()


def _legend(distance_m: float) -> str:
    rows = "".join(
        f'<div><span style="background:{colour}"></span>≥ {floor:.0%}</div>'
        for floor, colour in CLASSES
    )
    return (
        f'<div class="ga-legend"><b>步行 {distance_m:.0f} 米内有党群服务阵地的户数占比</b>{rows}'
        '<div><span style="background:#6a3d9a;border-radius:50%"></span>未覆盖楼栋（按户数）</div>'
        '<div><span style="background:#e31a1c;border-radius:50%"></span>党群服务阵地</div></div>'
        "<style>.ga-legend{position:fixed;bottom:18px;left:18px;z-index:1000;background:#fff;"
        "padding:8px 10px;font:12px/1.6 sans-serif;border:1px solid #999;border-radius:4px}"
        ".ga-legend span{display:inline-block;width:12px;height:12px;margin-right:6px;"
        "vertical-align:-2px}</style>"
    )


def _inline_leaflet(html: str) -> str:
    """Swap the placeholder links for the vendored files' contents."""
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    html = re.sub(
        r'<script src="gridatlas-leaflet\.js"></script>', lambda _: f"<script>{js}</script>", html
    )
    return re.sub(
        r'<link rel="stylesheet" href="gridatlas-leaflet\.css"\s*/?>',
        lambda _: f"<style>{css}</style>",
        html,
    )


def report_map_html(*, distance_m: float, mode: str = "straight", max_buildings: int = 3000) -> str:
    """The report map as one self-contained HTML document (no request leaves the file)."""
    cov = building_coverage(distance_m=distance_m, mode=mode)
    shares: dict[int, tuple[int, int]] = {}
    for community in np.unique(cov.community_id):
        mask = cov.community_id == community
        shares[int(community)] = (
            int(cov.households[mask & cov.covered].sum()),
            int(cov.households[mask].sum()),
        )
    centre = [float(np.mean(cov.lat)), float(np.mean(cov.lon))] if len(cov.lat) else [30.59, 114.3]
    fmap = folium.Map(location=centre, zoom_start=12, tiles=None, control_scale=True)
    # Only Leaflet: no jQuery, Bootstrap or icon fonts (their CDN links are what folium adds).
    fmap.default_js = [("leaflet", "gridatlas-leaflet.js")]
    fmap.default_css = [("leaflet_css", "gridatlas-leaflet.css")]
    folium.GeoJson(
        _communities(shares),
        name="社区覆盖",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "street", "households", "uncovered", "covered"],
            aliases=["社区", "街道", "户数", "未覆盖户数", "覆盖率"],
        ),
    ).add_to(fmap)
    uncovered = np.flatnonzero(~cov.covered)
    biggest = uncovered[np.argsort(-cov.households[uncovered], kind="stable")[:max_buildings]]
    for i in biggest:
        folium.CircleMarker(
            [float(cov.lat[i]), float(cov.lon[i])],
            radius=2 + min(6.0, float(cov.households[i]) / 40),
            color="#6a3d9a",
            weight=0,
            fill=True,
            fill_opacity=0.7,
            tooltip=f"{int(cov.households[i])} 户，距最近阵地 {cov.distance_m[i]:,.0f} 米",
        ).add_to(fmap)
    for name, _level, lat, lon in _stations():
        folium.CircleMarker(
            [lat, lon],
            radius=5,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color="#e31a1c",
            fill_opacity=1,
            tooltip=name,
        ).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend(distance_m)))
    if len(cov.lat):
        fmap.fit_bounds(
            [
                [float(cov.lat.min()), float(cov.lon.min())],
                [float(cov.lat.max()), float(cov.lon.max())],
            ]
        )
    return _inline_leaflet(fmap.get_root().render())

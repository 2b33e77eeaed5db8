"""The offline report map: one HTML file (Leaflet) of station coverage that opens on a
government intranet with no internet — Leaflet is inlined from the vendored copy, there is no
base-map tile layer, and nothing else is fetched.

It shows communities coloured by the share of households within walking distance of a station,
the stations, and the largest uncovered buildings.

Names come from the database and anyone with an editor account can type them, so none is ever
written into JavaScript source or an HTML string: the data is one JSON document in a
`<script type="application/json">` (with `<`, `>`, `&`, U+2028/9 escaped, so no name can close
the element), and the page's own script shows names with `textContent` only (a station named
`${alert(1)}驿站` or `</script>` is just text).
"""

import json
from html import escape
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from geo.city_profile import city_profile
from geo.domain import map_home
from layers.analysis import CITY, Area
from layers.analysis.coverage import LEVELS, building_coverage
from layers.models import ServiceStation

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


def _communities(shares: dict[int, tuple[int, int]], area: Area) -> dict:
    # Only the area's communities: one outside it would show grey "no households", a figure
    # that does not follow the filter.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.id, c.code, c.name, s.name,"
            " ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, %(simplify)s), 6)"
            " FROM layers_community c JOIN layers_street s ON s.id = c.street_id"
            " WHERE (%(district_id)s::bigint IS NULL OR s.district_id = %(district_id)s::bigint)"
            "   AND (%(street_id)s::bigint IS NULL OR c.street_id = %(street_id)s::bigint)"
            " ORDER BY c.code",
            {"simplify": SIMPLIFY_DEG, **area.sql_params()},
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


def _stations(levels: tuple[str, ...] | None) -> list[tuple[str, str, float, float]]:
    # Every station of the levels that count, in or out of the area: a building near the
    # area's edge may be covered from outside it, and the map shows what covers it.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, level, ST_Y(geom), ST_X(geom) FROM layers_servicestation"
            " WHERE level = ANY(%s)",
            [list(levels or LEVELS)],
        )
        return cur.fetchall()


def _legend(*, distance_m: float, mode: str, levels: tuple[str, ...] | None, area: Area) -> str:
    rows = "".join(
        f'<div><span style="background:{colour}"></span>≥ {floor:.0%}</div>'
        for floor, colour in CLASSES
    )
    labels = dict(ServiceStation.Level.choices)
    counted = "、".join(str(labels[lvl]) for lvl in (levels or LEVELS))
    walk = "沿道路" if mode == "network" else "直线×绕行系数"
    # The filters the figures hold for, as the dashboard showed them (names are escaped: an
    # area's name is typed by editors).
    where = escape(area.name or city_profile().name)
    return (
        f'<div class="ga-legend"><b>步行 {distance_m:.0f} 米内有党群服务阵地的户数占比</b>'
        f'<div class="ga-filters">范围：{where}；计入：{counted}；距离：{walk}</div>{rows}'
        '<div><span style="background:#6a3d9a;border-radius:50%"></span>未覆盖楼栋（按户数）</div>'
        '<div><span style="background:#e31a1c;border-radius:50%"></span>党群服务阵地</div></div>'
        "<style>.ga-legend{position:fixed;bottom:18px;left:18px;z-index:1000;background:#fff;"
        "padding:8px 10px;font:12px/1.6 sans-serif;border:1px solid #999;border-radius:4px}"
        ".ga-legend span{display:inline-block;width:12px;height:12px;margin-right:6px;"
        "vertical-align:-2px}</style>"
    )


# The page's script: static (no data in it), reads the JSON, builds tooltips as DOM nodes (a
# string tooltip would go through Leaflet's innerHTML).
PAGE_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ga-report-data").textContent);
  var map = L.map("map", { center: data.centre, zoom: 12 });
  window.gridatlasReportMap = map; // for tests and a curious reader's console
  L.control.scale().addTo(map);
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  function table(labels, values) {
    var box = document.createElement("table");
    labels.forEach(function (label, i) {
      var tr = box.insertRow(), th = document.createElement("th");
      th.textContent = label;
      th.style.textAlign = "left";
      th.style.paddingRight = "8px";
      tr.appendChild(th);
      tr.insertCell().textContent = values[i];
    });
    return box;
  }
  L.geoJSON(data.communities, {
    style: function (f) {
      return { fillColor: f.properties.colour, color: "#555555", weight: 1, fillOpacity: 0.6 };
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(function () {
        return table(data.community_labels, data.community_fields.map(function (k) {
          return f.properties[k];
        }));
      }, { sticky: true });
    }
  }).addTo(map);
  data.buildings.forEach(function (b) {
    L.circleMarker([b[0], b[1]], {
      radius: b[2], color: "#6a3d9a", weight: 0, fill: true, fillOpacity: 0.7
    }).bindTooltip(function () { return text(b[3]); }).addTo(map);
  });
  data.stations.forEach(function (s) {
    L.circleMarker([s[0], s[1]], {
      radius: 5, color: "#ffffff", weight: 1.5, fill: true, fillColor: "#e31a1c", fillOpacity: 1
    }).bindTooltip(function () { return text(s[2]); }).addTo(map);
  });
  if (data.bounds) map.fitBounds(data.bounds);
})();
"""
PAGE_CSS = (
    "html,body{width:100%;height:100%;margin:0;padding:0}"
    "#map{position:absolute;top:0;bottom:0;right:0;left:0}"
)
COMMUNITY_TOOLTIP = (  # (property, label)
    ("name", "社区"),
    ("street", "街道"),
    ("households", "户数"),
    ("uncovered", "未覆盖户数"),
    ("covered", "覆盖率"),
)
# What must not appear raw inside a <script> element, as JSON escapes (valid in JSON strings).
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(data) -> str:
    """`data` as JSON that is safe as the text of a <script> element: nothing in it can end the
    element or open a comment, whatever the strings hold."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False).translate(_SCRIPT_ESCAPES)


def _page(data: dict, legend: str) -> str:
    """The whole document: Leaflet inlined, the data as JSON, the static page script."""
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            "<title>党群服务阵地覆盖</title>\n",
            f"<style>{css}</style>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n",
            '<div id="map"></div>\n',
            legend,
            '\n<script type="application/json" id="ga-report-data">',
            script_json(data),
            "</script>\n",
            f"<script>{js}</script>\n<script>{PAGE_JS}</script>\n</body>\n</html>\n",
        ]
    )


def report_map_html(
    *,
    distance_m: float,
    mode: str = "straight",
    levels: tuple[str, ...] | None = None,
    area: Area = CITY,
    max_buildings: int = 3000,
) -> str:
    """The report map as one self-contained HTML document (no request leaves the file): the
    coverage of `area` at `distance_m` metres (`mode`) by the stations of `levels` (all when
    None), the filters stated in its legend."""
    cov = building_coverage(distance_m=distance_m, mode=mode, levels=levels, area=area)
    shares: dict[int, tuple[int, int]] = {}
    for community in np.unique(cov.community_id):
        mask = cov.community_id == community
        shares[int(community)] = (
            int(cov.households[mask & cov.covered].sum()),
            int(cov.households[mask].sum()),
        )
    home = map_home()
    centre = [home.lat, home.lon]  # Leaflet's order; the buildings' mean when there are some
    if len(cov.lat):
        centre = [float(np.mean(cov.lat)), float(np.mean(cov.lon))]
    uncovered = np.flatnonzero(~cov.covered)
    biggest = uncovered[np.argsort(-cov.households[uncovered], kind="stable")[:max_buildings]]
    buildings = [
        [
            float(cov.lat[i]),
            float(cov.lon[i]),
            2 + min(6.0, float(cov.households[i]) / 40),
            f"{int(cov.households[i])} 户，距最近阵地 {cov.distance_m[i]:,.0f} 米",
        ]
        for i in biggest
    ]
    bounds = None
    if len(cov.lat):
        bounds = [
            [float(cov.lat.min()), float(cov.lon.min())],
            [float(cov.lat.max()), float(cov.lon.max())],
        ]
    data = {
        "centre": centre,
        "bounds": bounds,
        "communities": _communities(shares, area),
        "community_fields": [field for field, _label in COMMUNITY_TOOLTIP],
        "community_labels": [label for _field, label in COMMUNITY_TOOLTIP],
        "buildings": buildings,
        "stations": [[lat, lon, name] for name, _level, lat, lon in _stations(levels)],
    }
    legend = _legend(distance_m=distance_m, mode=mode, levels=levels, area=area)
    return _page(data, legend)

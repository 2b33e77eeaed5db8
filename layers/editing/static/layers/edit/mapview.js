/* The editor's map: the community's parcels coloured by their draft grid, grid outlines drawn by
 * thickening the shared edges whose two parcels are in different grids (micro-grid edges dashed),
 * and an overlay for violations, previews and diffs. Only feature states change on an edit. */
import { bboxOf } from "./bbox.js";
import { colourOf, NO_GRID } from "./colours.js";
import { el, S } from "./page.js";

// Buildings, parcel outlines and micro-grid edges from this zoom on: a community of 20,000
// buildings seen whole is colours and grid outlines; the detail is drawn when zoomed in.
const DETAIL_ZOOM = 15;
const VIOLATION = "#b3261e";

export const map = window.gridatlasOfflineMap(
  { container: el, ...window.gridatlasMapHome(el), maxZoom: 19, dragRotate: false },
  el.dataset.styleUrl,
  // The live grid layers would contradict the draft: the editor draws its own. Compounds and
  // buildings come from the vector tiles (simplified, cached), not from the editor's data.
  (layers) => layers.filter((l) => !/^(grids|microgrids|labels)-/.test(l.id)),
);
map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), "top-right");

export function drawData(data) {
  const sources = {
    "ed-parcels": data.parcels, "ed-edges": data.edges,
    "ed-community": { type: "Feature", geometry: data.community.geometry, properties: {} },
    "ed-overlay": { type: "FeatureCollection", features: [] },
  };
  for (const [id, geojson] of Object.entries(sources)) {
    if (map.getSource(id)) map.getSource(id).setData(geojson);
    else map.addSource(id, { type: "geojson", data: geojson, promoteId: undefined });
  }
  if (!map.getLayer("ed-parcel-fill")) addLayers();
  for (const id of S.parcels.keys()) paintParcel(id);
  const b = bboxOf(data.community.geometry);
  S.bounds = b;
  map.fitBounds(b, { padding: 30, duration: 0 });
}

function addLayers() {
  const onTop = ["buildings-fill", "compounds-line"].filter((id) => map.getLayer(id));
  map.addLayer({ id: "ed-parcel-fill", type: "fill", source: "ed-parcels",
    paint: {
      "fill-color": ["coalesce", ["feature-state", "colour"], NO_GRID],
      "fill-opacity": ["case", ["boolean", ["feature-state", "violation"], false], 0.75, 0.45],
    } });
  map.addLayer({ id: "ed-parcel-line", type: "line", source: "ed-parcels", minzoom: DETAIL_ZOOM,
    paint: { "line-color": "#ffffff", "line-width": 0.6, "line-opacity": 0.8 } });
  map.addLayer({ id: "ed-edge-line", type: "line", source: "ed-edges",
    filter: ["==", ["geometry-type"], "LineString"],
    paint: {
      "line-color": "#1f2933",
      "line-width": ["case", ["boolean", ["feature-state", "boundary"], false], 2.6, 0],
    } });
  map.addLayer({ id: "ed-edge-multiline", type: "line", source: "ed-edges",
    filter: ["!=", ["geometry-type"], "LineString"],
    paint: {
      "line-color": "#1f2933",
      "line-width": ["case", ["boolean", ["feature-state", "boundary"], false], 2.6, 0],
    } });
  // Micro-grid edges inside a grid: thin and dashed, under the grid outlines' weight.
  map.addLayer({ id: "ed-edge-micro", type: "line", source: "ed-edges", minzoom: DETAIL_ZOOM,
    paint: {
      "line-color": "#1f2933", "line-dasharray": [3, 2],
      "line-width": ["case", ["boolean", ["feature-state", "micro"], false], 1.2, 0],
    } });
  map.addLayer({ id: "ed-community-line", type: "line", source: "ed-community",
    paint: { "line-color": VIOLATION, "line-width": 3 } });
  map.addLayer({ id: "ed-overlay-fill", type: "fill", source: "ed-overlay",
    // Violations are outlined only: a fill would hide the grid colours under them.
    filter: ["!=", ["get", "outline"], true],
    paint: { "fill-color": ["coalesce", ["get", "colour"], VIOLATION], "fill-opacity": 0.35 } });
  map.addLayer({ id: "ed-overlay-line", type: "line", source: "ed-overlay",
    paint: { "line-color": ["coalesce", ["get", "colour"], VIOLATION], "line-width": 2.5,
      "line-dasharray": [2, 1] } });
  // The tiles' buildings and compound outlines over the parcel colours, under the outlines.
  for (const id of onTop) map.moveLayer(id, "ed-edge-line");
}

// A parcel's colour and violation, and its edges: a grid outline or a micro-grid edge.
export function paintParcel(id) {
  const p = S.parcels.get(id);
  if (!map.getSource("ed-parcels")) return;
  map.setFeatureState({ source: "ed-parcels", id }, {
    colour: colourOf(S.colours, p.grid), violation: p.grid ? S.violatedCodes.has(p.grid) : false,
  });
  for (const e of S.edgesOf.get(id) || []) {
    const [a, b] = S.edges.get(e);
    const pa = S.parcels.get(a), pb = S.parcels.get(b);
    map.setFeatureState({ source: "ed-edges", id: e },
      { boundary: pa.grid !== pb.grid, micro: pa.grid === pb.grid && pa.micro !== pb.micro });
  }
}

// Every parcel of a violated grid stands out; the violations' geometries are outlined.
export function paintViolations() {
  for (const id of S.parcels.keys()) {
    const p = S.parcels.get(id);
    if (map.getSource("ed-parcels")) {
      map.setFeatureState({ source: "ed-parcels", id },
        { violation: p.grid ? S.violatedCodes.has(p.grid) : false });
    }
  }
  setOverlay(S.violations.filter((v) => v.geometry)
    .map((v) => ({ type: "Feature", geometry: v.geometry, properties: { colour: VIOLATION, outline: true } })));
}

export function setOverlay(features) {
  const src = map.getSource("ed-overlay");
  if (src) src.setData({ type: "FeatureCollection", features });
}

// The parcels a planner asks to be marked (the moves a fix would make, before it is applied).
export function markParcels(ids) {
  for (const id of ids) map.setFeatureState({ source: "ed-parcels", id }, { violation: true });
}

export function fitGeometry(geometry) {
  map.fitBounds(bboxOf(geometry), { padding: 80, maxZoom: 18 });
}

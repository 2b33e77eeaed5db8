// A small community as the editor loads it (editor.json and …/layout), for the unit tests:
//
//   1 2 3     grid …001: parcels 1, 4 (no micro-grids)
//   4 5 6     grid …002: parcels 2, 5 (micro-grid …002001) and 3, 6 (micro-grid …002002)
//
// Parcels share an edge with the parcel beside and below them; households 10, 20, … 60.
import { codeFormatFrom } from "../../layers/editing/static/layers/edit/codes.js";
import { createState, indexData } from "../../layers/editing/static/layers/edit/state.js";

// The code formats as layers/editing/page.py gives them to the page (geo/codes.py LEVELS).
codeFormatFrom({ codeSerial: "3", codeStreet: "9" });

export const COMMUNITY = "420102001001";
export const G1 = `${COMMUNITY}001`;
export const G2 = `${COMMUNITY}002`;
export const M1 = `${G2}001`;
export const M2 = `${G2}002`;

const PLACE = { 1: [G1, null], 2: [G2, M1], 3: [G2, M2], 4: [G1, null], 5: [G2, M1], 6: [G2, M2] };
const EDGES = [[1, 2], [2, 3], [4, 5], [5, 6], [1, 4], [2, 5], [3, 6]];

export function editorJson() {
  return {
    community: { code: COMMUNITY, name: "操场社区" },
    parcels: {
      type: "FeatureCollection",
      features: Object.entries(PLACE).map(([id, [grid, micro]]) => ({
        type: "Feature", id: Number(id), geometry: null,
        properties: {
          households: 10 * Number(id), buildings: 1, compound: null,
          x: (Number(id) - 1) % 3, y: Math.floor((Number(id) - 1) / 3), grid, microgrid: micro,
        },
      })),
    },
    edges: {
      type: "FeatureCollection",
      features: EDGES.map(([a, b], i) => ({ type: "Feature", id: 100 + i, geometry: null, properties: { a, b } })),
    },
  };
}

export function layoutJson(revision = 3) {
  return {
    community: { code: COMMUNITY, name: "操场社区" }, revision, editable: true,
    next_grid_code: `${COMMUNITY}005`, // 003 and 004 were retired
    next_microgrid_codes: { [G2]: `${G2}004` },
    grids: [{ code: G2, name: "操场社区第2网格" }, { code: G1, name: "操场社区第1网格" }],
  };
}

// The state after loading the community, as loadCommunity leaves it before the draft.
export function loaded(revision = 3) {
  const S = createState();
  S.code = COMMUNITY;
  S.revision = revision;
  const layout = layoutJson(revision);
  S.nextGridCode = layout.next_grid_code;
  S.nextMicroCodes = { ...layout.next_microgrid_codes };
  indexData(S, editorJson(), layout);
  return S;
}

export const where = (S, id) => [S.parcels.get(id).grid, S.parcels.get(id).micro];
export const totals = (S, code) => [S.grids.get(code).households, S.grids.get(code).buildings];

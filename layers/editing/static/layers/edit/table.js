/* The side panel's live figures: the grid table (households, buildings, band, contiguity per
 * grid, in the frame of the edit), the buttons that follow the draft, and the server's list of
 * rule violations. */
import { load } from "./band.js";
import { colourOf } from "./colours.js";
import { serialOf } from "./codes.js";
import { pieces } from "./contiguity.js";
import { draftMoves } from "./draft.js";
import { escapeHtml, shortName } from "./html.js";
import { paintViolations } from "./mapview.js";
import { $, LIMITS, S, T } from "./page.js";

const LOAD_WORDS = { ok: "inBand", under: "under", over: "over" };

export function refreshAll() {
  for (const code of S.grids.keys()) S.dirtyGrids.add(code);
  refreshTotals();
  renderViolations();
}

function rowHtml(code) {
  const g = S.grids.get(code);
  const loadOf = load(g, LIMITS);
  return `<tr data-code="${code}" class="${S.violatedCodes.has(code) ? "violated" : ""}">
        <td><span class="swatch" style="background:${colourOf(S.colours, code)}"></span><button type="button" class="ed-link ed-pick" title="${escapeHtml(g.name)}">${escapeHtml(shortName(g.name, S.communityName))}</button>
          <small>${serialOf(code)}</small>${g.pieces > 1 ? ` <span class="ed-warn" title="${T.contiguousNo}">⚠ ${g.pieces} ${T.contiguousNo}</span>` : ""}</td>
        <td class="num" data-role="households">${g.households}</td>
        <td class="num" data-role="buildings">${g.buildings}</td>
        <td><span class="load load-${loadOf}">${LOAD_WORDS[loadOf] ? T[LOAD_WORDS[loadOf]] : "–"}</span></td>
        <td class="ed-row-actions">${S.editable ? `<button type="button" class="ed-link ed-merge" title="${T.mergeInto}">⇢</button><button type="button" class="ed-link ed-rebalance" title="${T.rebalance}">⇄</button>` : ""}${S.editable ? `<button type="button" class="ed-link ed-split" title="${T.split}">✂</button>` : ""}</td>
      </tr>`;
}

function unassignedHtml() {
  let n = 0, hh = 0, bl = 0;
  for (const p of S.parcels.values()) if (!p.grid) { n += 1; hh += p.households; bl += p.buildings; }
  return n ? `<tr class="unassigned"><td>${T.unassigned} (${n} ${T.parcels})</td><td class="num">${hh}</td><td class="num">${bl}</td><td></td><td></td></tr>` : "";
}

// Only the rows of the grids an edit touched are rebuilt, so a community of a thousand grids
// costs what a community of ten does; the whole table is redrawn when its rows change.
export function refreshTotals(full = false) {
  const started = performance.now();
  const tbody = $("ed-grids").querySelector("tbody");
  const codes = [...S.grids.keys()].filter((c) => S.grids.get(c).parcels.size || !S.grids.get(c).fresh || c === S.active).sort();
  const shape = `${codes.join(",")}|${[...S.violatedCodes].sort().join(",")}`;
  for (const code of codes) {
    const g = S.grids.get(code);
    if (S.dirtyGrids.has(code) || g.pieces === undefined) g.pieces = pieces(g.parcels, S.neighbours);
  }
  if (full || shape !== S.tableShape) {
    tbody.innerHTML = codes.map(rowHtml).join("") + unassignedHtml();
    S.tableShape = shape;
  } else {
    const tpl = document.createElement("tbody");
    for (const code of S.dirtyGrids) {
      const tr = tbody.querySelector(`tr[data-code="${code}"]`);
      if (!tr || !S.grids.has(code)) continue;
      tpl.innerHTML = rowHtml(code);
      tr.replaceWith(tpl.firstElementChild);
    }
    const old = tbody.querySelector("tr.unassigned");
    tpl.innerHTML = unassignedHtml();
    if (old) old.remove();
    if (tpl.firstElementChild) tbody.appendChild(tpl.firstElementChild);
  }
  S.dirtyGrids.clear();
  for (const tr of tbody.querySelectorAll("tr.active")) if (tr.dataset.code !== S.active) tr.classList.remove("active");
  const activeRow = S.active && tbody.querySelector(`tr[data-code="${S.active}"]`);
  if (activeRow) activeRow.classList.add("active");
  $("ed-active-name").textContent = S.active ? `${(S.grids.get(S.active) || {}).name || S.active}` : "–";
  $("ed-undo").disabled = !S.undo.length;
  $("ed-redo").disabled = !S.redo.length;
  const dirty = draftMoves(S).length > 0;
  $("ed-publish").disabled = !dirty || Boolean(S.scheduled);
  $("ed-discard").disabled = !dirty;
  const outOfBand = codes.some((c) => ["under", "over"].includes(load(S.grids.get(c), LIMITS)));
  if (outOfBand) $("ed-reason-label").hidden = false;
  S.refreshMs = performance.now() - started; // read by bench/editor_frame.py
}

export function renderViolations() {
  const ul = $("ed-violations");
  ul.innerHTML = S.violations.map((v, i) =>
    `<li data-index="${i}" data-rule="${escapeHtml(v.rule)}" data-codes="${escapeHtml((v.codes || []).join(" "))}"><strong>${escapeHtml(T.rules[v.rule] || v.rule)}</strong> ${escapeHtml(v.message || "")}</li>`).join("");
  paintViolations();
}

// The server's violations of the draft (or of a refused publish), shown in the list and the table.
export function showViolations(violations) {
  S.violations = violations;
  S.violatedCodes = new Set(S.violations.flatMap((v) => v.codes || []));
  renderViolations();
  refreshTotals();
}

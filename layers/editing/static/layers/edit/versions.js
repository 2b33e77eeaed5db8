/* The community's revisions (in effect now, scheduled, failed to take effect, cancelled; who and
 * when) and the diff of one against the current revision, on the map. */
import { serialOf } from "./codes.js";
import { escapeHtml } from "./html.js";
import { setOverlay } from "./mapview.js";
import { $, api, S, T } from "./page.js";

const MOVED = "#7b2cbf";

export async function loadVersions() {
  const r = await api("/revisions");
  const ul = $("ed-versions");
  const list = (r.body.revisions || []);
  // The live layout is the newest revision in effect; later ones wait, failed or were cancelled.
  const live = (list.find((v) => v.state === "in_effect") || {}).number;
  ul.innerHTML = list.map((v) => {
    const pending = v.state === "scheduled" || v.state === "failed";
    const badge = v.number === live ? T.stateLive : (T.states[v.state] || "");
    const when = v.number === 0 ? "" : `${escapeHtml(v.effective_date || "")} · `;
    const actions = [];
    if (v.number < S.revision && v.state === "in_effect") {
      actions.push(`<button type="button" class="ed-link" data-act="diff">Δ</button>`);
      if (S.editable && !S.scheduled) actions.push(`<button type="button" class="ed-link" data-act="revert">${T.revert}</button>`);
    }
    if (pending && S.editable) actions.push(`<button type="button" class="ed-link" data-act="cancel">${T.cancelScheduled}</button>`);
    return `<li data-number="${v.number}" data-state="${escapeHtml(v.state || "")}"><strong>${v.number === 0 ? T.baseline : `${T.revision} ${v.number}`}</strong>
      ${badge ? `<span class="ed-state ed-state-${escapeHtml(v.state || "")}">${escapeHtml(badge)}</span>` : ""}
      <small>${when}${escapeHtml(v.author__username || v.author || "")}</small>${actions.join("")}</li>`;
  }).join("");
}

export async function showDiff(from) {
  const r = await api(`/revisions/${from}/diff/${S.revision}`);
  const box = $("ed-diff");
  if (!r.ok) { box.textContent = r.body.error || T.error; return; }
  const rows = (r.body.grids || []).map((g) => `<tr data-code="${escapeHtml(g.code)}"><td>${escapeHtml(serialOf(g.code))}</td><td class="num">${g.households_from ?? "–"} → ${g.households_to ?? "–"}</td><td class="num">${g.buildings_from ?? "–"} → ${g.buildings_to ?? "–"}</td><td class="num">+${Math.round(g.area_m2_gained || 0)} / −${Math.round(g.area_m2_lost || 0)}</td></tr>`).join("");
  box.innerHTML = `<p>${T.diff} (${from} → ${S.revision})</p><table class="ed-grids"><tbody>${rows}</tbody></table>`;
  setOverlay(((r.body.moved || {}).features || []).map((f) => ({ ...f, properties: { ...f.properties, colour: MOVED } })));
}

/* Opening a community: its layout, its parcels and edges, and the draft (this browser's or the
 * server's), drawn and checked; and the street → community choosers. */
import { restoreDraft, draftMoves } from "./draft.js";
import { showFreehand } from "./freehand.js";
import { drawData } from "./mapview.js";
import { $, api, el, S, status, T } from "./page.js";
import { showScheduled } from "./schedule.js";
import { indexData } from "./state.js";
import { persist, savedDraft, scheduleSave } from "./sync.js";
import { refreshAll } from "./table.js";
import { loadVersions } from "./versions.js";

export async function loadCommunity(code) {
  S.code = code;
  status(T.loading);
  const [layout, data, serverDraft] = await Promise.all([
    api("/layout"), api("/editor.json"), api("/draft"),
  ]);
  if (!layout.ok || !data.ok) {
    status((layout.body.error || data.body.error || T.error), "error");
    return;
  }
  // A freehand layout has no parcels to move: nothing is editable but the action that builds
  // them (freehand.js), offered to whoever may write the layout.
  const freehand = Boolean(layout.body.freehand);
  S.editable = Boolean(layout.body.editable) && !freehand;
  S.revision = layout.body.revision;
  S.scheduled = layout.body.scheduled || null;
  S.nextGridCode = layout.body.next_grid_code || null;
  S.nextMicroCodes = layout.body.next_microgrid_codes || {};
  S.communityName = data.body.community.name;
  $("ed-check-status").textContent = "";
  $("ed-proposals").innerHTML = "";
  $("ed-diff").innerHTML = "";
  indexData(S, data.body, layout.body);
  restoreDraft(S, savedDraft(), serverDraft.ok ? serverDraft.body : null);
  drawData(data.body);
  showFreehand({
    freehand, editable: Boolean(layout.body.editable), reload: () => loadCommunity(code),
  });
  $("ed-tools").hidden = !S.editable;
  $("ed-publish-block").hidden = !S.editable;
  showScheduled();
  $("ed-propose-block").hidden = !S.editable;
  $("ed-versions-block").hidden = false;
  if (freehand) status(T.freehandShort, "warn");
  else status(S.editable ? `${data.body.community.name} · ${T.revision} ${S.revision}` : T.readOnly,
    S.editable ? "" : "warn");
  if (S.rebasedFrom !== null) {
    status(T.rebased.replace("{from}", S.rebasedFrom).replace("{to}", S.revision), "warn");
    persist();
  }
  const url = new URL(location.href);
  url.searchParams.set("community", code);
  history.replaceState(null, "", url);
  refreshAll();
  loadVersions();
  if (draftMoves(S).length) scheduleSave();
  else $("ed-check-status").textContent = T.noChanges;
}

export async function loadCommunities(street) {
  const sel = $("ed-community");
  sel.innerHTML = `<option value="">${T.choose}</option>`;
  sel.disabled = !street;
  if (!street) return;
  const r = await fetch(`${el.dataset.divisionsUrl}?street=${encodeURIComponent(street)}`);
  const body = await r.json();
  for (const d of body.divisions || []) {
    const o = document.createElement("option");
    o.value = d.code; o.textContent = d.name;
    sel.appendChild(o);
  }
}

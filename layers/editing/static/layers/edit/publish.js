/* Publishing the draft (POST …/publish, only when the rules pass or a reason is given for grids
 * out of band; a date after today schedules it), discarding it, cancelling a scheduled publish
 * and reverting to an older revision: each ends by reloading the community. */
import { discardChanges, draftMoves } from "./draft.js";
import { loadCommunity } from "./community.js";
import { $, api, S, status, T } from "./page.js";
import { commitAction, forgetDraft, saveDraft } from "./sync.js";
import { showViolations } from "./table.js";

export async function publish() {
  clearTimeout(S.saveTimer);
  await saveDraft();
  const body = { effective_date: $("ed-effective").value || undefined };
  const reason = $("ed-reason").value.trim();
  if (reason) body.band_reason = reason;
  const r = await api("/publish", { method: "POST", body });
  const out = $("ed-publish-status");
  if (r.status === 201) {
    forgetDraft();
    const done = r.body.state === "scheduled"
      ? T.scheduledAs.replace("{n}", r.body.revision).replace("{date}", r.body.effective_date)
      : `${T.published} ${r.body.revision}`;
    out.textContent = done;
    out.dataset.kind = "ok";
    await loadCommunity(S.code);
    $("ed-publish-status").textContent = done;
    return;
  }
  out.dataset.kind = "error";
  if (r.status === 409 && r.body.scheduled_revision) out.textContent = `${T.publishFailed}: ${r.body.error}`;
  else if (r.status === 409) out.textContent = T.stale;
  else if (r.status === 422) {
    showViolations(r.body.violations || []);
    out.textContent = `${T.publishFailed}: ${r.body.error || ""}`;
    if (S.violations.some((v) => v.rule === "load_band")) {
      $("ed-reason-label").hidden = false;
    }
  } else out.textContent = `${T.publishFailed}: ${r.body.error || r.status}`;
}

// Back to the published layout, as one step that can be undone.
export function discard() {
  if (!draftMoves(S).length) return;
  commitAction("discard", discardChanges(S));
}

export async function cancelScheduled(number) {
  if (!confirm(T.cancelScheduledConfirm.replace("{n}", number))) return;
  const r = await api(`/revisions/${number}/cancel`, { method: "POST", body: {} });
  if (r.ok) {
    await loadCommunity(S.code);
    status(T.scheduledCancelled.replace("{n}", number), "ok");
  } else status(r.body.error || T.error, "error");
}

export async function revert(number) {
  if (!confirm(`${T.revertConfirm} ${number}?`)) return;
  const r = await api(`/revisions/${number}/revert`, {
    method: "POST",
    body: { base_revision: S.revision, effective_date: $("ed-effective").value || undefined, reason: `revert to ${number}` },
  });
  if (r.status === 201) {
    forgetDraft();
    await loadCommunity(S.code);
    status(`${T.reverted} ${r.body.revision}`, "ok");
  } else status(r.body.error || T.error, "error");
}

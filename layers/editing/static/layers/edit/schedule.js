/* A publish waiting for its date: nothing else can be published until it takes effect or is
 * cancelled (the server refuses with 409), so the page says so and offers the cancel
 * (#ed-cancel-scheduled, wired in main.js). */
import { escapeHtml } from "./html.js";
import { $, S, T, TODAY } from "./page.js";
import { refreshTotals } from "./table.js";

export function showScheduled() {
  const box = $("ed-scheduled");
  const v = S.scheduled;
  box.hidden = !v;
  if (!v) { box.innerHTML = ""; refreshTotals(); return; }
  const text = (v.state === "failed" ? T.scheduledFailed : T.scheduledWaits)
    .replace("{n}", v.revision).replace("{date}", v.effective_date);
  box.innerHTML = `<span>${escapeHtml(text)}</span>${v.apply_error ? `<small>${escapeHtml(v.apply_error)}</small>` : ""}
      ${S.editable ? `<button type="button" class="ed-link" id="ed-cancel-scheduled">${escapeHtml(T.cancelScheduled)}</button>` : ""}`;
  refreshTotals();
}

// A date after today schedules the publish: said before the planner presses it.
export function effectiveHint() {
  const chosen = $("ed-effective").value;
  $("ed-effective-hint").textContent = chosen && chosen > TODAY ? T.willSchedule : "";
}

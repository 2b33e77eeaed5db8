/* A freehand community (its grids imported as polygons, not yet cut into parcels): the editor
 * moves parcels and has none, so it says why it cannot edit and offers the one action, building
 * the parcels (POST parcelise, layers/editing/parcelise_api.py), then opens the community again. */
import { $, api, status, T } from "./page.js";

export function showFreehand({ freehand, editable, reload }) {
  const block = $("ed-freehand-block");
  block.hidden = !freehand;
  if (!freehand) return;
  $("ed-freehand-text").textContent = editable ? T.freehand : `${T.freehand} ${T.freehandAsk}`;
  const button = $("ed-parcelise");
  const note = $("ed-parcelise-status");
  button.hidden = !editable;
  button.disabled = false;
  note.textContent = "";
  button.onclick = async () => {
    button.disabled = true;
    note.textContent = T.parcelising;
    const r = await api("/parcelise", { method: "POST" });
    if (!r.ok) {
      note.textContent = r.body.error || T.error;
      button.disabled = false;
      return;
    }
    const left = (r.body.problems || []).length;
    await reload();
    const said = T.parcelised.replace("{n}", r.body.parcels_after).replace("{p}", left);
    status(said, left ? "warn" : "");
  };
}

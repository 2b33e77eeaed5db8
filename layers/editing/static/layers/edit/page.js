/* The page the editor runs in: the map element's data (the API, the CSRF token, the city's date,
 * the user, the household band, the code formats), the words in the page's language (edit-strings, from
 * layers/editing/page.py), the one state object and the status line. */
import { apiFor } from "./api.js";
import { bandLimits } from "./band.js";
import { codeFormatFrom } from "./codes.js";
import { createState } from "./state.js";

export const $ = (id) => document.getElementById(id);
export const T = JSON.parse($("edit-strings").textContent);
export const el = $("edit-map");
export const TODAY = el.dataset.today; // the city's date, from the server (not the browser's UTC)
export const USER = el.dataset.user;
export const LIMITS = bandLimits(el.dataset);
codeFormatFrom(el.dataset);
export const S = createState();
export const api = apiFor({ base: el.dataset.api, csrf: el.dataset.csrf, code: () => S.code });

export function status(text, kind) {
  const p = $("ed-status");
  p.textContent = text || "";
  p.dataset.kind = kind || "";
}

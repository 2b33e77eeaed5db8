/* Grid and micro-grid codes as the editor makes them for a draft. A code is its parent's code and
 * a serial (geo/codes.py); codes are never reused, so a new one starts from the server's `next_…`
 * (which counts retired codes too) and only steps past the codes this page already holds. */

// geo/codes.py LEVELS: a grid is its community's code + 3 digits, a micro-grid its grid's + 3,
// a street code has 9 digits. Restated until the page data carries the code formats.
const SERIAL_DIGITS = 3;
const STREET_DIGITS = 9;

export const isGridCode = (code, communityCode) => code.length === communityCode.length + SERIAL_DIGITS;

export const streetOf = (communityCode) => communityCode.slice(0, STREET_DIGITS);

export const serialOf = (code) => code.slice(-SERIAL_DIGITS);

export const firstCode = (parent) => parent + "1".padStart(SERIAL_DIGITS, "0");

export function codeAfter(code) {
  const serial = String(Number(serialOf(code)) + 1).padStart(SERIAL_DIGITS, "0");
  return code.slice(0, -SERIAL_DIGITS) + serial;
}

// The community's next grid code: the server's never-used one, past those `used` on this page.
export function nextGridCode(communityCode, serverNext, used) {
  let code = serverNext || firstCode(communityCode);
  while (used.has(code)) code = codeAfter(code);
  return code;
}

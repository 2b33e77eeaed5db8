/* Grid and micro-grid codes as the editor makes them for a draft. A code is its parent's code and
 * a serial (geo/codes.py); codes are never reused, so a new one starts from the server's `next_…`
 * (which counts retired codes too) and only steps past the codes this page already holds. */

// geo/codes.py LEVELS, from the page's data (data-code-serial: the digits a grid adds to its
// community's code and a micro-grid to its grid's; data-code-street: a street code's digits).
let SERIAL_DIGITS = null;
let STREET_DIGITS = null;

// Set once from the map element's data attributes; a page without them is a template bug.
export function codeFormatFrom(dataset) {
  const digits = (v) => (/^[1-9][0-9]?$/.test(v || "") ? Number(v) : null);
  const serial = digits(dataset.codeSerial);
  const street = digits(dataset.codeStreet);
  if (serial === null || street === null) {
    throw new Error(`the editor needs data-code-serial and data-code-street, got ${dataset.codeSerial} and ${dataset.codeStreet}`);
  }
  SERIAL_DIGITS = serial;
  STREET_DIGITS = street;
  return { serial, street };
}

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

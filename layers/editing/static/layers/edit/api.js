/* The editing API (/api/edit/communities/<code>/…) as the editor calls it: JSON both ways, the
 * CSRF token on every write, and an answer that is always {status, ok, body} (body {} when the
 * server sent no JSON), so callers read `r.body.error` without guarding. */

export function requestInit(options, csrf) {
  const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRFToken"] = csrf;
    init.body = JSON.stringify(options.body);
  } else if (options.method && options.method !== "GET") {
    init.headers["X-CSRFToken"] = csrf;
  }
  return init;
}

// `base` + the current community's code (`code()`) + the path.
export function apiFor({ base, csrf, code }) {
  return async function api(path, options = {}) {
    const response = await fetch(base + code() + path, requestInit(options, csrf));
    let body = null;
    try { body = await response.json(); } catch (_e) { body = null; }
    return { status: response.status, ok: response.ok, body: body || {} };
  };
}

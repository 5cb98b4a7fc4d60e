// Calls to the sealwatch API with the session's bearer token (if any).
// The token comes from the URL fragment (#token=..., never sent to a server)
// or the token field, and is kept in sessionStorage for this tab only.

const KEY = 'sealwatch.token';

export function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

export function authHeaders() {
  const t = sessionStorage.getItem(KEY);
  return t ? { authorization: `Bearer ${t}` } : {};
}

// The centre an admin looks through (?centre=); null: every centre, or the token's own.
let centre = null;

export function setCentre(name) {
  centre = name || null;
}

/** A path with the chosen centre added to its query. */
export function withCentre(path) {
  if (!centre) return path;
  return `${path}${path.includes('?') ? '&' : '?'}centre=${encodeURIComponent(centre)}`;
}

export async function api(path, init = {}) {
  const res = await fetch(withCentre(path), { ...init, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...authHeaders(), ...(init.headers || {}) } });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const err = new Error(body?.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

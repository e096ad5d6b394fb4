// The API client: the key lives in sessionStorage (this tab only, gone
// when it closes) and travels only in the Authorization header, or, for
// the websocket, which a browser cannot give headers, in the
// Sec-WebSocket-Protocol header (docs/security.md).

const KEY = 'chainhound.key';

export function key() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(k) { sessionStorage.setItem(KEY, k); }
export function forget() { sessionStorage.removeItem(KEY); }

export class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ('HTTP ' + status));
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
  }
}

// call sends method path with body as JSON and returns the decoded answer.
export async function call(method, path, body, k) {
  const headers = { Authorization: 'Bearer ' + (k || key()) };
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!resp.ok) throw new APIError(resp.status, data);
  return data;
}

// The subprotocols the websocket offers: the one the server answers with,
// and the key, which it never echoes.
export const WS_PROTOCOL = 'chainhound.v1';
export function wsProtocols() { return [WS_PROTOCOL, 'chainhound.bearer.' + key()]; }

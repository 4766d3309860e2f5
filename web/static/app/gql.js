// The dashboard's only door to kassa: POST /graphql with the session
// cookie (JSON, which the server's CSRF rule requires of cookie requests),
// and the graphql-transport-ws websocket for live updates.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function gql(query, variables = {}, { headers = {} } = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError(t('err.network'), 'NETWORK');
  }
  if (res.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    throw new ApiError(t('err.session'), 'UNAUTHENTICATED');
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!body || (!body.data && !body.errors)) {
    throw new ApiError(body?.error?.message || t('err.server'), body?.error?.code || 'HTTP_' + res.status);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    const code = e.extensions?.code || 'ERROR';
    const known = { FORBIDDEN: 'err.FORBIDDEN', NOT_FOUND: 'err.NOT_FOUND', INTERNAL: 'err.server' }[code];
    throw new ApiError(known ? t(known) : e.message, code);
  }
  return body.data;
}

// mutate runs a mutation whose single top-level field returns a payload
// with userErrors, and returns that payload. An idempotency key makes a
// repeated click or a retried request do the thing once.
export async function mutate(query, variables, { idempotencyKey } = {}) {
  const headers = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
  const data = await gql(query, variables, { headers });
  return Object.values(data)[0];
}

export function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'dash-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

let client = null;
const liveListeners = new Set();
let liveUp = true;

function setLive(up) {
  if (up === liveUp) return;
  liveUp = up;
  liveListeners.forEach((f) => f(up));
}

export function onLiveState(f) {
  liveListeners.add(f);
  f(liveUp);
  return () => liveListeners.delete(f);
}

// subscribe starts a GraphQL subscription; onData gets each event's data.
// It returns the function that ends it.
export function subscribe(query, variables, onData) {
  const ws = window.graphqlWs;
  if (!ws) return () => {};
  if (!client) {
    client = ws.createClient({
      url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql',
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: async (n) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** n, 15000))),
      on: { connected: () => setLive(true), closed: () => setLive(false) },
    });
  }
  return client.subscribe({ query, variables }, {
    next: (r) => { if (r.data) onData(r.data); },
    // One refused subscription says nothing of the connection: only its
    // closing (on) turns the live badge off.
    error: () => {},
    complete: () => {},
  });
}

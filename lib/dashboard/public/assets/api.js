// The dashboard's only way to the server: JSON over fetch, same origin, errors as thrown Errors.
import { accessToken, forgetToken } from './auth.js';

const meta = document.querySelector('meta[name="nsgwatch-api"]');
const base = new URL(meta?.getAttribute('content') || 'api/', document.baseURI);
if (!base.pathname.endsWith('/')) base.pathname += '/';

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {string} path relative to the API base, e.g. `findings?status=open`
 * @param {{ method?: string, body?: unknown }} [options]
 */
export async function api(path, options = {}) {
  const headers = { accept: 'application/json' };
  // Deployed, every call carries the signed-in user's Entra ID access token; locally there is none.
  const token = await accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method: options.method ?? 'GET', headers, credentials: 'same-origin' };
  // Every write is JSON, body or not: local mode refuses writes of any other type.
  if (init.method !== 'GET') headers['content-type'] = 'application/json';
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await fetch(new URL(path, base), init);
  const text = await response.text();
  let data;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalidResponse', `the server answered ${response.status} with something that is not JSON`);
  }
  if (response.status === 401) forgetToken();
  if (!response.ok) {
    const error = data && typeof data === 'object' ? data.error : undefined;
    throw new ApiError(response.status, error?.code ?? 'httpError', error?.message ?? `the server answered ${response.status}`);
  }
  return data;
}

/** Every finding of one status (all statuses when empty), following continuation tokens up to `max`. */
export async function allFindings(status, max = 5000) {
  const items = [];
  let token;
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (status) query.set('status', status);
    if (token) query.set('continuationToken', token);
    const page = await api(`findings?${query}`);
    items.push(...page.items);
    token = page.continuationToken;
  } while (token && items.length < max);
  return { items, truncated: Boolean(token) };
}

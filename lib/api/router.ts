/**
 * One entry point for every HTTP request nsgwatch answers: the JSON API under /api and the
 * dashboard. Unknown paths get 404, known paths with the wrong method 405 (with Allow), and a
 * failure inside a handler a JSON error, never a crash.
 */
import { getFinding, listFindings } from './findings.js';
import { addSuppression, listSuppressions, removeSuppression } from './suppressions.js';
import { checkFlows } from './flow.js';
import { listRules, startScan } from './catalogue.js';
import { getSummary } from './summary.js';
import { errorResponse, notFound, unavailable, type ApiRequest, type ApiResponse } from './http.js';
import type { ApiDeps } from './types.js';

type Handler = (deps: ApiDeps, request: ApiRequest, params: readonly string[]) => Promise<ApiResponse> | ApiResponse;
type Method = 'GET' | 'POST' | 'DELETE';

interface Route {
  /** Literal segments, with `*` for one path parameter. */
  pattern: readonly string[];
  methods: Partial<Record<Method, Handler>>;
}

const API_ROUTES: readonly Route[] = [
  { pattern: ['api', 'findings'], methods: { GET: (d, r) => listFindings(d, r) } },
  { pattern: ['api', 'findings', '*'], methods: { GET: (d, r, [id]) => getFinding(d, r, id ?? '') } },
  { pattern: ['api', 'suppressions'], methods: { GET: (d, r) => listSuppressions(d, r), POST: (d, r) => addSuppression(d, r) } },
  { pattern: ['api', 'suppressions', '*'], methods: { DELETE: (d, r, [id]) => removeSuppression(d, r, id ?? '') } },
  { pattern: ['api', 'flow'], methods: { POST: (d, r) => checkFlows(d, r) } },
  { pattern: ['api', 'scan'], methods: { POST: (d, r) => startScan(d, r) } },
  { pattern: ['api', 'rules'], methods: { GET: (d, r) => listRules(d, r) } },
  { pattern: ['api', 'summary'], methods: { GET: (d, r) => getSummary(d, r) } },
];

/**
 * The dashboard's policy: scripts and styles from this origin only (no inline script, no eval),
 * data from this origin only, no framing, no plugins, no form posts.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface ApiOptions {
  /** Where the dashboard lives, with a trailing slash: `/` locally, `/api/dashboard/` in Azure. */
  dashboardBase?: string;
}

export interface Api {
  handle(request: ApiRequest): Promise<ApiResponse>;
}

export function createApi(deps: ApiDeps, options: ApiOptions = {}): Api {
  const base = normaliseBase(options.dashboardBase ?? '/');
  const log = deps.log ?? (() => undefined);

  async function handle(request: ApiRequest): Promise<ApiResponse> {
    const segments = splitPath(request.path);
    if (segments === undefined) return errorResponse({ status: 400, code: 'invalidField', message: 'the URL path is not valid percent-encoding', field: 'path' }, { 'content-security-policy': API_CSP });
    try {
      const dashboard = deps.dashboard !== undefined ? await serveDashboard(deps, request, base) : undefined;
      if (dashboard !== undefined) return dashboard;
      return withHeaders(await route(deps, request, segments), { 'content-security-policy': API_CSP });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isStorageOutage(error)) {
        log('error', `${request.method} ${request.path}: the findings store is unavailable: ${message}`);
        return errorResponse(unavailable('the findings store is unavailable; try again shortly'), { 'retry-after': '5', 'content-security-policy': API_CSP });
      }
      log('error', `${request.method} ${request.path} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
      return errorResponse({ status: 500, code: 'internal', message: 'internal error; the server log has the details' }, { 'content-security-policy': API_CSP });
    }
  }

  return { handle };
}

async function route(deps: ApiDeps, request: ApiRequest, segments: readonly string[]): Promise<ApiResponse> {
  for (const candidate of API_ROUTES) {
    const params = match(candidate.pattern, segments);
    if (params === undefined) continue;
    const method = request.method.toUpperCase();
    const handler = isMethod(method) ? candidate.methods[method] : undefined;
    if (handler === undefined) {
      const allow = Object.keys(candidate.methods).join(', ');
      return errorResponse(
        { status: 405, code: 'methodNotAllowed', message: `${method} is not allowed on ${request.path}; use ${allow}` },
        { allow },
      );
    }
    return handler(deps, request, params);
  }
  return errorResponse(notFound(`no such endpoint: ${request.method.toUpperCase()} ${request.path}`));
}

/** The dashboard's page and files, or undefined when the path is not the dashboard's. */
async function serveDashboard(deps: ApiDeps, request: ApiRequest, base: string): Promise<ApiResponse | undefined> {
  const assets = deps.dashboard;
  if (assets === undefined) return undefined;
  const path = request.path;
  // `/api/dashboard` without its slash: relative asset URLs need the slash, so redirect.
  if (base !== '/' && path === base.slice(0, -1)) {
    const query = request.query.toString();
    return { status: 308, headers: { location: `${base}${query === '' ? '' : `?${query}`}`, 'cache-control': 'no-store' }, body: '' };
  }
  if (!path.startsWith(base)) return undefined;
  const rest = path.slice(base.length);
  const isPage = rest === '' || rest === 'index.html';
  const isAsset = /^(assets|vendor)\/[A-Za-z0-9._-]+$/.test(rest);
  if (!isPage && !isAsset) return undefined;
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    return errorResponse({ status: 405, code: 'methodNotAllowed', message: `${method} is not allowed on ${path}; use GET` }, { allow: 'GET, HEAD' });
  }
  const file = await assets.read(isPage ? '' : rest);
  if (file === undefined) return errorResponse(notFound(`no such file: ${path}`), { 'content-security-policy': API_CSP });
  return {
    status: 200,
    headers: {
      'content-type': file.contentType,
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      // The page is tiny and its data comes from the API; stale assets after an upgrade would confuse.
      'cache-control': 'no-cache',
    },
    body: method === 'HEAD' ? '' : file.body,
  };
}

function withHeaders(response: ApiResponse, headers: Record<string, string>): ApiResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

function match(pattern: readonly string[], segments: readonly string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part === '*') {
      if (segment === '') return undefined;
      params.push(segment);
    } else if (part !== segment.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

/** Decoded, non-empty path segments (a trailing slash is ignored); undefined for bad encoding. */
function splitPath(path: string): string[] | undefined {
  try {
    return path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function isMethod(value: string): value is Method {
  return value === 'GET' || value === 'POST' || value === 'DELETE';
}

function normaliseBase(base: string): string {
  const withLead = base.startsWith('/') ? base : `/${base}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}

/** Table Storage down, unreachable or throttling: the caller may retry, nothing is wrong with the request. */
function isStorageOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const record = error as Record<string, unknown>;
  const status = record['statusCode'];
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  const code = record['code'];
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code);
}

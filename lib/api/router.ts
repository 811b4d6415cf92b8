/**
 * One entry point for every HTTP request nsgwatch answers: the JSON API under /api and, in local
 * mode, the dashboard. Unknown paths get 404, known paths with the wrong method 405 (with Allow),
 * every endpoint needs a role the caller's access check grants (401 without a valid sign-in, 403
 * without the role), and a failure inside a handler a JSON error, never a crash.
 */
import { getFinding, listFindings } from './findings.js';
import { addSuppression, listSuppressions, removeSuppression } from './suppressions.js';
import { checkFlows } from './flow.js';
import { listRules, startScan } from './catalogue.js';
import { getSummary } from './summary.js';
import { errorResponse, notFound, unavailable, type ApiRequest, type ApiResponse } from './http.js';
import type { Principal, Role } from './access.js';
import type { ApiDeps, DashboardAssets } from './types.js';
import { errorMessage } from '../nsg/index.js';

type Handler = (deps: ApiDeps, request: ApiRequest, params: readonly string[], principal: Principal) => Promise<ApiResponse> | ApiResponse;
type Method = 'GET' | 'POST' | 'DELETE';

interface Endpoint {
  /** The role the caller needs (DESIGN §12: acting is suppressing and starting a sweep). */
  needs: Role;
  handle: Handler;
}

interface Route {
  /** Literal segments, with `*` for one path parameter. */
  pattern: readonly string[];
  methods: Partial<Record<Method, Endpoint>>;
}

const read = (handle: Handler): Endpoint => ({ needs: 'read', handle });
const act = (handle: Handler): Endpoint => ({ needs: 'act', handle });

const API_ROUTES: readonly Route[] = [
  { pattern: ['api', 'findings'], methods: { GET: read((d, r) => listFindings(d, r)) } },
  { pattern: ['api', 'findings', '*'], methods: { GET: read((d, r, [id]) => getFinding(d, r, id ?? '')) } },
  { pattern: ['api', 'suppressions'], methods: { GET: read((d, r) => listSuppressions(d, r)), POST: act((d, r, _p, who) => addSuppression(d, r, who)) } },
  { pattern: ['api', 'suppressions', '*'], methods: { DELETE: act((d, r, [id], who) => removeSuppression(d, r, id ?? '', who)) } },
  // A flow question reads the estate and changes nothing.
  { pattern: ['api', 'flow'], methods: { POST: read((d, r) => checkFlows(d, r)) } },
  { pattern: ['api', 'scan'], methods: { POST: act((d, r, _p, who) => startScan(d, r, who)) } },
  { pattern: ['api', 'rules'], methods: { GET: read((d, r) => listRules(d, r)) } },
  { pattern: ['api', 'summary'], methods: { GET: read((d, r) => getSummary(d, r)) } },
];

/** Every API path and method with the role it needs, for documentation and the route tests. */
export function apiEndpoints(): { path: string; method: Method; needs: Role }[] {
  return API_ROUTES.flatMap((route) =>
    (Object.entries(route.methods) as [Method, Endpoint][]).map(([method, endpoint]) => ({
      path: `/${route.pattern.map((p) => (p === '*' ? '{id}' : p)).join('/')}`,
      method,
      needs: endpoint.needs,
    })),
  );
}

/**
 * The dashboard's policy: scripts and styles from this origin only (no inline script, no eval),
 * data from this origin only, no framing, no plugins, no form posts.
 */
export const DASHBOARD_CSP = dashboardCsp([]);

/** The dashboard's policy, letting the page also reach the sign-in issuer (discovery, token). */
export function dashboardCsp(connectSources: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...connectSources].join(' '),
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface ApiOptions {
  /** Where the dashboard lives when this API also serves it, with a trailing slash (`/` locally). */
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
      const dashboard = deps.dashboard !== undefined ? await serveDashboard(deps.dashboard, request, base) : undefined;
      if (dashboard !== undefined) return dashboard;
      return withHeaders(await route(deps, request, segments), { 'content-security-policy': API_CSP });
    } catch (error) {
      const message = errorMessage(error);
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
    const endpoint = isMethod(method) ? candidate.methods[method] : undefined;
    if (endpoint === undefined) {
      const allow = Object.keys(candidate.methods).join(', ');
      return errorResponse(
        { status: 405, code: 'methodNotAllowed', message: `${method} is not allowed on ${request.path}; use ${allow}` },
        { allow },
      );
    }
    const access = await deps.access.authorize(request, endpoint.needs);
    if (!access.ok) return errorResponse(access.error, access.headers ?? {});
    return endpoint.handle(deps, request, params, access.principal);
  }
  return errorResponse(notFound(`no such endpoint: ${request.method.toUpperCase()} ${request.path}`));
}

/** The dashboard's page and files, or undefined when the path is not the dashboard's. */
async function serveDashboard(assets: DashboardAssets, request: ApiRequest, base: string): Promise<ApiResponse | undefined> {
  const path = request.path;
  // `/dashboard` without its slash: relative asset URLs need the slash, so redirect.
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
      'content-security-policy': dashboardCsp(assets.connectSources ?? []),
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

export interface DashboardSite {
  handle(request: ApiRequest): Promise<ApiResponse>;
}

/**
 * The dashboard on its own (the Functions app's anonymous `dashboard` function): the page and its
 * static files under `base`, a 404 for everything else. It never reaches the data routes, so
 * serving it without a sign-in gives nothing away; the page signs in and calls the API itself.
 */
export function createDashboardSite(assets: DashboardAssets, options: { base: string }): DashboardSite {
  const base = normaliseBase(options.base);
  return {
    async handle(request) {
      try {
        const served = await serveDashboard(assets, request, base);
        return served ?? errorResponse(notFound(`no such dashboard file: ${request.path}`), { 'content-security-policy': API_CSP });
      } catch {
        return errorResponse({ status: 500, code: 'internal', message: 'internal error reading a dashboard file' }, { 'content-security-policy': API_CSP });
      }
    },
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

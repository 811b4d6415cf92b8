/**
 * The HTTP API and the dashboard as Azure Functions http triggers, on routes that cannot overlap
 * (host.json sets no route prefix): `api/{*path}` and `dashboard/{*asset}`. The host takes the
 * first matching route in function-name order (azure-functions-host#9876), so no URL may match
 * two of them; test/functions/routes.test.ts replays that matching for every documented URL.
 *
 * Both are anonymous at the host: the API checks an Entra ID access token on every request
 * (lib/api/entra.ts) and the dashboard serves static files only. No function key, no secret in
 * a URL. lib/api's router answers every path under /api/ (404, 405 and validation included), so
 * the Functions app and `nsgwatch dev` serve exactly the same handlers.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { FUNCTIONS, SETTINGS } from '../lib/config/names.js';
import {
  API_SCOPE,
  MAX_BODY_BYTES,
  bodyTooLarge,
  createApi,
  createDashboardSite,
  createEntraAccess,
  errorResponse,
  type Api,
  type ApiRequest,
  type ApiResponse,
  type DashboardSite,
} from '../lib/api/index.js';
import { createEstateFlowChecker } from '../lib/api/flow-check.js';
import { createQueueScanStarter } from '../lib/api/scan.js';
import { createDashboardAssets } from '../lib/dashboard/assets.js';
import { azureRuntime } from '../lib/runtime/azure.js';
import { ruleInfos } from '../lib/runtime/catalogue.js';
import { errorMessage } from '../lib/nsg/index.js';

/** Where the dashboard lives in Azure (NSGWATCH_DASHBOARD_URL points here; the sign-in redirect URI). */
export const DASHBOARD_BASE = '/dashboard/';
/** Where the JSON API lives in Azure and locally alike. */
export const API_BASE = '/api/';
const HTTP_METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] as const;

interface SignInSettings {
  issuer: string;
  clientId: string;
}

/** The sign-in settings, or why they are missing: without them the API refuses to start. */
export function signInSettings(env: Readonly<Record<string, string | undefined>>): SignInSettings | string {
  const issuer = env[SETTINGS.authIssuer]?.trim() ?? '';
  const clientId = env[SETTINGS.authClientId]?.trim() ?? '';
  if (issuer === '' || clientId === '') return `${SETTINGS.authIssuer} and ${SETTINGS.authClientId} must be set (infra/README.md, sign-in)`;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `${SETTINGS.authIssuer} is not a URL: ${issuer}`;
  }
  // Loopback http is for the tests' issuer only; a real issuer is https.
  if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1') return `${SETTINGS.authIssuer} must be an https URL: ${issuer}`;
  return { issuer: issuer.replace(/\/+$/, ''), clientId };
}

let api: Api | undefined;
let dashboard: DashboardSite | undefined;

/** One API per process on the Functions runtime (same store, queue and ARM source as the pipeline). */
function apiFor(context: InvocationContext): Api {
  if (api) return api;
  const signIn = signInSettings(process.env);
  if (typeof signIn === 'string') throw new Error(signIn);
  const rt = azureRuntime(context);
  api = createApi({
    access: createEntraAccess(signIn),
    store: rt.store,
    rules: ruleInfos,
    flow: createEstateFlowChecker(rt.source),
    scan: createQueueScanStarter({ coalescer: rt.coalescer, subscriptions: () => rt.source.subscriptions() }),
    // Outside one invocation: the worker forwards the console to the host's log.
    log: (level, message) => (level === 'error' ? console.error(message) : level === 'warn' ? console.warn(message) : console.info(message)),
  });
  return api;
}

function dashboardFor(): DashboardSite {
  if (dashboard) return dashboard;
  const signIn = signInSettings(process.env);
  if (typeof signIn === 'string') throw new Error(signIn);
  const assets = createDashboardAssets({
    apiBase: API_BASE,
    signIn: { issuer: signIn.issuer, clientId: signIn.clientId, scope: `api://${signIn.clientId}/${API_SCOPE}` },
  });
  dashboard = createDashboardSite(assets, { base: DASHBOARD_BASE });
  return dashboard;
}

/** The host's request in the shape the handlers take; bodies over the limit are refused unread. */
export async function toApiRequest(request: HttpRequest): Promise<ApiRequest | ApiResponse> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return errorResponse(bodyTooLarge(declared));
  const body = request.body === null ? '' : await request.text();
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) return errorResponse(bodyTooLarge(bytes));
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return { method: request.method.toUpperCase(), path: url.pathname, query: url.searchParams, headers, body };
}

function toResponseInit(response: ApiResponse): HttpResponseInit {
  return { status: response.status, headers: response.headers, body: response.body };
}

function notConfigured(context: InvocationContext, error: unknown): HttpResponseInit {
  context.error(`the API is not configured: ${errorMessage(error)}`);
  return toResponseInit(errorResponse({ status: 503, code: 'unavailable', message: 'the API is not configured; the function log says which setting is missing' }));
}

export async function apiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const converted = await toApiRequest(request);
  if (!('path' in converted)) return toResponseInit(converted);
  let handler: Api;
  try {
    handler = apiFor(context);
  } catch (error) {
    return notConfigured(context, error);
  }
  return toResponseInit(await handler.handle(converted));
}

export async function dashboardHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const converted = await toApiRequest(request);
  if (!('path' in converted)) return toResponseInit(converted);
  let site: DashboardSite;
  try {
    site = dashboardFor();
  } catch (error) {
    return notConfigured(context, error);
  }
  return toResponseInit(await site.handle(converted));
}

app.http(FUNCTIONS.api, {
  methods: [...HTTP_METHODS],
  authLevel: 'anonymous',
  route: 'api/{*path}',
  handler: apiHandler,
});

app.http(FUNCTIONS.dashboard, {
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  route: 'dashboard/{*asset}',
  handler: dashboardHandler,
});

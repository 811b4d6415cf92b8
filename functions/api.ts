/**
 * The HTTP API and the dashboard as Azure Functions http triggers. The host prefixes routes with
 * /api; lib/api's router answers every path below it (404, 405 and validation included), so the
 * Functions app and `nsgwatch dev` serve exactly the same handlers.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { FUNCTIONS } from '../lib/config/names.js';
import { MAX_BODY_BYTES, bodyTooLarge, createApi, errorResponse, type Api, type ApiRequest, type ApiResponse } from '../lib/api/index.js';
import { createEstateFlowChecker } from '../lib/api/flow-check.js';
import { createQueueScanStarter } from '../lib/api/scan.js';
import { createDashboardAssets } from '../lib/dashboard/assets.js';
import { storeOptionsFromEnv, createFindingsStore } from '../lib/store/index.js';
import { coalescerFromEnvironment } from '../lib/azure/coalesce.js';
import { armSource } from '../lib/azure/arm-source.js';
import { ruleInfos } from '../lib/runtime/catalogue.js';

/** Where the dashboard lives in Azure (NSGWATCH_DASHBOARD_URL points here). */
export const DASHBOARD_BASE = '/api/dashboard/';
const HTTP_METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] as const;

let api: Api | undefined;
let setupError: string | undefined;

/** One API per process, built on first use from the app settings. */
function apiFromEnvironment(context: InvocationContext): Api | undefined {
  if (api !== undefined || setupError !== undefined) return api;
  const store = storeOptionsFromEnv(process.env);
  const coalescer = coalescerFromEnvironment(process.env);
  if (!store.ok || !coalescer.ok) {
    setupError = !store.ok ? store.error : !coalescer.ok ? coalescer.error.message : 'unknown';
    context.error(`the API is not configured: ${setupError}`);
    return undefined;
  }
  const source = armSource();
  api = createApi(
    {
      store: createFindingsStore(store.options),
      rules: ruleInfos,
      flow: createEstateFlowChecker(source),
      scan: createQueueScanStarter({ coalescer: coalescer.coalescer, subscriptions: () => source.subscriptions() }),
      dashboard: createDashboardAssets({ apiBase: '/api/' }),
      log: (level, message) => (level === 'error' ? context.error(message) : level === 'warn' ? context.warn(message) : context.log(message)),
    },
    { dashboardBase: DASHBOARD_BASE },
  );
  return api;
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

export async function apiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const converted = await toApiRequest(request);
  if (!('path' in converted)) return toResponseInit(converted);
  const handler = apiFromEnvironment(context);
  if (handler === undefined) {
    return toResponseInit(errorResponse({ status: 503, code: 'unavailable', message: 'the API is not configured; the function log says which setting is missing' }));
  }
  return toResponseInit(await handler.handle(converted));
}

// Function keys guard the data; the dashboard's page and static files carry none and load without
// a key (Entra ID sits in front of the whole app in the deployment), then call the API with one.
app.http(FUNCTIONS.api, {
  methods: [...HTTP_METHODS],
  authLevel: 'function',
  route: '{*path}',
  handler: apiHandler,
});

app.http(FUNCTIONS.dashboard, {
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  route: 'dashboard/{*asset}',
  handler: apiHandler,
});

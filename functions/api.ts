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
import { azureRuntime } from '../lib/runtime/azure.js';
import { ruleInfos } from '../lib/runtime/catalogue.js';

/** Where the dashboard lives in Azure (NSGWATCH_DASHBOARD_URL points here). */
export const DASHBOARD_BASE = '/api/dashboard/';
const HTTP_METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] as const;

let api: Api | undefined;

/** One API per process on the Functions runtime (same store, queue and ARM source as the pipeline). */
function apiFor(context: InvocationContext): Api {
  if (api) return api;
  const rt = azureRuntime(context);
  api = createApi(
    {
      store: rt.store,
      rules: ruleInfos,
      flow: createEstateFlowChecker(rt.source),
      scan: createQueueScanStarter({ coalescer: rt.coalescer, subscriptions: () => rt.source.subscriptions() }),
      dashboard: createDashboardAssets({ apiBase: '/api/' }),
      // Outside one invocation: the worker forwards the console to the host's log.
      log: (level, message) => (level === 'error' ? console.error(message) : level === 'warn' ? console.warn(message) : console.info(message)),
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
  let handler: Api;
  try {
    handler = apiFor(context);
  } catch (error) {
    context.error(`the API is not configured: ${error instanceof Error ? error.message : String(error)}`);
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

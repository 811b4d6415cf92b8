/**
 * A test transport for the real Azure SDK clients: an HttpClient (the SDK's `httpClient` option)
 * that routes by method and path to handlers serving exact ARM REST bodies, records every request,
 * and injects faults (status codes with Retry-After, hangs, delays, network errors), either queued
 * for the next matching calls or at random with a seeded PRNG. Nothing leaves the process.
 *
 * Bodies come from ../shared/corpus (REST API examples, Cloud Custodian cassettes), read in place,
 * or from the synthetic estate in arm-estate.ts; `serveEstate` serves any set of REST-shaped
 * resources as ARM does: subscription-wide lists paged with nextLink, GET by id, 404 otherwise.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  RestError,
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { mulberry32 } from './random.js';

const CORPUS_URL = new URL('../../../shared/corpus/', import.meta.url);
export const CORPUS_DIR = fileURLToPath(CORPUS_URL);

export interface ArmRequest {
  method: string;
  url: URL;
  /** Path segments percent-decoded, as the handler should see them. */
  segments: string[];
  query: URLSearchParams;
  /** Values of the `{name}` segments of the matched route. */
  params: Record<string, string>;
  headers: Record<string, string>;
  /** The request body parsed as JSON (POST operations); undefined when there is none. */
  body?: unknown;
}

export interface ArmReply {
  status: number;
  body?: unknown;
  /** The body already serialised (instead of `body`). */
  text?: string;
  headers?: Record<string, string>;
}

export type ArmHandler = (request: ArmRequest) => ArmReply | Promise<ArmReply>;

export type ArmFault =
  /** Answer with this status instead (429/5xx with an ARM error body unless one is given). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Never answer; abort like the SDK's HTTP client when the request's signal fires or its timeout passes. */
  | { kind: 'hang' }
  /** Answer normally, this much later (real time). */
  | { kind: 'delay'; ms: number }
  /** Fail in the transport, like a reset connection. */
  | { kind: 'network'; code: string };

export interface RecordedRequest {
  method: string;
  url: string;
  /** Decoded path, without the query. */
  path: string;
  /** Clock time the request arrived (the injected clock when given). */
  at: number;
  authorization: string | undefined;
  /** The fault injected into this request, if any. */
  fault: ArmFault | undefined;
  /** Status served (undefined when the request hung or failed in the transport). */
  status: number | undefined;
}

export interface RandomFaults {
  /** Fraction of matching requests that fail, in [0, 1]. */
  rate: number;
  seed: number;
  faults: ArmFault[];
  match?: (request: ArmRequest) => boolean;
}

export interface ArmTransport extends HttpClient {
  readonly requests: RecordedRequest[];
  /** Requests no route matched (answered 501, which nothing retries). */
  readonly unrouted: RecordedRequest[];
  /** Adds a route; routes added later win, so a test can override what serveEstate set up. */
  on(method: string, pathPattern: string, handler: ArmHandler): void;
  /** Queues faults for the next matching requests, one each, in order. */
  failNext(faults: ArmFault | ArmFault[], match?: (request: ArmRequest) => boolean): void;
  failRandomly(options: RandomFaults): void;
  clearFaults(): void;
}

interface Route {
  method: string;
  pattern: string[];
  handler: ArmHandler;
}

export function createArmTransport(options: { clock?: { now(): number } } = {}): ArmTransport {
  const now = (): number => options.clock?.now() ?? Date.now();
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const unrouted: RecordedRequest[] = [];
  const queued: { fault: ArmFault; match: ((request: ArmRequest) => boolean) | undefined }[] = [];
  let random: { options: RandomFaults; next: () => number } | undefined;

  function pickFault(request: ArmRequest): ArmFault | undefined {
    const index = queued.findIndex((q) => !q.match || q.match(request));
    if (index >= 0) {
      const [entry] = queued.splice(index, 1);
      return entry?.fault;
    }
    if (random && (!random.options.match || random.options.match(request))) {
      if (random.next() < random.options.rate) {
        const faults = random.options.faults;
        return faults[Math.floor(random.next() * faults.length)];
      }
    }
    return undefined;
  }

  async function sendRequest(pipelineRequest: PipelineRequest): Promise<PipelineResponse> {
    const url = new URL(pipelineRequest.url);
    const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    const headers: Record<string, string> = {};
    for (const [name, value] of pipelineRequest.headers) headers[name.toLowerCase()] = value;
    const text = typeof pipelineRequest.body === 'string' ? pipelineRequest.body : undefined;
    const request: ArmRequest = { method: pipelineRequest.method, url, segments, query: url.searchParams, params: {}, headers, ...(text ? { body: JSON.parse(text) as unknown } : {}) };
    const record: RecordedRequest = {
      method: request.method,
      url: pipelineRequest.url,
      path: `/${segments.join('/')}`,
      at: now(),
      authorization: headers['authorization'],
      fault: undefined,
      status: undefined,
    };
    requests.push(record);

    const fault = pickFault(request);
    record.fault = fault;
    if (fault) {
      switch (fault.kind) {
        case 'status': {
          record.status = fault.status;
          return respond(pipelineRequest, {
            status: fault.status,
            headers: fault.headers ?? {},
            body: fault.body ?? armError(errorCodeFor(fault.status), `Injected HTTP ${fault.status}`),
          });
        }
        case 'hang':
          return hang(pipelineRequest);
        case 'delay':
          await abortableDelay(pipelineRequest, fault.ms);
          break;
        case 'network':
          throw new RestError(`Injected transport failure ${fault.code}`, { code: fault.code, request: pipelineRequest });
        default:
          return assertNever(fault);
      }
    }

    for (let i = routes.length - 1; i >= 0; i -= 1) {
      const route = routes[i];
      if (!route || route.method !== request.method.toUpperCase()) continue;
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      const reply = await route.handler({ ...request, params });
      record.status = reply.status;
      return respond(pipelineRequest, reply);
    }
    record.status = 501;
    unrouted.push(record);
    return respond(pipelineRequest, { status: 501, body: armError('NoTestRoute', `No test route for ${request.method} ${record.path}`) });
  }

  return {
    requests,
    unrouted,
    sendRequest,
    on(method, pathPattern, handler) {
      routes.push({ method: method.toUpperCase(), pattern: pathPattern.split('/').filter((s) => s !== ''), handler });
    },
    failNext(faults, match) {
      for (const fault of Array.isArray(faults) ? faults : [faults]) queued.push({ fault, match });
    },
    failRandomly(randomOptions) {
      random = { options: randomOptions, next: mulberry32(randomOptions.seed) };
    },
    clearFaults() {
      queued.length = 0;
      random = undefined;
    },
  };
}

/** `{name}` matches one segment; literal segments match case-insensitively (ARM paths are). */
function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const want = pattern[i] as string;
    const got = segments[i] as string;
    if (want.startsWith('{') && want.endsWith('}')) params[want.slice(1, -1)] = got;
    else if (want.toLowerCase() !== got.toLowerCase()) return undefined;
  }
  return params;
}

function respond(request: PipelineRequest, reply: ArmReply): PipelineResponse {
  const hasBody = reply.body !== undefined || reply.text !== undefined;
  return {
    request,
    status: reply.status,
    headers: createHttpHeaders({
      ...(hasBody ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'x-ms-request-id': request.requestId,
      ...reply.headers,
    }),
    bodyAsText: reply.text ?? (hasBody ? JSON.stringify(reply.body) : ''),
  };
}

function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

/** What the SDK's HTTP client does for a server that never answers: wait for abort or timeout. */
function hang(request: PipelineRequest): Promise<never> {
  return new Promise((_, reject) => {
    const signal = request.abortSignal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      reject(abortError());
    };
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort);
    if (request.timeout > 0) timer = setTimeout(abort, request.timeout);
  });
}

function abortableDelay(request: PipelineRequest, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = request.abortSignal;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
  });
}

export function armError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function errorCodeFor(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 404) return 'ResourceNotFound';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequest';
}

export { mulberry32 };

// ---------------------------------------------------------------------------------------------
// Corpus, read in place.

function readCorpusJson(relativePath: string): unknown {
  return JSON.parse(readFileSync(new URL(relativePath, CORPUS_URL), 'utf8')) as unknown;
}

/** `responses["200"].body` of a REST API example, e.g. restExampleBody('NetworkSecurityGroupListAll'). */
export function restExampleBody(name: string, apiVersion = '2021-02-01'): unknown {
  const example = readCorpusJson(`rest-api-examples/${apiVersion}/${name}.json`) as {
    responses?: Record<string, { body?: unknown }>;
  };
  const body = example.responses?.['200']?.body;
  if (body === undefined) throw new Error(`REST example ${name} has no 200 body`);
  return body;
}

/** The `value` array of a list example. */
export function restExampleList(name: string, apiVersion = '2021-02-01'): Record<string, unknown>[] {
  const body = restExampleBody(name, apiVersion) as { value?: unknown };
  if (!Array.isArray(body.value)) throw new Error(`REST example ${name} is not a list`);
  return body.value as Record<string, unknown>[];
}

export interface CassetteInteraction {
  method: string;
  uri: string;
  status: number;
  /** The recorded response body (the cassettes keep it under `data`). */
  body: unknown;
}

/** Recorded interactions of a Cloud Custodian cassette (peers/cloud-custodian-cassettes/<file>). */
export function cassetteInteractions(file: string): CassetteInteraction[] {
  const cassette = readCorpusJson(`peers/cloud-custodian-cassettes/${file}`) as {
    interactions?: { request: { method: string; uri: string }; response: { status: { code: number }; body: { data?: unknown } } }[];
  };
  return (cassette.interactions ?? []).map((i) => ({
    method: i.request.method,
    uri: i.request.uri,
    status: i.response.status.code,
    body: i.response.body.data,
  }));
}

/** The resources of the cassette's list responses for `type` (e.g. all NSGs the cassette recorded). */
export function cassetteResources(file: string, type: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const interaction of cassetteInteractions(file)) {
    const path = new URL(interaction.uri).pathname.toLowerCase();
    if (interaction.method !== 'GET' || interaction.status !== 200 || !path.endsWith(`/providers/${type.toLowerCase()}`)) continue;
    const value = (interaction.body as { value?: unknown } | undefined)?.value;
    if (Array.isArray(value)) out.push(...(value as Record<string, unknown>[]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Serving an estate the way ARM does.

/** Top-level types served as subscription-wide lists (what readInventory asks for). */
export const LISTED_TYPES = [
  'networkSecurityGroups',
  'virtualNetworks',
  'networkInterfaces',
  'natGateways',
  'bastionHosts',
  'applicationSecurityGroups',
] as const;

export interface ArmEstate {
  /** Adds or replaces a REST-shaped resource (keyed by its id, case-insensitively). */
  put(resource: Record<string, unknown>): void;
  remove(id: string): boolean;
  get(id: string): Record<string, unknown> | undefined;
  /** Resources of a type segment (e.g. 'networkSecurityGroups') of a provider (default Microsoft.Network) in a subscription, in insertion order. */
  list(subscriptionId: string, typeSegment: string, namespace?: string): Record<string, unknown>[];
  all(): Record<string, unknown>[];
  /** Counts the changes (put, remove, changed): answers kept for one revision are not served for another. */
  readonly revision: number;
  /** Something the answers derive from changed outside the resources (an effective admin rules list). */
  changed(): void;
}

export function createArmEstate(resources: Iterable<Record<string, unknown>> = []): ArmEstate {
  const byId = new Map<string, Record<string, unknown>>();
  // Lists by subscription and type, rebuilt after a change: every page of a list reads one.
  const lists = new Map<string, Record<string, unknown>[]>();
  let revision = 0;
  const estate: ArmEstate = {
    put(resource) {
      const id = resource['id'];
      if (typeof id !== 'string') throw new Error('a served resource needs an id');
      byId.set(id.toLowerCase(), resource);
      lists.clear();
      revision += 1;
    },
    remove(id) {
      lists.clear();
      revision += 1;
      return byId.delete(id.toLowerCase());
    },
    get revision() {
      return revision;
    },
    changed() {
      revision += 1;
    },
    get: (id) => byId.get(id.toLowerCase()),
    list(subscriptionId, typeSegment, namespace = 'Microsoft.Network') {
      const cacheKey = `${subscriptionId.toLowerCase()}|${namespace.toLowerCase()}|${typeSegment.toLowerCase()}`;
      const cached = lists.get(cacheKey);
      if (cached) return cached;
      const prefix = `/subscriptions/${subscriptionId.toLowerCase()}/`;
      const marker = `/providers/${namespace.toLowerCase()}/${typeSegment.toLowerCase()}/`;
      const found = [...byId.entries()]
        .filter(([key]) => key.startsWith(prefix) && key.includes(marker) && key.split(marker)[1]?.includes('/') === false)
        .map(([, resource]) => resource);
      lists.set(cacheKey, found);
      return found;
    },
    all: () => [...byId.values()],
  };
  for (const resource of resources) estate.put(resource);
  return estate;
}

export interface ServeOptions {
  /** Resources per list page; nextLink carries the offset as $skiptoken. */
  pageSize?: number;
  /**
   * The estate seldom changes (benchmarks): each answer is serialised once per revision of the
   * estate and served again, so the transport's own cost stays out of what is measured. Tests that
   * edit resources in place (not through put) leave it off.
   */
  immutable?: boolean;
  /**
   * The effective security admin rules of a served virtual network (REST items of
   * NetworkManagerEffectiveSecurityAdminRulesList); default none. Served paged by skipToken.
   */
  effectiveAdminRules?: (virtualNetworkId: string) => readonly unknown[];
  /** Items per page of the effective admin rules list. */
  adminPageSize?: number;
}

/**
 * Serves `estate` on `transport`: subscription and resource-group lists (paged), a gateway's
 * connections, GET of each top-level resource and of subnets (from their VNet, without `type`, as
 * the API answers), 404 ResourceNotFound for anything else under Microsoft.Network.
 */
export function serveEstate(transport: ArmTransport, estate: ArmEstate, options: ServeOptions = {}): void {
  const pageSize = options.pageSize ?? 100;
  const base = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network';
  const served = new Map<string, ArmReply>();
  let servedRevision = estate.revision;
  const once = (request: ArmRequest, answer: () => ArmReply): ArmReply => {
    if (!options.immutable) return answer();
    if (estate.revision !== servedRevision) {
      served.clear();
      servedRevision = estate.revision;
    }
    // A POST's answer depends on its body too (the effective admin rules' skipToken).
    const key = `${request.url.href.toLowerCase()} ${request.body === undefined ? '' : JSON.stringify(request.body)}`;
    let reply = served.get(key);
    if (!reply) {
      const fresh = answer();
      reply = fresh.body === undefined ? fresh : { ...fresh, body: undefined, text: JSON.stringify(fresh.body) };
      served.set(key, reply);
    }
    return reply;
  };
  const notFound = (request: ArmRequest): ArmReply => ({
    status: 404,
    body: armError('ResourceNotFound', `The Resource '${request.segments.slice(6).join('/')}' under resource group '${request.params['rg'] ?? ''}' was not found.`),
  });

  transport.on('GET', '/subscriptions/{sub}/providers/Microsoft.Network/{type}', (request) =>
    once(request, () => pagedReply(request, estate.list(request.params['sub'] ?? '', request.params['type'] ?? ''), pageSize)),
  );
  // Lists by resource group (gateways and local network gateways have no subscription-wide list).
  transport.on('GET', `${base}/{type}`, (request) =>
    once(request, () => {
      const group = `/resourcegroups/${(request.params['rg'] ?? '').toLowerCase()}/`;
      const items = estate.list(request.params['sub'] ?? '', request.params['type'] ?? '').filter((r) => String(r['id']).toLowerCase().includes(group));
      return pagedReply(request, items, pageSize);
    }),
  );
  // A gateway's connections (List Connections): the served connections naming it on either side.
  transport.on('GET', `${base}/virtualNetworkGateways/{gateway}/connections`, (request) =>
    once(request, () => {
      const gatewayId = `/${request.segments.slice(0, 8).join('/')}`.toLowerCase();
      if (!estate.get(gatewayId)) return notFound(request);
      const sides = (c: Record<string, unknown>): string[] => {
        const properties = (c['properties'] ?? {}) as Record<string, { id?: string } | undefined>;
        return [properties['virtualNetworkGateway1']?.id, properties['virtualNetworkGateway2']?.id].map((id) => (id ?? '').toLowerCase());
      };
      const connections = estate.all().filter((r) => /\/providers\/microsoft\.network\/connections\/[^/]+$/i.test(String(r['id'])) && sides(r).includes(gatewayId));
      return pagedReply(request, connections, pageSize);
    }),
  );
  transport.on('GET', `${base}/{type}/{name}`, (request) =>
    once(request, () => {
      const resource = estate.get(`/${request.segments.join('/')}`);
      return resource ? { status: 200, body: resource } : notFound(request);
    }),
  );
  // A scale set's instance NICs (the scale-set NIC API): the served NICs whose ids lie under it; none when it has none.
  transport.on('GET', '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}/networkInterfaces', (request) =>
    once(request, () => {
      const prefix = `/${request.segments.slice(0, 8).join('/')}/virtualmachines/`.toLowerCase();
      const nics = estate.all().filter((r) => typeof r['id'] === 'string' && r['id'].toLowerCase().startsWith(prefix) && /\/networkinterfaces\/[^/]+$/i.test(r['id']));
      return pagedReply(request, nics, pageSize);
    }),
  );
  // The per-network effective security admin rules list: a POST whose body may carry the skipToken of the next page.
  transport.on('POST', `${base}/virtualNetworks/{vnet}/listNetworkManagerEffectiveSecurityAdminRules`, (request) =>
    once(request, () => {
      const vnetId = `/${request.segments.slice(0, 8).join('/')}`;
      if (!estate.get(vnetId)) return notFound(request);
      const items = options.effectiveAdminRules?.(vnetId) ?? [];
      const size = options.adminPageSize ?? 100;
      const token = typeof request.body === 'object' && request.body !== null ? (request.body as { skipToken?: unknown }).skipToken : undefined;
      const offset = typeof token === 'string' ? Number(token) : 0;
      return { status: 200, body: { value: items.slice(offset, offset + size), ...(offset + size < items.length ? { skipToken: String(offset + size) } : {}) } };
    }),
  );
  // The services outside Microsoft.Network that own or use a subnet: their subscription-wide lists and GETs.
  for (const namespace of SERVICE_NAMESPACES) {
    transport.on('GET', `/subscriptions/{sub}/providers/${namespace}/{type}`, (request) =>
      once(request, () => pagedReply(request, estate.list(request.params['sub'] ?? '', request.params['type'] ?? '', namespace), pageSize)),
    );
    transport.on('GET', `/subscriptions/{sub}/resourceGroups/{rg}/providers/${namespace}/{type}/{name}`, (request) =>
      once(request, () => {
        const resource = estate.get(`/${request.segments.join('/')}`);
        return resource ? { status: 200, body: resource } : notFound(request);
      }),
    );
  }
  transport.on('GET', `${base}/virtualNetworks/{vnet}/subnets/{subnet}`, (request) => {
    const vnetId = `/${request.segments.slice(0, 8).join('/')}`;
    const vnet = estate.get(vnetId);
    const subnets = ((vnet?.['properties'] as { subnets?: unknown } | undefined)?.subnets ?? []) as Record<string, unknown>[];
    const wanted = (request.params['subnet'] ?? '').toLowerCase();
    const subnet = subnets.find((s) => typeof s['name'] === 'string' && s['name'].toLowerCase() === wanted);
    if (!subnet) return notFound(request);
    const { type: _type, ...withoutType } = subnet;
    return { status: 200, body: withoutType };
  });
}

/** The providers, besides Microsoft.Network, whose resources the inventory lists (API Management, AKS, Entra Domain Services). */
export const SERVICE_NAMESPACES = ['Microsoft.ApiManagement', 'Microsoft.ContainerService', 'Microsoft.AAD'] as const;

/** One page of `items` with a nextLink (full URL, api-version kept, offset in $skiptoken). */
export function pagedReply(request: ArmRequest, items: readonly unknown[], pageSize: number): ArmReply {
  const offset = Number(request.query.get('$skiptoken') ?? '0');
  const page = items.slice(offset, offset + pageSize);
  const body: { value: unknown[]; nextLink?: string } = { value: page };
  if (offset + pageSize < items.length) {
    const next = new URL(request.url.href);
    next.searchParams.set('$skiptoken', String(offset + pageSize));
    body.nextLink = next.href;
  }
  return { status: 200, body };
}

/** A TokenCredential for tests: a fixed token, and a count of how often it was asked. */
export function testCredential(): {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }>;
  scopesAsked: string[][];
} {
  const scopesAsked: string[][] = [];
  return {
    scopesAsked,
    getToken(scopes) {
      scopesAsked.push(Array.isArray(scopes) ? scopes : [scopes]);
      return Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}

/**
 * Virtual time: sleep() registers a timer; when the process has nothing else to do (a
 * setImmediate turn later) the earliest timer fires and the clock jumps to it. Concurrent sleepers
 * see one consistent time, and no test waits for real.
 */
export function createVirtualClock(start = 1_700_000_000_000): {
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly sleeps: number[];
} {
  let current = start;
  let sequence = 0;
  const timers: { at: number; sequence: number; resolve: () => void }[] = [];
  const sleeps: number[] = [];
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(fire);
  };
  const fire = (): void => {
    scheduled = false;
    timers.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
    const timer = timers.shift();
    if (!timer) return;
    current = Math.max(current, timer.at);
    timer.resolve();
    if (timers.length > 0) schedule();
  };
  return {
    sleeps,
    now: () => current,
    sleep(ms) {
      sleeps.push(ms);
      return new Promise((resolve) => {
        timers.push({ at: current + Math.max(0, ms), sequence: sequence++, resolve });
        schedule();
      });
    },
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

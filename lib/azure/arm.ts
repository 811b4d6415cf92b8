/**
 * Reads the current state of Microsoft.Network resources from Azure Resource Manager: the full
 * inventory of a subscription in six paged list calls, targeted reads of one resource or of a
 * scope (a resource and what it guards or is guarded by), and service tags. This is the only
 * module that uses @azure/arm-network.
 *
 * Every read is charged to the process-wide ARM read budget and retried by the read policy
 * (arm-policy.ts). A 404 means deleted; any other failure is reported, never taken as an answer.
 * Reads go through the SDK client's pipeline (credential, policies, transport) and hand over the
 * REST bodies as ARM sent them, with `type` set where the API leaves it out (subnets): lib/estate
 * reads that shape, and skipping the SDK's model mapping makes reads about three times cheaper.
 */
import { NetworkManagementClient } from '@azure/arm-network';
import { RestError, createPipelineRequest, type HttpClient, type Pipeline, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { appCredential } from './clients.js';
import { SETTINGS } from '../config/names.js';
import { arrayField, asgIdsNamedBy, field, referenceId, referenceIds } from '../estate/fields.js';
import { isTopLevel, type NetworkRef, normalizeId, parseNetworkRef, topLevelRef } from '../arm/index.js';
import { classifyReadError, describeFailure, type ReadFailure } from './arm-errors.js';
import {
  DEFAULT_ARM_RETRY,
  SDK_DEFAULT_RETRY_POLICY_NAME,
  armReadPolicy,
  withReadContext,
  type ArmRetryOptions,
  type ReadContext,
} from './arm-policy.js';
import { DEFAULT_READ_BUDGET, createReadBudgets, systemClock, type Clock, type ReadBudgetConfig, type ReadBudgets, type ReadLane } from './budget.js';
import { createServiceTagSource, type ServiceTagCache, type ServiceTagsFetch, type ServiceTagsRead } from './servicetags.js';
import { assertNever } from '../nsg/index.js';

export type { ReadFailure, ReadFailureCause } from './arm-errors.js';
export type { ReadLane } from './budget.js';

export const ARM_ENDPOINT = 'https://management.azure.com';

export interface ArmReaderOptions {
  /** Default: DefaultAzureCredential (managed identity via AZURE_CLIENT_ID in Azure, az login locally). */
  credential?: TokenCredential;
  /** Default: the SDK's own HTTP client. Tests pass a transport serving REST bodies. */
  httpClient?: HttpClient;
  endpoint?: string;
  /** Second half of the read-budget key. Default: AZURE_CLIENT_ID, else 'default'. */
  identity?: string;
  retry?: Partial<ArmRetryOptions>;
  /** Buckets shared by every reader of the process. Default: the process-wide set (or a new set on `clock`). */
  budgets?: ReadBudgets;
  /** Used only when `budgets` is not given and a private set is made. */
  budgetConfig?: Partial<ReadBudgetConfig>;
  clock?: Clock;
  /** In [0, 1): backoff jitter. */
  random?: () => number;
  /** Targeted reads in flight at once within one scope read. */
  concurrency?: number;
  serviceTagCache?: ServiceTagCache;
  serviceTagsMaxAgeMs?: number;
}

export interface InventoryRead {
  resources: unknown[];
  /** Lists that did not complete: resources of that type beyond what was read may exist. */
  failures: ReadFailure[];
  /** ARM requests made, retries included. */
  reads: number;
}

export type ResourceRead =
  /** `id` is what was read: the NSG for a rule id, the NIC for an ipConfiguration id. */
  | { status: 'found'; id: string; resource: unknown }
  | { status: 'deleted'; id: string }
  | { status: 'failed'; id: string; reason: string; failure: ReadFailure };

export interface ScopeReadOptions {
  lane?: ReadLane;
  /** Reference hops followed from the given ids (NSG → subnet → its NICs → their NSGs is 3). */
  maxDepth?: number;
  /** Resources read at most; the rest are reported as failures with cause 'scope-limit'. */
  maxResources?: number;
}

export interface ScopeRead {
  /** Each top-level resource read, once. */
  resources: unknown[];
  /** Ids (as given or referenced) confirmed not to exist: their findings resolve. */
  deleted: string[];
  /** Reads that failed: what they would have said is unknown. */
  failures: ReadFailure[];
  reads: number;
}

export interface ArmReader {
  /** The given types (default: all of INVENTORY_TYPES), one paged list each, read in parallel. */
  readInventory(subscriptionId: string, options?: { lane?: ReadLane; types?: readonly InventoryType[] }): Promise<InventoryRead>;
  /** Every resource of one type in the subscription, in REST shape. */
  listResources(subscriptionId: string, type: InventoryType, options?: ListOptions): Promise<ListRead>;
  readResource(id: string, options?: { lane?: ReadLane }): Promise<ResourceRead>;
  readScopeResources(ids: readonly string[], options?: ScopeReadOptions): Promise<ScopeRead>;
  readServiceTags(subscriptionId: string, location: string): Promise<ServiceTagsRead>;
  /** The SDK client for a subscription (built on first use; all share one pipeline). */
  client(subscriptionId: string): NetworkManagementClient;
}

export const DEFAULT_SCOPE_DEPTH = 3;
export const DEFAULT_SCOPE_MAX_RESOURCES = 500;
export const DEFAULT_READ_CONCURRENCY = 8;

const TYPES = {
  networkSecurityGroups: 'Microsoft.Network/networkSecurityGroups',
  virtualNetworks: 'Microsoft.Network/virtualNetworks',
  subnets: 'Microsoft.Network/virtualNetworks/subnets',
  networkInterfaces: 'Microsoft.Network/networkInterfaces',
  natGateways: 'Microsoft.Network/natGateways',
  bastionHosts: 'Microsoft.Network/bastionHosts',
  applicationSecurityGroups: 'Microsoft.Network/applicationSecurityGroups',
} as const;

/**
 * The api-version of the installed @azure/arm-network: its operations all send this one, and the
 * raw lists below use it too (test/azure/arm.test.ts holds the two together).
 */
export const NETWORK_API_VERSION = '2025-05-01';

/** The types of the inventory: one paged list each; subnets and peerings come inside their VNets. */
export const INVENTORY_TYPES = [
  TYPES.networkSecurityGroups,
  TYPES.virtualNetworks,
  TYPES.networkInterfaces,
  TYPES.natGateways,
  TYPES.bastionHosts,
  TYPES.applicationSecurityGroups,
] as const;

export type InventoryType = (typeof INVENTORY_TYPES)[number];

export interface ListOptions {
  lane?: ReadLane;
  /** Keeps only the items this accepts (the rest are parsed and dropped page by page). */
  keep?: (resource: unknown) => boolean;
}

export interface ListRead {
  resources: unknown[];
  /** Set when the list did not complete: resources of the type beyond `resources` may exist. */
  failure: ReadFailure | undefined;
  reads: number;
}

let processBudgets: ReadBudgets | undefined;

/** The read budgets of this process: every reader without its own shares them. */
export function processReadBudgets(): ReadBudgets {
  processBudgets ??= createReadBudgets(DEFAULT_READ_BUDGET, systemClock);
  return processBudgets;
}

export function createArmReader(options: ArmReaderOptions = {}): ArmReader {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retry: ArmRetryOptions = { ...DEFAULT_ARM_RETRY, ...options.retry };
  const budgets =
    options.budgets ??
    (options.clock || options.budgetConfig
      ? createReadBudgets({ ...DEFAULT_READ_BUDGET, ...options.budgetConfig }, clock)
      : processReadBudgets());
  const identity = options.identity ?? process.env[SETTINGS.managedIdentityClientId] ?? 'default';
  const endpoint = options.endpoint ?? ARM_ENDPOINT;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_READ_CONCURRENCY);

  let credential: TokenCredential | undefined = options.credential;
  let pipeline: Pipeline | undefined;
  const clients = new Map<string, NetworkManagementClient>();

  function client(subscriptionId: string): NetworkManagementClient {
    const key = subscriptionId.toLowerCase();
    const existing = clients.get(key);
    if (existing) return existing;
    credential ??= defaultCredential();
    const created = new NetworkManagementClient(credential, subscriptionId, {
      endpoint,
      userAgentOptions: { userAgentPrefix: 'nsgwatch' },
      // The read policy below does all retrying; this keeps the SDK's own from doing any.
      retryOptions: { maxRetries: 0 },
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
      ...(pipeline ? { pipeline } : {}),
    });
    if (!pipeline) {
      created.pipeline.removePolicy({ name: SDK_DEFAULT_RETRY_POLICY_NAME });
      created.pipeline.addPolicy(armReadPolicy({ budgets, identity, retry, clock, random }), { phase: 'Retry' });
      // Later subscriptions share this pipeline: one token cache, one policy, one transport.
      pipeline = created.pipeline;
    }
    clients.set(key, created);
    return created;
  }

  /**
   * Pages through a subscription-wide list through the client's pipeline (credential, read policy,
   * budget), parsing the REST bodies as they are: lib/estate reads the REST shape, and skipping the
   * SDK's model mapping makes a 10,000-NIC list about three times cheaper.
   */
  async function listResources(subscriptionId: string, type: InventoryType, listOptions: ListOptions = {}): Promise<ListRead> {
    const target = `/subscriptions/${subscriptionId}/providers/${type}`;
    const keep = listOptions.keep ?? (() => true);
    return withReadContext(listOptions.lane ?? 'sweep', async (context) => {
      const sdk = client(subscriptionId);
      const resources: unknown[] = [];
      let pagesRead = 0;
      let url: unknown = `${endpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/${type}?api-version=${NETWORK_API_VERSION}`;
      try {
        while (typeof url === 'string' && url !== '') {
          const response = await sdk.sendRequest(createPipelineRequest({ url, method: 'GET' }));
          if (response.status !== 200) throw responseError(response);
          const body = bodyOf(response, target);
          for (const item of arrayField(body, 'value')) if (keep(item)) resources.push(withType(item, type));
          pagesRead += 1;
          url = body['nextLink'];
        }
        return { resources, failure: undefined, reads: context.requests };
      } catch (error) {
        const failure = failureFrom(error, context, target, type);
        if (failure.kind === 'deleted') {
          // A 404 on a subscription-wide list: the subscription itself is gone or unknown.
          const gone: ReadFailure = {
            target,
            resourceType: type,
            cause: 'client-error',
            httpStatus: 404,
            attempts: context.lastAttempts,
            message: `listing ${type} answered 404: ${failure.message}`,
          };
          return { resources, failure: gone, reads: context.requests };
        }
        const read = failure.failure;
        read.message = `${read.message} (list stopped after ${pagesRead} page(s), ${resources.length} resource(s))`;
        return { resources, failure: read, reads: context.requests };
      }
    });
  }

  async function readInventory(
    subscriptionId: string,
    readOptions: { lane?: ReadLane; types?: readonly InventoryType[] } = {},
  ): Promise<InventoryRead> {
    const lane = readOptions.lane ?? 'sweep';
    const lists = await Promise.all((readOptions.types ?? INVENTORY_TYPES).map((type) => listResources(subscriptionId, type, { lane })));
    return {
      resources: lists.flatMap((l) => l.resources),
      failures: lists.flatMap((l) => (l.failure ? [l.failure] : [])),
      reads: lists.reduce((sum, l) => sum + l.reads, 0),
    };
  }

  /** GETs the top-level resource `ref` names (refs of child kinds are read through their parent). */
  async function readTop(ref: NetworkRef, lane: ReadLane): Promise<{ read: ResourceRead; reads: number }> {
    const top = topLevelRef(ref);
    return withReadContext(lane, async (context) => {
      try {
        const resource = await getJson(client(top.subscriptionId), endpoint, resourcePath(top), top.id);
        return { read: { status: 'found', id: top.id, resource: withType(resource, top.type) }, reads: context.requests };
      } catch (error) {
        const failure = failureFrom(error, context, top.id, top.type);
        if (failure.kind === 'deleted') return { read: { status: 'deleted', id: top.id }, reads: context.requests };
        return {
          read: { status: 'failed', id: top.id, reason: failure.failure.message, failure: failure.failure },
          reads: context.requests,
        };
      }
    });
  }

  async function readResource(id: string, readOptions: { lane?: ReadLane } = {}): Promise<ResourceRead> {
    const parsed = parseNetworkRef(id);
    if (!parsed.ok) {
      const failure = badIdFailure(id, parsed.error);
      return { status: 'failed', id, reason: failure.message, failure };
    }
    const ref = parsed.ref;
    if (ref.kind === 'subnet' && ref.childName !== undefined) {
      return readSubnet(ref, readOptions.lane ?? 'event');
    }
    return (await readTop(ref, readOptions.lane ?? 'event')).read;
  }

  /** A subnet has a GET of its own; the API leaves `type` out of it. */
  async function readSubnet(ref: NetworkRef, lane: ReadLane): Promise<ResourceRead> {
    return withReadContext(lane, async (context) => {
      try {
        const path = `${resourcePath(topLevelRef(ref))}/subnets/${encodeURIComponent(ref.childName ?? '')}`;
        const subnet = await getJson(client(ref.subscriptionId), endpoint, path, ref.id);
        return { status: 'found', id: ref.id, resource: withType(subnet, TYPES.subnets) };
      } catch (error) {
        const failure = failureFrom(error, context, ref.id, TYPES.subnets);
        if (failure.kind === 'deleted') return { status: 'deleted', id: ref.id };
        return { status: 'failed', id: ref.id, reason: failure.failure.message, failure: failure.failure };
      }
    });
  }

  async function readScopeResources(ids: readonly string[], scopeOptions: ScopeReadOptions = {}): Promise<ScopeRead> {
    const lane = scopeOptions.lane ?? 'event';
    const maxDepth = scopeOptions.maxDepth ?? DEFAULT_SCOPE_DEPTH;
    const maxResources = scopeOptions.maxResources ?? DEFAULT_SCOPE_MAX_RESOURCES;
    const outcomes = new Map<string, ResourceRead>();
    const expanded = new Set<string>();
    const deleted = new Map<string, string>();
    const failures: ReadFailure[] = [];
    let reads = 0;

    let wave: Visit[] = [];
    for (const id of ids) {
      const parsed = parseNetworkRef(id);
      if (parsed.ok) wave.push(visitOf(parsed.ref, id, 0));
      else failures.push(badIdFailure(id, parsed.error));
    }

    while (wave.length > 0) {
      const pending = new Map<string, NetworkRef>();
      for (const visit of wave) {
        const key = normalizeId(visit.top.id);
        if (!outcomes.has(key) && !pending.has(key)) pending.set(key, visit.top);
      }
      const toRead = [...pending.entries()];
      const room = Math.max(0, maxResources - outcomes.size);
      for (const [key, top] of toRead.slice(room)) {
        const failure: ReadFailure = {
          target: top.id,
          resourceType: top.type,
          cause: 'scope-limit',
          attempts: 0,
          message: `not read: the scope reached its limit of ${maxResources} resources`,
        };
        outcomes.set(key, { status: 'failed', id: top.id, reason: failure.message, failure });
        failures.push(failure);
      }
      await forEachLimited(toRead.slice(0, room), concurrency, async ([key, top]) => {
        const { read, reads: spent } = await readTop(top, lane);
        reads += spent;
        outcomes.set(key, read);
        if (read.status === 'failed') failures.push(read.failure);
      });

      const next: Visit[] = [];
      for (const visit of wave) {
        const outcome = outcomes.get(normalizeId(visit.top.id));
        if (!outcome || outcome.status === 'failed') continue;
        if (outcome.status === 'deleted') {
          deleted.set(normalizeId(visit.requestedId), visit.requestedId);
          continue;
        }
        if (visit.child && !hasChild(outcome.resource, visit.child)) {
          deleted.set(normalizeId(visit.requestedId), visit.requestedId);
          if (visit.child.collection === 'subnets') continue;
        }
        if (visit.depth >= maxDepth) continue;
        const expansion = `${normalizeId(visit.top.id)}#${visit.focusSubnet?.toLowerCase() ?? '*'}`;
        if (expanded.has(expansion)) continue;
        expanded.add(expansion);
        for (const referenced of referencesOf(visit, outcome.resource)) {
          const parsed = parseNetworkRef(referenced);
          // References to things nsgwatch does not read (load balancers, private endpoints) are not followed.
          if (parsed.ok) next.push(visitOf(parsed.ref, referenced, visit.depth + 1));
        }
      }
      wave = next;
    }

    const resources: unknown[] = [];
    for (const outcome of outcomes.values()) if (outcome.status === 'found') resources.push(outcome.resource);
    for (const outcome of outcomes.values()) {
      if (outcome.status === 'deleted') deleted.set(normalizeId(outcome.id), outcome.id);
    }
    return { resources, deleted: [...deleted.values()], failures, reads };
  }

  const fetchServiceTags: ServiceTagsFetch = (subscriptionId, location) =>
    withReadContext('event', async (context) => {
      const sdk = client(subscriptionId);
      const target = `/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/${location}/serviceTags`;
      try {
        let text: string | undefined;
        await sdk.serviceTags.list(location, {
          onResponse: (raw) => {
            text = raw.bodyAsText ?? undefined;
          },
        });
        const body = parseJsonObject(text, target);
        return { ok: true, body: await followServiceTagPages(sdk, body, target) };
      } catch (error) {
        const failure = failureFrom(error, context, target, 'Microsoft.Network/serviceTags');
        if (failure.kind === 'deleted') {
          return { ok: false, reason: `no service tags for location '${location}': ${failure.message}`, cause: 'client-error' };
        }
        return { ok: false, reason: failure.failure.message, cause: failure.failure.cause };
      }
    });

  const serviceTags = createServiceTagSource({
    fetch: fetchServiceTags,
    clock,
    ...(options.serviceTagCache ? { cache: options.serviceTagCache } : {}),
    ...(options.serviceTagsMaxAgeMs !== undefined ? { maxAgeMs: options.serviceTagsMaxAgeMs } : {}),
  });

  return {
    client,
    readInventory,
    listResources,
    readResource,
    readScopeResources,
    readServiceTags: (subscriptionId, location) => serviceTags.read(subscriptionId, location),
  };
}

let processReader: ArmReader | undefined;

/** The process's reader: DefaultAzureCredential, the SDK transport, the process-wide budget. */
export function defaultArmReader(): ArmReader {
  processReader ??= createArmReader();
  return processReader;
}

/** Full inventory of a subscription (sweep lane unless told otherwise). */
export function readInventory(
  subscriptionId: string,
  options: { lane?: ReadLane; reader?: ArmReader } = {},
): Promise<InventoryRead> {
  return (options.reader ?? defaultArmReader()).readInventory(subscriptionId, options.lane ? { lane: options.lane } : {});
}

/** One resource by id: found, deleted (404) or failed. */
export function readResource(id: string, options: { lane?: ReadLane; reader?: ArmReader } = {}): Promise<ResourceRead> {
  return (options.reader ?? defaultArmReader()).readResource(id, options.lane ? { lane: options.lane } : {});
}

/** The resources of a scope and what they reference, bounded by depth and count. */
export function readScopeResources(
  ids: readonly string[],
  options: ScopeReadOptions & { reader?: ArmReader } = {},
): Promise<ScopeRead> {
  const { reader, ...scopeOptions } = options;
  return (reader ?? defaultArmReader()).readScopeResources(ids, scopeOptions);
}

/** Service tags for a location, cached with their changeNumber. */
export function readServiceTags(
  subscriptionId: string,
  location: string,
  options: { reader?: ArmReader } = {},
): Promise<ServiceTagsRead> {
  return (options.reader ?? defaultArmReader()).readServiceTags(subscriptionId, location);
}

function defaultCredential(): TokenCredential {
  return appCredential(process.env[SETTINGS.managedIdentityClientId]);
}

/** The ARM path of a top-level resource, each name encoded as the SDK encodes path parameters. */
function resourcePath(top: NetworkRef): string {
  const segment = top.type.split('/')[1] ?? '';
  return `/subscriptions/${encodeURIComponent(top.subscriptionId)}/resourceGroups/${encodeURIComponent(top.resourceGroup)}/providers/Microsoft.Network/${segment}/${encodeURIComponent(top.name)}`;
}

/** One GET through the client's pipeline, its REST body parsed as it is (see listResources). */
async function getJson(sdk: NetworkManagementClient, endpoint: string, path: string, target: string): Promise<Record<string, unknown>> {
  const url = `${endpoint}${path}?api-version=${NETWORK_API_VERSION}`;
  const response = await sdk.sendRequest(createPipelineRequest({ url, method: 'GET' }));
  if (response.status !== 200) throw responseError(response);
  return bodyOf(response, target);
}

/** One step of a scope read: the top-level resource to GET and what to follow from it. */
interface Visit {
  requestedId: string;
  top: NetworkRef;
  depth: number;
  /** Visiting a VNet for one of its subnets: only that subnet's references are followed. */
  focusSubnet?: string;
  /** The id named a part of `top` (a rule, a subnet, a peering): it is checked to still exist. */
  child?: { collection: string; name: string };
}

const CHILD_COLLECTION: Partial<Record<NetworkRef['kind'], string>> = {
  securityRule: 'securityRules',
  defaultSecurityRule: 'defaultSecurityRules',
  subnet: 'subnets',
  virtualNetworkPeering: 'virtualNetworkPeerings',
  networkInterfaceIpConfiguration: 'ipConfigurations',
  bastionHostIpConfiguration: 'ipConfigurations',
};

function visitOf(ref: NetworkRef, requestedId: string, depth: number): Visit {
  const visit: Visit = { requestedId, top: topLevelRef(ref), depth };
  if (isTopLevel(ref.kind) || ref.childName === undefined) return visit;
  const collection = CHILD_COLLECTION[ref.kind];
  if (collection) visit.child = { collection, name: ref.childName };
  if (ref.kind === 'subnet') visit.focusSubnet = ref.childName;
  return visit;
}

/** The ids a resource points at that bear on its verdict (DESIGN §3: composition, ASGs, VNet). */
function referencesOf(visit: Visit, resource: unknown): string[] {
  const out: string[] = [];
  switch (visit.top.kind) {
    case 'networkSecurityGroup':
      out.push(...referenceIds(resource, 'subnets'), ...referenceIds(resource, 'networkInterfaces'), ...asgIdsNamedBy(resource));
      break;
    case 'virtualNetwork':
      for (const subnet of arrayField(resource, 'subnets')) {
        const name = field(subnet, 'name');
        if (visit.focusSubnet !== undefined && (typeof name !== 'string' || name.toLowerCase() !== visit.focusSubnet.toLowerCase())) {
          continue;
        }
        out.push(...optional(referenceId(subnet, 'networkSecurityGroup')), ...optional(referenceId(subnet, 'natGateway')));
        // A subnet's ipConfigurations name its NICs (and a Bastion host's configuration).
        out.push(...referenceIds(subnet, 'ipConfigurations'));
      }
      break;
    case 'networkInterface':
      out.push(...optional(referenceId(resource, 'networkSecurityGroup')));
      for (const config of arrayField(resource, 'ipConfigurations')) {
        out.push(...optional(referenceId(config, 'subnet')), ...referenceIds(config, 'applicationSecurityGroups'));
      }
      break;
    case 'natGateway':
      out.push(...referenceIds(resource, 'subnets'));
      break;
    case 'bastionHost':
      for (const config of arrayField(resource, 'ipConfigurations')) out.push(...optional(referenceId(config, 'subnet')));
      break;
    case 'applicationSecurityGroup':
      // An ASG does not list its members: they are found from the NICs that name it.
      break;
    case 'securityRule':
    case 'defaultSecurityRule':
    case 'subnet':
    case 'virtualNetworkPeering':
    case 'networkInterfaceIpConfiguration':
    case 'bastionHostIpConfiguration':
      break;
    default:
      return assertNever(visit.top.kind);
  }
  return out;
}

function hasChild(resource: unknown, child: { collection: string; name: string }): boolean {
  const wanted = child.name.toLowerCase();
  return arrayField(resource, child.collection).some((item) => {
    const name = field(item, 'name');
    return typeof name === 'string' && name.toLowerCase() === wanted;
  });
}

function optional(id: string | undefined): string[] {
  return id === undefined ? [] : [id];
}

/** The API leaves `type` out of some bodies (a subnet's GET); the estate keys resources by it. */
function withType(resource: unknown, type: string): unknown {
  if (typeof resource === 'object' && resource !== null && typeof (resource as { type?: unknown }).type !== 'string') {
    (resource as { type?: string }).type = type;
  }
  return resource;
}

type FailureOrDeleted = { kind: 'deleted'; message: string } | { kind: 'failed'; failure: ReadFailure };

function failureFrom(error: unknown, context: ReadContext, target: string, resourceType: string): FailureOrDeleted {
  const classified = classifyReadError(error);
  if (classified.kind === 'deleted') return classified;
  const failure: ReadFailure = {
    target,
    resourceType,
    cause: classified.cause,
    attempts: context.lastAttempts,
    message: describeFailure(classified, context),
  };
  if (classified.httpStatus !== undefined) failure.httpStatus = classified.httpStatus;
  return { kind: 'failed', failure };
}

function badIdFailure(id: string, error: string): ReadFailure {
  return { target: id, resourceType: 'unknown', cause: 'bad-id', attempts: 0, message: error };
}

function parseJsonObject(text: string | undefined, target: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${target}: the response is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${target}: the response is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The JSON body of a 200: the client's deserialization policy has already parsed it (as
 * `parsedBody`); the text is parsed only when it has not.
 */
function bodyOf(response: PipelineResponse, target: string): Record<string, unknown> {
  const parsed = (response as PipelineResponse & { parsedBody?: unknown }).parsedBody;
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  return parseJsonObject(response.bodyAsText ?? undefined, target);
}

/** A non-200 answer as the RestError the SDK would throw: status, and ARM's error code and message. */
function responseError(response: PipelineResponse): RestError {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const error = field(JSON.parse(response.bodyAsText ?? ''), 'error');
    const errorCode = field(error, 'code');
    const errorMessage = field(error, 'message');
    if (typeof errorCode === 'string') code = errorCode;
    if (typeof errorMessage === 'string' && errorMessage !== '') message = errorMessage;
  } catch {
    // Not JSON: the status says what there is to say.
  }
  return new RestError(message, { statusCode: response.status, response, ...(code === undefined ? {} : { code }) });
}

/** Newer API versions may page service tags: the pages' values are joined into one response. */
async function followServiceTagPages(
  sdk: NetworkManagementClient,
  first: Record<string, unknown>,
  target: string,
): Promise<Record<string, unknown>> {
  let nextLink = first['nextLink'];
  if (typeof nextLink !== 'string' || nextLink === '') return first;
  const values = [...arrayField(first, 'values')];
  for (let page = 1; typeof nextLink === 'string' && nextLink !== ''; page += 1) {
    if (page > 100) throw new Error(`${target}: more than 100 pages of service tags`);
    const response = await sdk.sendRequest(createPipelineRequest({ url: nextLink, method: 'GET' }));
    if (response.status !== 200) {
      throw responseError(response);
    }
    const body = bodyOf(response, target);
    values.push(...arrayField(body, 'values'));
    nextLink = body['nextLink'];
  }
  const joined: Record<string, unknown> = { ...first, values };
  delete joined['nextLink'];
  return joined;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async (): Promise<void> => {
    while (index < items.length) {
      const item = items[index] as T;
      index += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}


/**
 * Reads the current state of Microsoft.Network resources, and of the services that own or use a
 * subnet, from Azure Resource Manager: the full inventory of a subscription (fourteen
 * subscription-wide paged lists, then what they name: scale sets' instance NICs, gateways by
 * resource group with their connections and local network gateways, and one NIC's effective
 * routes per network behind a gateway), targeted reads of one resource or of a
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
import { createPipelineRequest, type HttpClient, type Pipeline } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { armTypeOf, kindOfId, normalizeId, parentId, parseResourceId, subscriptionOf } from '../arm/index.js';
import { SETTINGS } from '../config/names.js';
import { arrayField, field, referenceId, referenceIds } from '../estate/fields.js';
import type { ReadFailure } from './arm-errors.js';
import {
  DEFAULT_ARM_RETRY,
  SDK_DEFAULT_RETRY_POLICY_NAME,
  armReadPolicy,
  withReadContext,
  type ArmRetryOptions,
} from './arm-policy.js';
import { apiVersionOf, bodyOf, failureFrom, forEachLimited, NETWORK_API_VERSION, parseJsonObject, responseError, withType } from './arm-rest.js';
import { createTargetedReads } from './arm-targeted.js';
import { readEffectiveAdminRules, type EffectiveAdminRulesRead } from './arm-admin.js';
import {
  DEFAULT_READ_BUDGET,
  createReadBudgets,
  systemClock,
  type Clock,
  type ReadBudgetConfig,
  type ReadBudgets,
  type ReadLane,
} from './budget.js';
import { appCredential } from './clients.js';
import {
  createServiceTagSource,
  type ServiceTagCache,
  type ServiceTagsFetch,
  type ServiceTagsRead,
} from './servicetags.js';

export type { ReadFailure, ReadFailureCause } from './arm-errors.js';
export type { ReadLane } from './budget.js';
export type { EffectiveAdminRulesRead } from './arm-admin.js';

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
  /**
   * The effective routes of one NIC per network behind a gateway among `resources` (see
   * effectiveRouteProbes); a read refused (403, a VM not running) is left out, any other failure reported.
   */
  readLearnedRoutes(resources: readonly unknown[], options?: { lane?: ReadLane }): Promise<ListRead>;
  /** The security admin rules that apply to one virtual network (its effective security admin rules list). */
  readEffectiveAdminRules(virtualNetworkId: string, options?: { lane?: ReadLane }): Promise<EffectiveAdminRulesRead>;
  /** The SDK client for a subscription (built on first use; all share one pipeline). */
  client(subscriptionId: string): NetworkManagementClient;
}

export const DEFAULT_READ_CONCURRENCY = 8;

/**
 * The types of the inventory: one paged list each; subnets and peerings come inside their VNets.
 * Public IPs and load balancers give attachment points their public path (DESIGN §3): the
 * subscription-wide "List All" of each (https://learn.microsoft.com/rest/api/virtualnetwork/public-ip-addresses/list-all,
 * https://learn.microsoft.com/rest/api/virtualnetwork/load-balancers/list-all).
 */
export const INVENTORY_TYPES = [
  armTypeOf('networkSecurityGroup'),
  armTypeOf('virtualNetwork'),
  armTypeOf('networkInterface'),
  armTypeOf('natGateway'),
  armTypeOf('bastionHost'),
  armTypeOf('applicationSecurityGroup'),
  armTypeOf('publicIPAddress'),
  armTypeOf('loadBalancer'),
  // What VirtualNetwork holds and whether an endpoint is filtered (DESIGN §3): the subscription-wide
  // lists of route tables (https://learn.microsoft.com/rest/api/virtualnetwork/route-tables/list-all)
  // and private endpoints (https://learn.microsoft.com/rest/api/virtualnetwork/private-endpoints/list-by-subscription).
  armTypeOf('routeTable'),
  armTypeOf('privateEndpoint'),
  // The services that own or use a subnet (their documented NSG needs are rules): application
  // gateways by the network provider's "List All"
  // (https://learn.microsoft.com/rest/api/application-gateway/application-gateways/list-all, the
  // request NetworkManagementClient.applicationGateways.listAll sends), and outside
  // Microsoft.Network each provider's subscription-wide list: API Management
  // (https://learn.microsoft.com/rest/api/apimanagement/api-management-service/list), AKS
  // (https://learn.microsoft.com/rest/api/aks/managed-clusters/list), Entra Domain Services
  // (https://learn.microsoft.com/rest/api/aad-domainservices/domain-services/list). Reader covers
  // them all (its `*/read`, https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader),
  // and the deployed network reader role names each one's read action (infra/modules/subscription-reader.bicep):
  // a list that fails (403 included) fails the inventory like any other.
  armTypeOf('applicationGateway'),
  armTypeOf('apiManagementService'),
  armTypeOf('managedCluster'),
  armTypeOf('domainService'),
] as const;


/**
 * Prefixes a gateway learns over BGP are not in ARM: Azure's own expansion is the effective routes
 * of a NIC in the network, whose routes with source `VirtualNetworkGateway` are the gateway's
 * (https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get-effective-route-table,
 * https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#next-hop-types-across-azure-tools).
 * The read is the POST action `Microsoft.Network/networkInterfaces/effectiveRouteTable/action`, which
 * Reader and a read-only role lack: without it the read is refused and VirtualNetwork keeps what ARM holds.
 */
export const EFFECTIVE_ROUTES_ACTION = 'Microsoft.Network/networkInterfaces/effectiveRouteTable/action';

/** The type a NIC's effective route list is handed over under, with `networkInterface.id` naming the NIC. */
export const EFFECTIVE_ROUTE_TABLE_TYPE = armTypeOf('networkInterfaceEffectiveRouteTable');

/** Networks whose effective routes one inventory reads at most (one NIC each, a long-running POST). */
export const MAX_EFFECTIVE_ROUTE_READS = 20;

/**
 * A Uniform scale set's instance NICs are not in the NIC list: they are listed per scale set
 * (https://learn.microsoft.com/rest/api/virtualnetwork/network-interface-in-vm-ss/list-virtual-machine-scale-set-network-interfaces),
 * at the api-version the SDK pins for that operation group.
 */
export const SCALE_SET_NIC_API_VERSION = '2018-10-01';

/** Scale sets the inventory names (subnets' and pools' IP configurations, NSG back-references), by normalised id. */
export function scaleSetsNamedBy(resources: readonly unknown[]): Map<string, string> {
  const found = new Map<string, string>();
  const consider = (id: unknown) => {
    if (typeof id !== 'string') return;
    const match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/[^/]+)\/virtualMachines\//i.exec(id);
    if (match?.[1]) found.set(match[1].toLowerCase(), match[1]);
  };
  for (const resource of resources) {
    for (const subnet of arrayField(resource, 'subnets')) for (const config of arrayField(subnet, 'ipConfigurations')) consider(field(config, 'id'));
    for (const pool of arrayField(resource, 'backendAddressPools')) for (const config of arrayField(pool, 'backendIPConfigurations')) consider(field(config, 'id'));
    for (const nic of arrayField(resource, 'networkInterfaces')) consider(field(nic, 'id'));
  }
  return found;
}

export type InventoryType = (typeof INVENTORY_TYPES)[number];

/** How often the effective-routes poller asks, where ARM's answer names no Retry-After. */
const EFFECTIVE_ROUTES_POLL_MS = 1000;

/** Gateways the inventory's GatewaySubnets name (their IP configurations are the gateway's). */
export function gatewaysNamedBy(resources: readonly unknown[]): string[] {
  const found = new Map<string, string>();
  for (const resource of resources) {
    for (const subnet of arrayField(resource, 'subnets')) {
      for (const config of referenceIds(subnet, 'ipConfigurations')) {
        const owner = parentId(config);
        if (owner !== undefined && kindOfId(owner) === 'virtualNetworkGateway') found.set(normalizeId(owner), owner);
      }
    }
  }
  return [...found.values()];
}

/**
 * One NIC per network behind a gateway whose effective routes show what the gateway learned: a
 * NIC on a VM (effective routes need one running), in a subnet of that network whose route table,
 * if any, does not turn gateway route propagation off
 * (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol).
 */
export function effectiveRouteProbes(resources: readonly unknown[]): string[] {
  const typeOf = (r: unknown): string => String(field(r, 'type') ?? '').toLowerCase();
  const networks = new Set<string>();
  for (const resource of resources) {
    if (typeOf(resource) !== armTypeOf('virtualNetwork').toLowerCase()) continue;
    const id = field(resource, 'id');
    if (typeof id !== 'string') continue;
    if (gatewaysNamedBy([resource]).length > 0) networks.add(normalizeId(id));
  }
  // Spokes using a hub's gateway learn its routes too.
  for (const resource of resources) {
    if (typeOf(resource) !== armTypeOf('virtualNetwork').toLowerCase()) continue;
    const id = field(resource, 'id');
    if (typeof id !== 'string') continue;
    for (const peering of arrayField(resource, 'virtualNetworkPeerings')) {
      const remote = referenceId(peering, 'remoteVirtualNetwork');
      const state = field(peering, 'peeringState');
      if (field(peering, 'useRemoteGateways') === true && remote !== undefined && (state === undefined || String(state).toLowerCase() === 'connected')) {
        networks.add(normalizeId(id));
      }
    }
  }
  const noPropagation = new Set<string>();
  for (const resource of resources) {
    const id = field(resource, 'id');
    if (typeOf(resource) === armTypeOf('routeTable').toLowerCase() && typeof id === 'string' && field(resource, 'disableBgpRoutePropagation') === true) {
      noPropagation.add(normalizeId(id));
    }
  }
  const subnetsWithoutPropagation = new Set<string>();
  for (const resource of resources) {
    for (const subnet of arrayField(resource, 'subnets')) {
      const table = referenceId(subnet, 'routeTable');
      const id = field(subnet, 'id');
      if (table !== undefined && typeof id === 'string' && noPropagation.has(normalizeId(table))) subnetsWithoutPropagation.add(normalizeId(id));
    }
  }
  const best = new Map<string, { id: string; rank: number }>();
  for (const resource of resources) {
    if (typeOf(resource) !== armTypeOf('networkInterface').toLowerCase()) continue;
    const id = field(resource, 'id');
    if (typeof id !== 'string' || referenceId(resource, 'virtualMachine') === undefined) continue;
    for (const config of arrayField(resource, 'ipConfigurations')) {
      const subnet = referenceId(config, 'subnet');
      const vnet = subnet === undefined ? undefined : parentId(normalizeId(subnet));
      if (vnet === undefined || !networks.has(vnet)) continue;
      const rank = subnetsWithoutPropagation.has(normalizeId(subnet ?? '')) ? 1 : 0;
      const known = best.get(vnet);
      if (!known || rank < known.rank || (rank === known.rank && normalizeId(id) < normalizeId(known.id))) best.set(vnet, { id, rank });
    }
  }
  return [...best.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, probe]) => probe.id);
}

function optionalId(id: string | undefined): string[] {
  return id === undefined ? [] : [id];
}

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
    const first = `${endpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/${type}?api-version=${apiVersionOf(type)}`;
    return pageThrough(subscriptionId, first, target, type, listOptions);
  }

  /** A list under a resource group or resource (path from the subscription on); a parent gone (404) has none. */
  async function listUnder(subscriptionId: string, path: string, target: string, type: string, lane: ReadLane): Promise<ListRead> {
    return pageThrough(subscriptionId, `${endpoint}${path}?api-version=${NETWORK_API_VERSION}`, target, type, { lane }, true);
  }

  /** The resources of one type in one resource group. */
  function listInGroup(subscriptionId: string, group: string, type: string, lane: ReadLane): Promise<ListRead> {
    const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(group)}/providers/${type}`;
    return listUnder(subscriptionId, path, `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${type}`, type, lane);
  }

  /**
   * Gateways (per resource group named by a GatewaySubnet), each gateway's connections, and the
   * local network gateways (per resource group named by a connection). None of them has a
   * subscription-wide list: gateways and local network gateways are listed per resource group
   * (https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways/list,
   * https://learn.microsoft.com/rest/api/network-gateway/local-network-gateways/list), a gateway's
   * connections under it (https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways/list-connections).
   */
  async function readGateways(subscriptionId: string, resources: readonly unknown[], lane: ReadLane): Promise<ListRead[]> {
    const inSubscription = (id: string): boolean => subscriptionOf(id)?.toLowerCase() === subscriptionId.toLowerCase();
    const groupsOf = (ids: Iterable<string>): string[] => {
      const groups = new Map<string, string>();
      for (const id of ids) {
        const group = parseResourceId(id)?.resourceGroup;
        if (group !== undefined && inSubscription(id)) groups.set(group.toLowerCase(), group);
      }
      return [...groups.values()];
    };
    const lists: ListRead[] = [];
    const gatewayGroups = groupsOf(gatewaysNamedBy(resources));
    const gatewayLists = await Promise.all(gatewayGroups.map((g) => listInGroup(subscriptionId, g, armTypeOf('virtualNetworkGateway'), lane)));
    lists.push(...gatewayLists);
    const gateways = gatewayLists.flatMap((l) => l.resources).flatMap((g) => {
      const id = field(g, 'id');
      return typeof id === 'string' ? [id] : [];
    });
    const connectionLists: ListRead[] = [];
    await forEachLimited(gateways, concurrency, async (gatewayId) => {
      const path = `${gatewayId.split('/').map(encodeURIComponent).join('/')}/connections`;
      connectionLists.push(await listUnder(subscriptionId, path, `${gatewayId}/connections`, armTypeOf('virtualNetworkGatewayConnection'), lane));
    });
    lists.push(...connectionLists);
    const locals = connectionLists.flatMap((l) => l.resources).flatMap((c) => optionalId(referenceId(c, 'localNetworkGateway2')));
    lists.push(...(await Promise.all(groupsOf(locals).map((g) => listInGroup(subscriptionId, g, armTypeOf('localNetworkGateway'), lane)))));
    return lists;
  }

  /**
   * Azure's own expansion of VirtualNetwork where a gateway learns routes: the effective routes of
   * one NIC per network behind a gateway (its own, or its hub's through useRemoteGateways). The
   * routes need the NIC on a running VM, so NICs with a VM are taken, first those whose subnet's
   * route table lets gateway routes propagate. A refused read is left out: VirtualNetwork then keeps
   * what ARM holds, and the evidence says so.
   */
  async function readEffectiveRoutes(resources: readonly unknown[], lane: ReadLane): Promise<ListRead> {
    const nics = effectiveRouteProbes(resources).slice(0, MAX_EFFECTIVE_ROUTE_READS);
    const tables: unknown[] = [];
    let failure: ReadFailure | undefined;
    let reads = 0;
    await forEachLimited(nics, concurrency, async (nicId) => {
      const parsed = parseResourceId(nicId);
      if (!parsed?.resourceGroup) return;
      const subscriptionId = parsed.subscriptionId;
      const read = await withReadContext(lane, async (context) => {
        try {
          const result = await client(subscriptionId).networkInterfaces.beginGetEffectiveRouteTableAndWait(parsed.resourceGroup ?? '', parsed.name, {
            updateIntervalInMs: EFFECTIVE_ROUTES_POLL_MS,
          });
          // The list as ARM sent it, with the NIC it is of: the response names none.
          return { table: { type: EFFECTIVE_ROUTE_TABLE_TYPE, networkInterface: { id: nicId }, value: result.value ?? [] }, reads: context.requests };
        } catch (error) {
          // Refused (the role lacks the action), or not answerable (the VM is not running, the NIC
          // is gone): VirtualNetwork keeps what ARM holds and says so. Anything else (throttling,
          // server errors after retries) leaves the gateway's routes unknown: the read failed.
          const outcome = failureFrom(error, context, `${nicId}/effectiveRouteTable`, EFFECTIVE_ROUTE_TABLE_TYPE);
          const refused = outcome.kind === 'deleted' || outcome.failure.cause === 'denied' || outcome.failure.cause === 'client-error';
          return { table: undefined, failure: refused ? undefined : outcome.failure, reads: context.requests };
        }
      });
      reads += read.reads;
      if (read.table) tables.push(read.table);
      failure ??= read.failure;
    });
    return { resources: tables, failure, reads };
  }

  /** The instance NICs of one scale set; a scale set gone since (404) has none. */
  async function listScaleSetNics(scaleSetId: string, lane: ReadLane): Promise<ListRead> {
    const subscriptionId = scaleSetId.split('/')[2] ?? '';
    const path = scaleSetId.split('/').map(encodeURIComponent).join('/');
    const first = `${endpoint}${path}/networkInterfaces?api-version=${SCALE_SET_NIC_API_VERSION}`;
    const read = await pageThrough(subscriptionId, first, `${scaleSetId}/networkInterfaces`, armTypeOf('networkInterface'), { lane }, true);
    return read;
  }

  async function pageThrough(subscriptionId: string, first: string, target: string, type: string, listOptions: ListOptions, goneIsEmpty = false): Promise<ListRead> {
    const keep = listOptions.keep ?? (() => true);
    return withReadContext(listOptions.lane ?? 'sweep', async (context) => {
      const sdk = client(subscriptionId);
      const resources: unknown[] = [];
      let pagesRead = 0;
      let url: unknown = first;
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
        if (failure.kind === 'deleted' && goneIsEmpty) return { resources, failure: undefined, reads: context.requests };
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
    // Then the instance NICs of every scale set the lists name, a few at a time (they share the budget).
    const scaleSets = [...scaleSetsNamedBy(lists.flatMap((l) => l.resources)).values()];
    await forEachLimited(scaleSets, concurrency, async (scaleSetId) => {
      lists.push(await listScaleSetNics(scaleSetId, lane));
    });
    if (!readOptions.types) {
      lists.push(...(await readGateways(subscriptionId, lists.flatMap((l) => l.resources), lane)));
      lists.push(await readEffectiveRoutes(lists.flatMap((l) => l.resources), lane));
    }
    return {
      resources: lists.flatMap((l) => l.resources),
      failures: lists.flatMap((l) => (l.failure ? [l.failure] : [])),
      reads: lists.reduce((sum, l) => sum + l.reads, 0),
    };
  }

  const { readResource, readScopeResources } = createTargetedReads({ client, endpoint, concurrency, listUnder, listScaleSetNics });

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
    readLearnedRoutes: (resources, learnedOptions = {}) => readEffectiveRoutes(resources, learnedOptions.lane ?? 'event'),
    readEffectiveAdminRules: (virtualNetworkId, readOptions) => readEffectiveAdminRules(client, endpoint, virtualNetworkId, readOptions?.lane ?? 'event'),
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


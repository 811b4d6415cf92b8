/**
 * Reads what one scope's verdicts depend on, instead of the whole subscription: the scope
 * resource and its references first, then whatever contextNeeds (context.ts) still finds missing,
 * round by round, until the estate read so far holds the full context of everything the scope
 * affects. Judged from that estate, each affected resource gets the verdict a full sweep would
 * give it; nothing outside the affected set is judged.
 *
 * Every resource is read fresh for this evaluation (events are hints, never data). A failed read
 * fails the evaluation. When the context outgrows the limit, the caller reads the whole
 * inventory instead: past that point a few paged lists cost ARM less than many GETs.
 */
import type { Scope } from '../azure/scopes.js';
import { kindOfId, normalizeId, parentId, parseResourceId, subscriptionOf, topLevelKey } from '../arm/index.js';
import { arrayField, asgIdsNamedBy, field, referenceId, referenceIds } from '../estate/fields.js';
import { createEstateLoader } from '../estate/load.js';
import type { Estate } from '../estate/model.js';
import type { AffectedResources, PreviousGuards } from './affected.js';
import { contextNeeds, type ContextNeeds } from './context.js';
import type { ListedType, ReadFailure, ResourcesRead, TargetedReads } from './types.js';
import { assertNever } from '../nsg/index.js';

export interface TargetedLimits {
  /** Resources read by id at most (lists not counted) before giving up for the full inventory. */
  maxResources: number;
  /** Rounds of reads at most. */
  maxRounds: number;
  /**
   * Reference hops the first round follows from the scope resource. Four take an NSG to its NICs,
   * their subnets, what the subnets use (route tables, NAT and VPN gateways) and a step beyond (a
   * gateway's connections): on the bench estates about one round of reads fewer than three, for as
   * many requests (each later round follows no reference; context.ts says what is still missing).
   */
  firstDepth: number;
}

export const DEFAULT_TARGETED_LIMITS: TargetedLimits = { maxResources: 100, maxRounds: 8, firstDepth: 4 };

export type ScopeEstateRead =
  | { kind: 'read'; estate: Estate; affected: AffectedResources; reads: number; rounds: number }
  | { kind: 'failed'; failures: ReadFailure[]; reads: number }
  /** The context is larger than the limits: read the whole inventory instead. */
  | { kind: 'too-large'; reason: string; reads: number };

const NSGS = 'Microsoft.Network/networkSecurityGroups' satisfies ListedType;
const NICS = 'Microsoft.Network/networkInterfaces' satisfies ListedType;
const BASTIONS = 'Microsoft.Network/bastionHosts' satisfies ListedType;
/** The services that own or use a subnet: listed once when a subnet or NSG is judged (context.ts). */
const SERVICES = [
  'Microsoft.Network/applicationGateways',
  'Microsoft.ApiManagement/service',
  'Microsoft.ContainerService/managedClusters',
  'Microsoft.AAD/domainServices',
] as const satisfies readonly ListedType[];
/** What public paths start from: listed once when an attachment point is judged (context.ts), and taken whole. */
const PATHS = ['Microsoft.Network/loadBalancers', 'Microsoft.Network/publicIPAddresses'] as const satisfies readonly ListedType[];

export async function readScopeEstate(
  source: TargetedReads,
  scope: Scope,
  limits: TargetedLimits = DEFAULT_TARGETED_LIMITS,
  previous?: PreviousGuards,
): Promise<ScopeEstateRead> {
  /** Top-level key → the resource as read. */
  const read = new Map<string, unknown>();
  /** Top-level keys asked for (read, deleted or merely referenced by a deleted child). */
  const asked = new Set<string>();
  const lists = new Map<ListedType, Listed[]>();
  let reads = 0;
  /** Resources read by id: what the limit counts (listed ones cost their list's pages, already paid). */
  let fetched = 0;

  const take = (result: ResourcesRead, requested: readonly string[]): void => {
    reads += result.reads;
    for (const resource of result.resources) {
      const id = field(resource, 'id');
      if (typeof id !== 'string') continue;
      // A scale-set instance's NIC lives under the scale set: it is a resource of its own.
      const key = kindOfId(id) === 'scaleSetNetworkInterface' ? normalizeId(id) : topLevelKey(id);
      // The inventory a sweep judges from is the subscription's own: so is this one.
      if (subscriptionOf(key) !== scope.subscriptionId) continue;
      read.set(key, resource);
      asked.add(key);
    }
    for (const id of [...result.deleted, ...requested]) asked.add(topLevelKey(id));
  };

  let pending: string[] = [scope.id];
  let listed: Listed[] = [];
  let depth = limits.firstDepth;
  // ASG members lend their addresses and nothing else: unless the scope's reach depends on them (a
  // NIC's, an ASG's), they join the estate once the rest is complete, and are loaded once.
  let defer = scope.kind !== 'nic' && scope.kind !== 'asg';
  const members = new Map<string, unknown>();
  // What Azure evaluates around the NSGs of the networks read (their security admin rules, the
  // routes their gateways learned): read once the rest is complete, and loaded with the members.
  let layers: unknown[] | undefined;
  const estateOf = roundEstates(`arm:${scope.id}`);
  for (let round = 1; round <= limits.maxRounds; round += 1) {
    if (pending.length > 0) {
      const room = limits.maxResources - fetched;
      if (room <= 0) return tooLarge(`its context exceeds ${limits.maxResources} resources`, reads);
      const result = await source.readResources(pending, { depth, maxResources: room });
      if (result.failures.length > 0) return { kind: 'failed', failures: result.failures, reads: reads + result.reads };
      if (result.limited) return tooLarge(`its context exceeds ${limits.maxResources} resources`, reads + result.reads);
      take(result, pending);
      fetched += result.resources.length;
    }
    for (const { key, resource } of listed) {
      if (defer && String(field(resource, 'type')).toLowerCase() === NICS.toLowerCase()) members.set(key, resource);
      else read.set(key, resource);
      asked.add(key);
    }

    const estate = estateOf([...read.values(), ...(layers ?? [])]);
    if (round === 1) {
      const unled = unledScope(estate, scope);
      if (unled !== undefined) return tooLarge(unled, reads);
    }
    const needs = contextNeeds(estate, scope, previous);

    // Lists answer what no reference leads to: ASG members, NSGs naming an ASG, NSGs attached to
    // nothing, the Bastions of a network's peers.
    const wanted: ListedType[] = [];
    if (needs.bastionNetworks.size > 0) wanted.push(BASTIONS);
    if (needs.asgMembers.size > 0) wanted.push(NICS);
    if (needs.nsgsNamingAsgs.size > 0 || needs.unattachedNsgs || needs.nodeResourceGroups.size > 0) wanted.push(NSGS);
    if (needs.services) wanted.push(...SERVICES);
    if (needs.publicPaths) wanted.push(...PATHS);
    const unlisted = wanted.filter((type) => !lists.has(type));
    if (unlisted.length > 0) {
      const results = await Promise.all(unlisted.map((type) => source.listResources(scope.subscriptionId, type)));
      const failures = results.flatMap((r) => r.failures);
      reads += results.reduce((n, r) => n + r.reads, 0);
      if (failures.length > 0) return { kind: 'failed', failures, reads };
      unlisted.forEach((type, i) => lists.set(type, (results[i]?.resources ?? []).flatMap((r) => listedOf(type, r) ?? [])));
    }
    // What the lists add is taken in at the start of the next round, with whatever else it reads.
    listed = [...listedContext(lists, needs)].filter(({ key }) => !read.has(key) && !members.has(key));

    pending = needs.missing.filter((id) => !asked.has(topLevelKey(id)));
    if (pending.length > 0 || listed.length > 0) {
      // More to read: the layers are read again once it is complete (their networks may change).
      layers = undefined;
    } else if (layers !== undefined) {
      return { kind: 'read', estate, affected: needs.affected, reads, rounds: round };
    } else {
      // Complete but for the members and the layers. The layers' networks are the judged points'
      // (networksOf); the member NICs are candidates for a network's effective routes, as in the inventory.
      for (const [key, member] of members) read.set(key, member);
      const deferred = members.size;
      members.clear();
      defer = false;
      const layered = await networkLayers(source, estate, [...read.values()], needs.affected.resources);
      reads += layered.reads;
      if (layered.failures.length > 0) return { kind: 'failed', failures: layered.failures, reads };
      if (deferred === 0) {
        const complete = layered.documents.length === 0 ? estate : estateOf([...read.values(), ...layered.documents]);
        return { kind: 'read', estate: complete, affected: needs.affected, reads, rounds: round };
      }
      // One more round loads the members with the layers, and must ask for nothing more.
      layers = layered.documents;
    }
    depth = 0;
  }
  return tooLarge(`its context was not complete after ${limits.maxRounds} rounds of reads`, reads);
}

/**
 * Scopes whose reach no reference leads to from the resource itself: a local network gateway's
 * connections name it, not it them; a gateway or connection gone no longer says which network it
 * served. Only the whole inventory (its gateways and their connections) answers them.
 */
function unledScope(estate: Estate, scope: Scope): string | undefined {
  switch (scope.kind) {
    case 'localNetworkGateway':
      return 'the connections naming a local network gateway are found only from the gateways';
    case 'virtualNetworkGateway':
      return estate.virtualNetworkGateways.has(scope.id) ? undefined : 'a gateway gone no longer names its network';
    case 'gatewayConnection':
      return estate.gatewayConnections.has(scope.id) ? undefined : 'a connection gone no longer names its gateways';
    default:
      return undefined;
  }
}

/**
 * The documents of what Azure evaluates around the NSGs here: the effective routes the inventory
 * would hold for this context (only where a gateway serves a network read), and the security
 * admin rules of the networks the judged points sit in (DESIGN §3 "Composition").
 */
async function networkLayers(
  source: TargetedReads,
  estate: Estate,
  resources: unknown[],
  judged: ReadonlySet<string>,
): Promise<{ documents: unknown[]; failures: ReadFailure[]; reads: number }> {
  const gateways = estate.virtualNetworkGateways.size > 0 || [...estate.peerings.values()].some((p) => p.useRemoteGateways === true);
  const networks = networksOf(estate, judged);
  const [learned, admin] = await Promise.all([
    source.readLearnedRoutes && gateways ? source.readLearnedRoutes(resources) : undefined,
    source.readNetworkDocuments && networks.length > 0 ? source.readNetworkDocuments(networks) : undefined,
  ]);
  return {
    documents: [...(learned?.resources ?? []), ...(admin?.documents ?? [])],
    failures: [...(learned?.failures ?? []), ...(admin?.failures ?? [])],
    reads: (learned?.reads ?? 0) + (admin?.reads ?? 0),
  };
}

/**
 * The estate of what a targeted read holds each round. A round mostly adds resources after those
 * already held: only those are read into the estate, and each resource is read once however many
 * rounds it takes part in. Anything else (the layers read again, before resources added after
 * them) loads the lot afresh. Either way the estate is the one all the resources, in their order,
 * load into.
 */
function roundEstates(source: string): (resources: readonly unknown[]) => Estate {
  let loader = createEstateLoader();
  let held: readonly unknown[] = [];
  let last: Estate | undefined;
  return (resources) => {
    const appended = held.length <= resources.length && held.every((resource, i) => resources[i] === resource);
    if (!appended) {
      loader = createEstateLoader();
      held = [];
    }
    if (last !== undefined && appended && held.length === resources.length) return last;
    loader.add({ source, json: resources.slice(held.length) });
    held = [...resources];
    last = loader.estate();
    return last;
  };
}

function tooLarge(reason: string, reads: number): ScopeEstateRead {
  return { kind: 'too-large', reason, reads };
}

/** A listed resource with what decides whether it is needed, worked out once per list. */
interface Listed {
  resource: unknown;
  key: string;
  /** ASG keys: a NIC's memberships, or the ASGs an NSG's rules name. */
  asgs: string[];
  /** An NSG's: attached to no subnet and no NIC. */
  unattached: boolean;
  /** A Bastion's: the networks of its subnets. */
  networks: string[];
  /** An NSG's resource group, lower case. */
  group?: string | undefined;
}

function listedOf(type: ListedType, resource: unknown): Listed | undefined {
  const id = field(resource, 'id');
  if (typeof id !== 'string') return undefined;
  const listed = (fields: Partial<Listed>): Listed => ({ resource, key: topLevelKey(id), asgs: [], unattached: false, networks: [], ...fields });
  switch (type) {
    case NICS: {
      // The NIC list answers one question, which NICs are in an ASG: a NIC in none is never needed.
      const asgs = arrayField(resource, 'ipConfigurations').flatMap((c) => referenceIds(c, 'applicationSecurityGroups').map(normalizeId));
      return asgs.length === 0 ? undefined : listed({ asgs });
    }
    case NSGS:
      return listed({
        unattached: referenceIds(resource, 'subnets').length === 0 && referenceIds(resource, 'networkInterfaces').length === 0,
        group: parseResourceId(id)?.resourceGroup?.toLowerCase(),
        asgs: asgIdsNamedBy(resource).map(normalizeId),
      });
    case BASTIONS:
      return listed({
        networks: arrayField(resource, 'ipConfigurations').flatMap((c) => {
          const subnet = referenceId(c, 'subnet');
          return subnet === undefined ? [] : [parentId(normalizeId(subnet)) ?? ''];
        }),
      });
    case 'Microsoft.Network/applicationGateways':
    case 'Microsoft.ApiManagement/service':
    case 'Microsoft.ContainerService/managedClusters':
    case 'Microsoft.AAD/domainServices':
    case 'Microsoft.Network/loadBalancers':
    case 'Microsoft.Network/publicIPAddresses':
      // Taken whole when wanted (listedContext): nothing to work out.
      return listed({});
    default:
      return assertNever(type, 'list');
  }
}

/**
 * The listed resources some verdict depends on: NICs in the ASGs that matter, the NSGs asked for,
 * the Bastions serving, and every service, load balancer and public IP of the subscription (as the
 * inventory holds them all).
 */
function* listedContext(lists: ReadonlyMap<ListedType, Listed[]>, needs: ContextNeeds): Generator<Listed> {
  if (needs.services) for (const type of SERVICES) yield* lists.get(type) ?? [];
  if (needs.publicPaths) for (const type of PATHS) yield* lists.get(type) ?? [];
  if (needs.bastionNetworks.size > 0) {
    for (const bastion of lists.get(BASTIONS) ?? []) if (bastion.networks.some((n) => needs.bastionNetworks.has(n))) yield bastion;
  }
  if (needs.asgMembers.size > 0) {
    for (const nic of lists.get(NICS) ?? []) if (nic.asgs.some((a) => needs.asgMembers.has(a))) yield nic;
  }
  if (needs.nsgsNamingAsgs.size > 0 || needs.unattachedNsgs || needs.nodeResourceGroups.size > 0) {
    for (const nsg of lists.get(NSGS) ?? []) {
      const owned = nsg.group !== undefined && needs.nodeResourceGroups.has(nsg.group);
      if (owned || (needs.unattachedNsgs && nsg.unattached) || nsg.asgs.some((a) => needs.nsgsNamingAsgs.has(a))) yield nsg;
    }
  }
}

/**
 * The virtual networks whose security admin rules a verdict here depends on: the networks read,
 * the networks of the subnets read, and those of the judged NICs and scale sets. Every point
 * judged sits in one of them. An ASG member that is not judged lends its addresses and nothing
 * else: its network's admin rules decide none of these verdicts, and are not asked for.
 */
function networksOf(estate: Estate, judged: ReadonlySet<string>): string[] {
  const found = new Map<string, string>();
  const add = (id: string | undefined) => {
    if (id !== undefined && !found.has(normalizeId(id))) found.set(normalizeId(id), id);
  };
  for (const vnet of estate.virtualNetworks.values()) add(vnet.id);
  for (const subnet of estate.subnets.values()) add(subnet.virtualNetwork.id);
  for (const nic of estate.networkInterfaces.values()) {
    if (!judged.has(nic.key)) continue;
    for (const config of nic.ipConfigurations) add(config.subnet ? parentId(config.subnet.id) : undefined);
  }
  for (const scaleSet of estate.scaleSets.values()) {
    if (!judged.has(scaleSet.key)) continue;
    for (const nicConfig of scaleSet.networkInterfaceConfigurations) for (const config of nicConfig.ipConfigurations) add(config.subnet ? parentId(config.subnet.id) : undefined);
  }
  return [...found.values()];
}

/**
 * Targeted reads: a resource by id, and the resources a scope reaches through its references,
 * hop by hop up to a depth and a count (DESIGN §7: events are hints, the state is re-read). Child
 * ids (a rule, a subnet) are read through their top-level resource; a 404 means deleted.
 */
import type { NetworkManagementClient } from '@azure/arm-network';
import { armTypeOf, isTopLevel, kindOfId, kindOfType, normalizeId, parentId, parseNetworkRef, parseResourceId, topLevelRef, type NetworkRef, type ResourceKind } from '../arm/index.js';
import { arrayField, asgIdsNamedBy, field, referenceId, referenceIds } from '../estate/fields.js';
import { isSecurityAdminKind } from '../estate/kinds.js';
import { assertNever } from '../nsg/index.js';
import type { ArmReader, ListRead, ResourceRead, ScopeRead, ScopeReadOptions } from './arm.js';
import type { ReadFailure } from './arm-errors.js';
import { withReadContext } from './arm-policy.js';
import { apiVersionOf, badIdFailure, failureFrom, forEachLimited, getJson, resourcePath, withType } from './arm-rest.js';
import type { ReadLane } from './budget.js';

export const DEFAULT_SCOPE_DEPTH = 3;
export const DEFAULT_SCOPE_MAX_RESOURCES = 500;

export interface TargetedReadDeps {
  client(subscriptionId: string): NetworkManagementClient;
  endpoint: string;
  concurrency: number;
  /** Lists what a resource's GET does not carry: a gateway's connections. */
  listUnder(subscriptionId: string, path: string, target: string, type: string, lane: ReadLane): Promise<ListRead>;
  /** A scale set's instance NICs (none when it is gone). */
  listScaleSetNics(scaleSetId: string, lane: ReadLane): Promise<ListRead>;
}

/**
 * Services outside Microsoft.Network whose subnets a verdict depends on: read by a GET of their
 * own provider (at its api-version, arm-rest.ts), followed to the subnets they name
 * (https://learn.microsoft.com/rest/api/apimanagement/api-management-service/get,
 * https://learn.microsoft.com/rest/api/aks/managed-clusters/get,
 * https://learn.microsoft.com/rest/api/aad-domainservices/domain-services/get).
 */
const SERVICE_KINDS: ReadonlySet<ResourceKind> = new Set(['apiManagementService', 'managedCluster', 'domainService']);

/** The subnets a service resource names: API Management's, AKS node pools', Domain Services' replica sets'. */
export function serviceSubnets(resource: unknown): string[] {
  const ids = [
    field(field(resource, 'virtualNetworkConfiguration'), 'subnetResourceId'),
    ...arrayField(resource, 'agentPoolProfiles').map((pool) => field(pool, 'vnetSubnetID')),
    field(resource, 'subnetId'),
    ...arrayField(resource, 'replicaSets').map((set) => field(set, 'subnetId')),
  ];
  return ids.filter((id): id is string => typeof id === 'string' && id !== '');
}

/** A Uniform or Flexible scale set's id: its state, as far as verdicts go, is its instance NICs. */
const SCALE_SET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/[^/]+$/i;

export function createTargetedReads({ client, endpoint, concurrency, listUnder, listScaleSetNics }: TargetedReadDeps): Pick<ArmReader, 'readResource' | 'readScopeResources'> {
  /**
   * GETs the top-level resource `ref` names (refs of child kinds are read through their parent),
   * with what only a list under it holds: a gateway's connections
   * (https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateways/list-connections),
   * and the local network gateways they connect to. Those end the chain (they name nothing), and
   * their address spaces are what VirtualNetwork takes from the gateway (DESIGN §3): read with the
   * gateway, they cost no round of their own.
   */
  async function readTop(ref: NetworkRef, lane: ReadLane): Promise<{ read: ResourceRead; reads: number; companions: unknown[]; gone: string[] }> {
    const top = topLevelRef(ref);
    const found = await readOne(top, lane);
    if (top.kind !== 'virtualNetworkGateway' || found.read.status !== 'found') return { ...found, companions: [], gone: [] };
    const path = `${topLevelPath(top)}/connections`;
    const listed = await listUnder(top.subscriptionId, path, `${top.id}/connections`, armTypeOf('virtualNetworkGatewayConnection'), lane);
    let reads = found.reads + listed.reads;
    const failed = (failure: ReadFailure) => ({ read: { status: 'failed', id: top.id, reason: failure.message, failure } as const, reads, companions: [], gone: [] });
    if (listed.failure) return failed(listed.failure);
    const locals = new Map<string, NetworkRef>();
    for (const connection of listed.resources) {
      const id = referenceId(connection, 'localNetworkGateway2');
      const parsed = id === undefined ? undefined : parseNetworkRef(id);
      if (parsed?.ok) locals.set(normalizeId(parsed.ref.id), topLevelRef(parsed.ref));
    }
    const companions: unknown[] = [...listed.resources];
    const gone: string[] = [];
    let failure: ReadFailure | undefined;
    await forEachLimited([...locals.values()], concurrency, async (local) => {
      const read = await readOne(local, lane);
      reads += read.reads;
      if (read.read.status === 'found') companions.push(read.read.resource);
      else if (read.read.status === 'deleted') gone.push(local.id);
      else failure ??= read.read.failure;
    });
    if (failure) return failed(failure);
    return { read: found.read, reads, companions, gone };
  }

  async function readOne(top: NetworkRef, lane: ReadLane): Promise<{ read: ResourceRead; reads: number }> {
    return withReadContext(lane, async (context) => {
      try {
        const resource = await getJson(client(top.subscriptionId), endpoint, topLevelPath(top), top.id);
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

  /** A service outside Microsoft.Network, by a GET of its own provider at that provider's api-version. */
  async function readService(id: string, lane: ReadLane): Promise<{ read: ResourceRead; reads: number }> {
    const parsed = parseResourceId(id);
    const type = parsed?.resourceType;
    if (!parsed?.resourceGroup || type === undefined) {
      const failure = badIdFailure(id, `ARM id '${id}' names no resource group and type`);
      return { read: { status: 'failed', id, reason: failure.message, failure }, reads: 0 };
    }
    const path = resourcePath(parsed.subscriptionId, parsed.resourceGroup, type, parsed.name);
    return withReadContext(lane, async (context) => {
      try {
        const resource = await getJson(client(parsed.subscriptionId), endpoint, path, id, apiVersionOf(type));
        return { read: { status: 'found', id, resource: withType(resource, type) }, reads: context.requests };
      } catch (error) {
        const failure = failureFrom(error, context, id, type);
        if (failure.kind === 'deleted') return { read: { status: 'deleted', id }, reads: context.requests };
        return { read: { status: 'failed', id, reason: failure.failure.message, failure: failure.failure }, reads: context.requests };
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
    return (await readOne(topLevelRef(ref), readOptions.lane ?? 'event')).read;
  }

  /** A subnet has a GET of its own; the API leaves `type` out of it. */
  async function readSubnet(ref: NetworkRef, lane: ReadLane): Promise<ResourceRead> {
    return withReadContext(lane, async (context) => {
      try {
        const path = `${topLevelPath(topLevelRef(ref))}/subnets/${encodeURIComponent(ref.childName ?? '')}`;
        const subnet = await getJson(client(ref.subscriptionId), endpoint, path, ref.id);
        return { status: 'found', id: ref.id, resource: withType(subnet, armTypeOf('subnet')) };
      } catch (error) {
        const failure = failureFrom(error, context, ref.id, armTypeOf('subnet'));
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
    /** Resources read by a list rather than a GET (a gateway's connections, a scale set's NICs): their references are followed. */
    const companions: { resource: unknown; depth: number }[] = [];
    for (const id of ids) {
      const kind = kindOfId(id.trim());
      if (kind !== undefined && SERVICE_KINDS.has(kind)) {
        const service = await readService(id.trim(), lane);
        reads += service.reads;
        if (service.read.status === 'failed') failures.push(service.read.failure);
        else if (service.read.status === 'deleted') deleted.set(normalizeId(id), id.trim());
        else companions.push({ resource: service.read.resource, depth: 0 });
        continue;
      }
      if (SCALE_SET_ID.test(id.trim())) {
        // A scale set (a Compute resource) is read as what verdicts see of it: its instance NICs.
        const listed = await listScaleSetNics(id.trim(), lane);
        reads += listed.reads;
        if (listed.failure) failures.push(listed.failure);
        for (const nic of listed.resources) companions.push({ resource: nic, depth: 0 });
        continue;
      }
      const parsed = parseNetworkRef(id);
      if (parsed.ok) wave.push(visitOf(parsed.ref, id, 0));
      else failures.push(badIdFailure(id, parsed.error));
    }
    const takeCompanions = (into: Visit[]): void => {
      for (const { resource, depth } of companions.splice(0)) {
        const id = field(resource, 'id');
        if (typeof id !== 'string') continue;
        const key = normalizeId(id);
        if (outcomes.has(key)) continue;
        outcomes.set(key, { status: 'found', id, resource });
        if (depth >= maxDepth) continue;
        for (const referenced of companionReferences(resource)) {
          const parsed = parseNetworkRef(referenced);
          if (parsed.ok) into.push(visitOf(parsed.ref, referenced, depth + 1));
        }
      }
    };
    takeCompanions(wave);

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
      const depthOf = new Map<string, number>();
      for (const visit of wave) depthOf.set(normalizeId(visit.top.id), Math.min(depthOf.get(normalizeId(visit.top.id)) ?? visit.depth, visit.depth));
      await forEachLimited(toRead.slice(0, room), concurrency, async ([key, top]) => {
        const { read, reads: spent, companions: more, gone } = await readTop(top, lane);
        reads += spent;
        outcomes.set(key, read);
        if (read.status === 'failed') failures.push(read.failure);
        for (const resource of more) companions.push({ resource, depth: depthOf.get(key) ?? 0 });
        // Confirmed gone: no reference to it is read again.
        for (const id of gone) outcomes.set(normalizeId(id), { status: 'deleted', id });
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
          // References to things nsgwatch does not read by id (a scale-set instance, a gateway's NAT rule) are not followed.
          if (parsed.ok) next.push(visitOf(parsed.ref, referenced, visit.depth + 1));
        }
      }
      takeCompanions(next);
      wave = next;
    }

    const resources: unknown[] = [];
    for (const outcome of outcomes.values()) if (outcome.status === 'found') resources.push(outcome.resource);
    for (const outcome of outcomes.values()) {
      if (outcome.status === 'deleted') deleted.set(normalizeId(outcome.id), outcome.id);
    }
    return { resources, deleted: [...deleted.values()], failures, reads };
  }

  return { readResource, readScopeResources };
}

/** The ARM path of the top-level resource a reference names (a subnet's network, a rule's NSG). */
function topLevelPath(top: NetworkRef): string {
  const segment = top.type.split('/')[1] ?? '';
  return resourcePath(top.subscriptionId, top.resourceGroup, `Microsoft.Network/${segment}`, top.name);
}

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
  // Security admin rules are read per network (its effective security admin rules list), not by reference.
  if (isSecurityAdminKind(visit.top.kind)) return out;
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
        // Its route table's prefixes are in VirtualNetwork (DESIGN §3).
        out.push(...optional(referenceId(subnet, 'routeTable')));
        // A subnet's ipConfigurations name its NICs (and a Bastion host's configuration); a
        // GatewaySubnet's name its gateway, whose connections extend VirtualNetwork.
        for (const config of referenceIds(subnet, 'ipConfigurations')) {
          const owner = parentId(config);
          out.push(owner !== undefined && kindOfId(owner) === 'virtualNetworkGateway' ? owner : config);
        }
      }
      break;
    case 'networkInterface':
      out.push(...nicReferences(resource));
      break;
    case 'routeTable':
      // The subnets it is associated with: their VirtualNetwork holds its routes' prefixes.
      out.push(...referenceIds(resource, 'subnets'));
      break;
    case 'virtualNetworkGateway':
      // Its own network (its connections come with it, listed under it).
      for (const config of arrayField(resource, 'ipConfigurations')) out.push(...optional(referenceId(config, 'subnet')));
      break;
    case 'virtualNetworkGatewayConnection':
      out.push(
        ...optional(referenceId(resource, 'localNetworkGateway2')),
        ...optional(referenceId(resource, 'virtualNetworkGateway1')),
        ...optional(referenceId(resource, 'virtualNetworkGateway2')),
      );
      break;
    case 'publicIPAddress':
      // The NIC (or load balancer frontend) it gives a public path.
      out.push(...optional(referenceId(resource, 'ipConfiguration')));
      break;
    case 'loadBalancer':
      // The NICs its pools and NAT rules send traffic to.
      for (const pool of arrayField(resource, 'backendAddressPools')) out.push(...referenceIds(pool, 'backendIPConfigurations'));
      for (const rule of arrayField(resource, 'inboundNatRules')) out.push(...optional(referenceId(rule, 'backendIPConfiguration')));
      for (const frontend of arrayField(resource, 'frontendIPConfigurations')) out.push(...optional(referenceId(frontend, 'publicIPAddress')));
      break;
    case 'natGateway':
      out.push(...referenceIds(resource, 'subnets'));
      break;
    case 'bastionHost':
      for (const config of arrayField(resource, 'ipConfigurations')) out.push(...optional(referenceId(config, 'subnet')));
      break;
    case 'applicationGateway':
      // Its own subnet (whose NSG must let its documented flows in) and its public frontends.
      for (const config of arrayField(resource, 'gatewayIPConfigurations')) out.push(...optional(referenceId(config, 'subnet')));
      for (const frontend of arrayField(resource, 'frontendIPConfigurations')) out.push(...optional(referenceId(frontend, 'publicIPAddress')));
      break;
    case 'applicationSecurityGroup':
      // An ASG does not list its members: they are found from the NICs that name it.
      break;
    case 'privateEndpoint':
      out.push(...optional(referenceId(resource, 'subnet')), ...referenceIds(resource, 'networkInterfaces'));
      break;
    case 'route':
    case 'localNetworkGateway':
    case 'securityRule':
    case 'defaultSecurityRule':
    case 'subnet':
    case 'virtualNetworkPeering':
    case 'networkInterfaceIpConfiguration':
    case 'networkInterfaceEffectiveRouteTable':
    case 'bastionHostIpConfiguration':
    case 'loadBalancerFrontendIpConfiguration':
    case 'loadBalancerBackendAddressPool':
    case 'loadBalancingRule':
    case 'inboundNatRule':
    case 'inboundNatPool':
    case 'outboundRule':
    case 'subnetServiceAssociationLink':
    case 'subnetResourceNavigationLink':
      break;
    default:
      return assertNever(visit.top.kind);
  }
  return out;
}

/** What a NIC's verdicts depend on: its NSG, subnets, ASGs, public path and private endpoint. */
function nicReferences(resource: unknown): string[] {
  const out = [...optional(referenceId(resource, 'networkSecurityGroup')), ...optional(referenceId(resource, 'privateEndpoint'))];
  for (const config of arrayField(resource, 'ipConfigurations')) {
    out.push(...optional(referenceId(config, 'subnet')), ...referenceIds(config, 'applicationSecurityGroups'));
    // Its public path (DESIGN §3): a public IP of its own, load balancers whose pools or NAT rules hold it.
    out.push(
      ...optional(referenceId(config, 'publicIPAddress')),
      ...referenceIds(config, 'loadBalancerBackendAddressPools'),
      ...referenceIds(config, 'loadBalancerInboundNatRules'),
    );
  }
  return out;
}

/** The references of a resource read by a list or outside Microsoft.Network: a connection's sides, a scale-set NIC's, a service's subnets. */
function companionReferences(resource: unknown): string[] {
  const type = field(resource, 'type');
  const kind = typeof type === 'string' ? kindOfType(type) : undefined;
  if (kind !== undefined && SERVICE_KINDS.has(kind)) return serviceSubnets(resource);
  if (typeof type === 'string' && type.toLowerCase() === armTypeOf('virtualNetworkGatewayConnection').toLowerCase()) {
    return [
      ...optional(referenceId(resource, 'localNetworkGateway2')),
      ...optional(referenceId(resource, 'virtualNetworkGateway1')),
      ...optional(referenceId(resource, 'virtualNetworkGateway2')),
    ];
  }
  return nicReferences(resource);
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


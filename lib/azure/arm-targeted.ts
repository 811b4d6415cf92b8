/**
 * Targeted reads: a resource by id, and the resources a scope reaches through its references,
 * hop by hop up to a depth and a count (DESIGN §7: events are hints, the state is re-read). Child
 * ids (a rule, a subnet) are read through their top-level resource; a 404 means deleted.
 */
import type { NetworkManagementClient } from '@azure/arm-network';
import { armTypeOf, isTopLevel, normalizeId, parseNetworkRef, topLevelRef, type NetworkRef } from '../arm/index.js';
import { arrayField, asgIdsNamedBy, field, referenceId, referenceIds } from '../estate/fields.js';
import { isSecurityAdminKind } from '../estate/kinds.js';
import { assertNever } from '../nsg/index.js';
import type { ArmReader, ResourceRead, ScopeRead, ScopeReadOptions } from './arm.js';
import type { ReadFailure } from './arm-errors.js';
import { withReadContext } from './arm-policy.js';
import { badIdFailure, failureFrom, forEachLimited, getJson, withType } from './arm-rest.js';
import type { ReadLane } from './budget.js';

export const DEFAULT_SCOPE_DEPTH = 3;
export const DEFAULT_SCOPE_MAX_RESOURCES = 500;

export interface TargetedReadDeps {
  client(subscriptionId: string): NetworkManagementClient;
  endpoint: string;
  concurrency: number;
}

export function createTargetedReads({ client, endpoint, concurrency }: TargetedReadDeps): Pick<ArmReader, 'readResource' | 'readScopeResources'> {
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

  return { readResource, readScopeResources };
}

/** The ARM path of a top-level resource, each name encoded as the SDK encodes path parameters. */
function resourcePath(top: NetworkRef): string {
  const segment = top.type.split('/')[1] ?? '';
  return `/subscriptions/${encodeURIComponent(top.subscriptionId)}/resourceGroups/${encodeURIComponent(top.resourceGroup)}/providers/Microsoft.Network/${segment}/${encodeURIComponent(top.name)}`;
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
        // A subnet's ipConfigurations name its NICs (and a Bastion host's configuration).
        out.push(...referenceIds(subnet, 'ipConfigurations'));
      }
      break;
    case 'networkInterface':
      out.push(...optional(referenceId(resource, 'networkSecurityGroup')));
      for (const config of arrayField(resource, 'ipConfigurations')) {
        out.push(...optional(referenceId(config, 'subnet')), ...referenceIds(config, 'applicationSecurityGroups'));
        // Its public path (DESIGN §3): a public IP of its own, load balancers whose pools or NAT rules hold it.
        out.push(
          ...optional(referenceId(config, 'publicIPAddress')),
          ...referenceIds(config, 'loadBalancerBackendAddressPools'),
          ...referenceIds(config, 'loadBalancerInboundNatRules'),
        );
      }
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
    case 'applicationSecurityGroup':
      // An ASG does not list its members: they are found from the NICs that name it.
      break;
    case 'privateEndpoint':
      out.push(...optional(referenceId(resource, 'subnet')), ...referenceIds(resource, 'networkInterfaces'));
      break;
    // Route tables and gateways change VirtualNetwork; the inventory does not list them yet, so
    // targeted reads do not follow them either (an event and a sweep must judge alike).
    case 'routeTable':
    case 'route':
    case 'virtualNetworkGateway':
    case 'virtualNetworkGatewayConnection':
    case 'localNetworkGateway':
    case 'securityRule':
    case 'defaultSecurityRule':
    case 'subnet':
    case 'virtualNetworkPeering':
    case 'networkInterfaceIpConfiguration':
    case 'bastionHostIpConfiguration':
    case 'loadBalancerFrontendIpConfiguration':
    case 'loadBalancerBackendAddressPool':
    case 'loadBalancingRule':
    case 'inboundNatRule':
    case 'inboundNatPool':
    case 'outboundRule':
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


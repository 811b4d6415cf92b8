/**
 * The pipeline's side of the guard memory (lib/store/guards.ts): which subnets and NICs a scope
 * asks about before its evaluation, and what to record after it. Pure.
 */
import type { Scope } from '../azure/scopes.js';
import type { Estate } from '../estate/model.js';
import type { GuardQuery, GuardRecord } from '../store/index.js';
import { normalizeId } from '../arm/index.js';
import { membershipSignature, type PreviousGuards } from './affected.js';
import { assertNever } from '../nsg/index.js';

/** What to recall before evaluating a scope: nothing for scopes that cannot detach an NSG. */
export function guardQueryOf(scope: Scope): GuardQuery | undefined {
  switch (scope.kind) {
    case 'nic':
    case 'subnet':
      return { subscriptionId: scope.subscriptionId, resources: [scope.id] };
    case 'virtualNetwork':
      return { subscriptionId: scope.subscriptionId, underVirtualNetwork: scope.id };
    case 'nsg':
    case 'natGateway':
    case 'bastionHost':
    case 'asg':
    case 'publicIp':
    case 'loadBalancer':
    case 'scaleSet':
    case 'routeTable':
    case 'virtualNetworkGateway':
    case 'gatewayConnection':
    case 'localNetworkGateway':
    case 'privateEndpoint':
    case 'applicationGateway':
    case 'apiManagement':
    case 'managedCluster':
    case 'domainService':
    case 'subscription':
      return undefined;
    default:
      return assertNever(scope.kind, 'scope kind');
  }
}

/**
 * What to record after evaluating a scope: each subnet and NIC it covers with the NSG it was
 * judged with now ('' for none, undefined when it is gone), where that differs from what was
 * recalled. A sweep records every subnet and NIC of its subscription. Resources that failed
 * validation keep what they had: they were not judged.
 */
export function guardsToRemember(estate: Estate, scope: Scope, recalled: PreviousGuards | undefined): Map<string, GuardRecord | undefined> {
  const invalid = new Set(estate.errors.map((e) => normalizeId(e.resourceId)));
  const now = new Map<string, GuardRecord | undefined>();
  const recordOf = (key: string): GuardRecord | undefined => {
    const subnet = estate.subnets.get(key);
    if (subnet) return { nsg: subnet.networkSecurityGroup?.key ?? '', asgs: '' };
    const nic = estate.networkInterfaces.get(key);
    return nic ? { nsg: nic.networkSecurityGroup?.key ?? '', asgs: membershipSignature(nic) } : undefined;
  };
  const covered: string[] = [];
  switch (scope.kind) {
    case 'nic':
    case 'subnet':
      covered.push(scope.id);
      break;
    case 'virtualNetwork':
      for (const [key, subnet] of estate.subnets) if (subnet.virtualNetwork.key === scope.id) covered.push(key);
      for (const key of recalled?.records.keys() ?? []) covered.push(key);
      break;
    case 'subscription':
      for (const map of [estate.subnets, estate.networkInterfaces]) {
        for (const [key, resource] of map) if (resource.subscriptionId.toLowerCase() === scope.subscriptionId) covered.push(key);
      }
      break;
    case 'nsg':
    case 'natGateway':
    case 'bastionHost':
    case 'asg':
    case 'publicIp':
    case 'loadBalancer':
    case 'scaleSet':
    case 'routeTable':
    case 'virtualNetworkGateway':
    case 'gatewayConnection':
    case 'localNetworkGateway':
    case 'privateEndpoint':
    case 'applicationGateway':
    case 'apiManagement':
    case 'managedCluster':
    case 'domainService':
      break;
    default:
      return assertNever(scope.kind, 'scope kind');
  }
  for (const key of covered) {
    if (invalid.has(key)) continue;
    const current = recordOf(key);
    const before = recalled?.records.get(key);
    if (scope.kind !== 'subscription' && current?.nsg === before?.nsg && current?.asgs === before?.asgs) continue;
    now.set(key, current);
  }
  return now;
}

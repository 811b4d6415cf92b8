/**
 * Private endpoints: which NICs Azure made for one, and whether their subnet's NSG filters them.
 * By default network policies are disabled for private endpoints in a subnet: the NSG applies to
 * them only when `privateEndpointNetworkPolicies` is `Enabled` or `NetworkSecurityGroupEnabled`;
 * the setting affects private endpoints only, every other resource in the subnet stays filtered
 * (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
 */
import { nameOfId } from '../arm/index.js';
import { assertNever } from '../nsg/index.js';
import type { ArmReference, Estate, PrivateEndpointNetworkPolicies, Subnet } from './model.js';

/** Where a NIC is a private endpoint's: what its subnet's policy says about the subnet's NSG. */
export interface PrivateEndpointAt {
  id: string;
  key: string;
  name: string;
  /** The subnet's setting (Azure's default `Disabled` when the subnet omits it); undefined when the subnet is not in the estate. */
  policies: PrivateEndpointNetworkPolicies | undefined;
  /** True when the subnet's NSG filters the endpoint; undefined when that cannot be known. */
  subnetNsgApplies: boolean | undefined;
}

/** True when the setting lets the subnet's NSG filter its private endpoints. */
export function nsgAppliesToPrivateEndpoints(policies: PrivateEndpointNetworkPolicies): boolean {
  switch (policies) {
    case 'Enabled':
    case 'NetworkSecurityGroupEnabled':
      return true;
    case 'Disabled':
    case 'RouteTableEnabled':
      return false;
    default:
      return assertNever(policies, 'private endpoint network policies');
  }
}

/** NIC key → its private endpoint: the NIC's own `privateEndpoint` field, or the endpoint's `networkInterfaces`. */
export function privateEndpointsByNic(estate: Estate): Map<string, ArmReference> {
  const out = new Map<string, ArmReference>();
  for (const endpoint of estate.privateEndpoints.values()) {
    for (const nic of endpoint.networkInterfaces) out.set(nic.key, { id: endpoint.id, key: endpoint.key });
  }
  for (const nic of estate.networkInterfaces.values()) if (nic.privateEndpoint) out.set(nic.key, nic.privateEndpoint);
  return out;
}

export function privateEndpointAt(endpoint: ArmReference, estate: Estate, subnet: Subnet | undefined): PrivateEndpointAt {
  const policies = subnet ? (subnet.privateEndpointNetworkPolicies ?? 'Disabled') : undefined;
  return {
    id: endpoint.id,
    key: endpoint.key,
    name: estate.privateEndpoints.get(endpoint.key)?.name ?? nameOfId(endpoint.id),
    policies,
    subnetNsgApplies: policies === undefined ? undefined : nsgAppliesToPrivateEndpoints(policies),
  };
}

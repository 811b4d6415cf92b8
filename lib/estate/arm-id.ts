/**
 * ARM resource ids and types: parsing, the resource kinds the estate knows, and child ids.
 * ARM ids are case-insensitive; everything here compares through normalizeId / lower case.
 */
import { normalizeId } from '../rules/finding.js';

/** The resource kinds the estate models; everything else in an input is counted and ignored. */
export type ResourceKind =
  | 'virtualNetwork'
  | 'subnet'
  | 'virtualNetworkPeering'
  | 'networkSecurityGroup'
  | 'securityRule'
  | 'defaultSecurityRule'
  | 'networkInterface'
  | 'networkInterfaceIpConfiguration'
  | 'natGateway'
  | 'bastionHost'
  | 'applicationSecurityGroup';

/** Lower-case ARM type → kind: one table, so the id and the `type` field agree by construction. */
const KIND_BY_TYPE: ReadonlyMap<string, ResourceKind> = new Map([
  ['microsoft.network/virtualnetworks', 'virtualNetwork'],
  ['microsoft.network/virtualnetworks/subnets', 'subnet'],
  ['microsoft.network/virtualnetworks/virtualnetworkpeerings', 'virtualNetworkPeering'],
  ['microsoft.network/networksecuritygroups', 'networkSecurityGroup'],
  ['microsoft.network/networksecuritygroups/securityrules', 'securityRule'],
  ['microsoft.network/networksecuritygroups/defaultsecurityrules', 'defaultSecurityRule'],
  ['microsoft.network/networkinterfaces', 'networkInterface'],
  ['microsoft.network/networkinterfaces/ipconfigurations', 'networkInterfaceIpConfiguration'],
  ['microsoft.network/natgateways', 'natGateway'],
  ['microsoft.network/bastionhosts', 'bastionHost'],
  ['microsoft.network/applicationsecuritygroups', 'applicationSecurityGroup'],
] as const);

export const ARM_TYPE_OF_KIND: Readonly<Record<ResourceKind, string>> = {
  virtualNetwork: 'Microsoft.Network/virtualNetworks',
  subnet: 'Microsoft.Network/virtualNetworks/subnets',
  virtualNetworkPeering: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
  networkSecurityGroup: 'Microsoft.Network/networkSecurityGroups',
  securityRule: 'Microsoft.Network/networkSecurityGroups/securityRules',
  defaultSecurityRule: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
  networkInterface: 'Microsoft.Network/networkInterfaces',
  networkInterfaceIpConfiguration: 'Microsoft.Network/networkInterfaces/ipConfigurations',
  natGateway: 'Microsoft.Network/natGateways',
  bastionHost: 'Microsoft.Network/bastionHosts',
  applicationSecurityGroup: 'Microsoft.Network/applicationSecurityGroups',
};

export function kindOfType(type: string): ResourceKind | undefined {
  return KIND_BY_TYPE.get(type.trim().replace(/\/+$/, '').toLowerCase());
}

export interface ArmId {
  subscriptionId: string;
  resourceGroup: string;
  /** e.g. `Microsoft.Network/virtualNetworks/subnets`, as spelled in the id. */
  type: string;
  /** One name per type segment: ['vnet1', 'subnet1']. */
  names: string[];
  /** The last name. */
  name: string;
}

/**
 * Parses `/subscriptions/S/resourceGroups/G/providers/NS/T1/N1[/T2/N2 ...]`; undefined when `id`
 * is not a resource id of that form.
 */
export function parseArmId(id: string): ArmId | undefined {
  const parts = id.trim().replace(/\/+$/, '').split('/');
  // ['', 'subscriptions', S, 'resourceGroups', G, 'providers', NS, T1, N1, ...]
  if (parts.length < 9 || parts[0] !== '') return undefined;
  if (parts[1]?.toLowerCase() !== 'subscriptions' || parts[3]?.toLowerCase() !== 'resourcegroups') return undefined;
  if (parts[5]?.toLowerCase() !== 'providers') return undefined;
  const rest = parts.slice(7);
  if (rest.length % 2 !== 0 || rest.some((p) => p === '')) return undefined;
  const namespace = parts[6] ?? '';
  const subscriptionId = parts[2] ?? '';
  const resourceGroup = parts[4] ?? '';
  if (namespace === '' || subscriptionId === '' || resourceGroup === '') return undefined;
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i] ?? '');
    names.push(rest[i + 1] ?? '');
  }
  return {
    subscriptionId,
    resourceGroup,
    type: [namespace, ...types].join('/'),
    names,
    name: names[names.length - 1] ?? '',
  };
}

export function kindOfId(id: string): ResourceKind | undefined {
  const parsed = parseArmId(id);
  return parsed ? kindOfType(parsed.type) : undefined;
}

/** The id of the parent resource (`.../virtualNetworks/v/subnets/s` → `.../virtualNetworks/v`). */
export function parentId(id: string): string | undefined {
  const parsed = parseArmId(id);
  if (!parsed || parsed.names.length < 2) return undefined;
  return id.trim().replace(/\/+$/, '').split('/').slice(0, -2).join('/');
}

/** `parent/segment/name`, the way ARM spells inline children. */
export function childId(parent: string, segment: string, name: string): string {
  return `${parent.replace(/\/+$/, '')}/${segment}/${name}`;
}

/** The last segment of an id, or the id itself when it is not a resource id. */
export function nameOfId(id: string): string {
  return parseArmId(id)?.name ?? id;
}

export { normalizeId };

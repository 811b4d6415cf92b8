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
  const parts = trimId(id).split('/');
  // ['', 'subscriptions', S, 'resourceGroups', G, 'providers', NS, T1, N1, ...]
  if (parts.length < 9 || parts.length % 2 === 0 || parts[0] !== '') return undefined;
  if (parts[1]?.toLowerCase() !== 'subscriptions' || parts[3]?.toLowerCase() !== 'resourcegroups') return undefined;
  if (parts[5]?.toLowerCase() !== 'providers') return undefined;
  const namespace = parts[6] ?? '';
  const subscriptionId = parts[2] ?? '';
  const resourceGroup = parts[4] ?? '';
  if (namespace === '' || subscriptionId === '' || resourceGroup === '') return undefined;
  let type = namespace;
  const names: string[] = [];
  for (let i = 7; i < parts.length; i += 2) {
    const segment = parts[i] ?? '';
    const name = parts[i + 1] ?? '';
    if (segment === '' || name === '') return undefined;
    type += `/${segment}`;
    names.push(name);
  }
  return { subscriptionId, resourceGroup, type, names, name: names[names.length - 1] ?? '' };
}

/** The id without surrounding blanks and trailing slashes (no regex: this runs for every resource). */
function trimId(id: string): string {
  let value = id.trim();
  while (value.endsWith('/')) value = value.slice(0, -1);
  return value;
}

export function kindOfId(id: string): ResourceKind | undefined {
  const parsed = parseArmId(id);
  return parsed ? kindOfType(parsed.type) : undefined;
}

/** The id of the parent resource (`.../virtualNetworks/v/subnets/s` → `.../virtualNetworks/v`). */
export function parentId(id: string): string | undefined {
  const parsed = parseArmId(id);
  if (!parsed || parsed.names.length < 2) return undefined;
  const trimmed = trimId(id);
  let cut = trimmed.lastIndexOf('/');
  cut = trimmed.lastIndexOf('/', cut - 1);
  return trimmed.slice(0, cut);
}

/** The normalised id of the top-level resource an id names or is part of (a subnet's VNet). */
export function topLevelKey(id: string): string {
  return normalizeId(id).split('/').slice(0, 9).join('/');
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

/**
 * ARM resource ids of the Microsoft.Network resources nsgwatch reads. Segments are matched
 * case-insensitively (ARM ids are case-insensitive; events and references spell them variously),
 * names keep the spelling they were given.
 */

/** The kinds of id a targeted read understands. */
export type ArmResourceKind =
  | 'networkSecurityGroup'
  | 'securityRule'
  | 'defaultSecurityRule'
  | 'virtualNetwork'
  | 'subnet'
  | 'virtualNetworkPeering'
  | 'networkInterface'
  | 'networkInterfaceIpConfiguration'
  | 'natGateway'
  | 'bastionHost'
  | 'bastionHostIpConfiguration'
  | 'applicationSecurityGroup';

export interface ArmResourceRef {
  kind: ArmResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  /** The top-level resource's name (the NSG of a rule, the VNet of a subnet, ...). */
  name: string;
  /** The child's name, for child kinds. */
  childName?: string;
  /** ARM type of what the id names, e.g. 'Microsoft.Network/virtualNetworks/subnets'. */
  type: string;
  /** The id as given, trimmed, without a trailing slash. */
  id: string;
}

export type ParsedArmId = { ok: true; ref: ArmResourceRef } | { ok: false; error: string };

interface KindSpec {
  kind: ArmResourceKind;
  type: string;
}

/** Top-level type segment (lower case) → kind and ARM type. */
const TOP_LEVEL: ReadonlyMap<string, KindSpec> = new Map([
  ['networksecuritygroups', { kind: 'networkSecurityGroup', type: 'Microsoft.Network/networkSecurityGroups' }],
  ['virtualnetworks', { kind: 'virtualNetwork', type: 'Microsoft.Network/virtualNetworks' }],
  ['networkinterfaces', { kind: 'networkInterface', type: 'Microsoft.Network/networkInterfaces' }],
  ['natgateways', { kind: 'natGateway', type: 'Microsoft.Network/natGateways' }],
  ['bastionhosts', { kind: 'bastionHost', type: 'Microsoft.Network/bastionHosts' }],
  ['applicationsecuritygroups', { kind: 'applicationSecurityGroup', type: 'Microsoft.Network/applicationSecurityGroups' }],
]);

/** `${top-level kind}/${child segment}` (lower case) → kind and ARM type. */
const CHILDREN: ReadonlyMap<string, KindSpec> = new Map([
  ['networkSecurityGroup/securityrules', { kind: 'securityRule', type: 'Microsoft.Network/networkSecurityGroups/securityRules' }],
  ['networkSecurityGroup/defaultsecurityrules', { kind: 'defaultSecurityRule', type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules' }],
  ['virtualNetwork/subnets', { kind: 'subnet', type: 'Microsoft.Network/virtualNetworks/subnets' }],
  ['virtualNetwork/virtualnetworkpeerings', { kind: 'virtualNetworkPeering', type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings' }],
  ['networkInterface/ipconfigurations', { kind: 'networkInterfaceIpConfiguration', type: 'Microsoft.Network/networkInterfaces/ipConfigurations' }],
  ['bastionHost/bastionhostipconfigurations', { kind: 'bastionHostIpConfiguration', type: 'Microsoft.Network/bastionHosts/bastionHostIpConfigurations' }],
]);

/**
 * Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/{type}/{name}` with
 * at most one child `/{childType}/{childName}`. Anything else is an error saying what is wrong.
 */
export function parseArmId(input: string): ParsedArmId {
  const id = input.trim().replace(/\/+$/, '');
  const fail = (why: string): ParsedArmId => ({ ok: false, error: `ARM id '${input}': ${why}` });
  if (!id.startsWith('/')) return fail('must start with /subscriptions/');
  const parts = id.slice(1).split('/');
  if (parts.some((p) => p === '')) return fail('has an empty segment');
  const [subs, subscriptionId, rgs, resourceGroup, providers, namespace, typeSegment, name, childSegment, childName, ...rest] =
    parts;
  if (subs?.toLowerCase() !== 'subscriptions' || subscriptionId === undefined) {
    return fail('must start with /subscriptions/{subscriptionId}');
  }
  if (rgs?.toLowerCase() !== 'resourcegroups' || resourceGroup === undefined) {
    return fail('has no /resourceGroups/{name} segment');
  }
  if (providers?.toLowerCase() !== 'providers' || namespace === undefined) {
    return fail('has no /providers/{namespace} segment');
  }
  if (namespace.toLowerCase() !== 'microsoft.network') {
    return fail(`resource provider '${namespace}' is not Microsoft.Network`);
  }
  if (typeSegment === undefined || name === undefined) return fail('names no resource type and name');
  const top = TOP_LEVEL.get(typeSegment.toLowerCase());
  if (!top) return fail(`resource type 'Microsoft.Network/${typeSegment}' is not one nsgwatch reads`);
  const base = { subscriptionId, resourceGroup, name, id };
  if (childSegment === undefined) return { ok: true, ref: { ...base, kind: top.kind, type: top.type } };
  if (childName === undefined) return fail(`child type '${childSegment}' has no name`);
  if (rest.length > 0) return fail('has segments beyond one child resource');
  const child = CHILDREN.get(`${top.kind}/${childSegment.toLowerCase()}`);
  if (!child) return fail(`child type '${top.type}/${childSegment}' is not one nsgwatch reads`);
  return { ok: true, ref: { ...base, kind: child.kind, type: child.type, childName } };
}

/** The top-level kind each kind is read through (a rule through its NSG, a subnet through its VNet). */
const TOP_KIND: Record<ArmResourceKind, ArmResourceKind> = {
  networkSecurityGroup: 'networkSecurityGroup',
  securityRule: 'networkSecurityGroup',
  defaultSecurityRule: 'networkSecurityGroup',
  virtualNetwork: 'virtualNetwork',
  subnet: 'virtualNetwork',
  virtualNetworkPeering: 'virtualNetwork',
  networkInterface: 'networkInterface',
  networkInterfaceIpConfiguration: 'networkInterface',
  natGateway: 'natGateway',
  bastionHost: 'bastionHost',
  bastionHostIpConfiguration: 'bastionHost',
  applicationSecurityGroup: 'applicationSecurityGroup',
};

/** The ref of the top-level resource a ref belongs to (itself when it is top-level). */
export function topLevelRef(ref: ArmResourceRef): ArmResourceRef {
  const kind = TOP_KIND[ref.kind];
  if (kind === ref.kind) return ref;
  const type = [...TOP_LEVEL.values()].find((spec) => spec.kind === kind)?.type;
  if (type === undefined) throw new Error(`no top-level type for ${kind}`);
  const typeSegment = type.slice('Microsoft.Network/'.length);
  return {
    kind,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    name: ref.name,
    type,
    id: `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/${typeSegment}/${ref.name}`,
  };
}

/** True for kinds that name a resource of their own rather than a part of one. */
export function isTopLevel(kind: ArmResourceKind): boolean {
  return TOP_KIND[kind] === kind;
}

/** The subscription an id belongs to, or undefined when it names none. */
export function subscriptionOf(idOrUrlPath: string): string | undefined {
  const match = /\/subscriptions\/([^/?#]+)/i.exec(idOrUrlPath);
  return match?.[1];
}

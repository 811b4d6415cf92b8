/**
 * Which scope a resource change asks to re-evaluate. A scope is the resource whose verdict can
 * move (a rule moves its NSG, a peering moves its virtual network); the evaluation of a scope
 * reads it and what it guards from ARM. Pure: no I/O, no clock.
 */
import { type WATCHED_RESOURCE_TYPES } from '../config/names.js';
import { normalizeId, parseArmId } from '../arm/index.js';
import type { ResourceChange } from './events.js';

export type ScopeKind =
  | 'nsg'
  | 'subnet'
  | 'virtualNetwork'
  | 'nic'
  | 'natGateway'
  | 'bastionHost'
  | 'asg'
  | 'publicIp'
  | 'loadBalancer'
  | 'scaleSet'
  | 'routeTable'
  | 'virtualNetworkGateway'
  | 'gatewayConnection'
  | 'localNetworkGateway'
  | 'privateEndpoint'
  | 'applicationGateway'
  | 'apiManagement'
  | 'managedCluster'
  | 'domainService'
  | 'subscription';

export const SCOPE_KINDS: readonly ScopeKind[] = [
  'nsg',
  'subnet',
  'virtualNetwork',
  'nic',
  'natGateway',
  'bastionHost',
  'asg',
  'publicIp',
  'loadBalancer',
  'scaleSet',
  'routeTable',
  'virtualNetworkGateway',
  'gatewayConnection',
  'localNetworkGateway',
  'privateEndpoint',
  'applicationGateway',
  'apiManagement',
  'managedCluster',
  'domainService',
  'subscription',
];

export interface Scope {
  kind: ScopeKind;
  /** Normalised ARM id (lower case, no trailing slash). */
  id: string;
  /** Lower case. */
  subscriptionId: string;
}

type WatchedType = (typeof WATCHED_RESOURCE_TYPES)[number];

type NetworkManagers = Extract<WatchedType, 'Microsoft.Network/networkManagers'>;

/**
 * The parts of a network manager whose changes move security admin rules: the manager (its commit
 * action deploys configurations to regions), its security admin configurations with their rule
 * collections and rules, and its network groups with their static members
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins,
 * https://learn.microsoft.com/azure/virtual-network-manager/concept-deployments). Connectivity,
 * routing and other configurations do not change what an NSG verdict rests on.
 */
const SECURITY_ADMIN_TYPES = [
  'microsoft.network/networkmanagers',
  'microsoft.network/networkmanagers/securityadminconfigurations',
  'microsoft.network/networkmanagers/securityadminconfigurations/rulecollections',
  'microsoft.network/networkmanagers/securityadminconfigurations/rulecollections/rules',
  'microsoft.network/networkmanagers/networkgroups',
  'microsoft.network/networkmanagers/networkgroups/staticmembers',
];

/** How each watched type becomes a scope: its kind, and how many levels up the scope resource is. */
const SCOPE_OF_TYPE: Record<Exclude<WatchedType, NetworkManagers>, { kind: ScopeKind; levelsUp: 0 | 1 }> = {
  'Microsoft.Network/networkSecurityGroups': { kind: 'nsg', levelsUp: 0 },
  'Microsoft.Network/networkSecurityGroups/securityRules': { kind: 'nsg', levelsUp: 1 },
  'Microsoft.Network/virtualNetworks': { kind: 'virtualNetwork', levelsUp: 0 },
  'Microsoft.Network/virtualNetworks/subnets': { kind: 'subnet', levelsUp: 0 },
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings': { kind: 'virtualNetwork', levelsUp: 1 },
  'Microsoft.Network/networkInterfaces': { kind: 'nic', levelsUp: 0 },
  'Microsoft.Network/natGateways': { kind: 'natGateway', levelsUp: 0 },
  'Microsoft.Network/bastionHosts': { kind: 'bastionHost', levelsUp: 0 },
  'Microsoft.Network/applicationSecurityGroups': { kind: 'asg', levelsUp: 0 },
  'Microsoft.Network/publicIPAddresses': { kind: 'publicIp', levelsUp: 0 },
  'Microsoft.Network/loadBalancers': { kind: 'loadBalancer', levelsUp: 0 },
  'Microsoft.Network/loadBalancers/inboundNatRules': { kind: 'loadBalancer', levelsUp: 1 },
  'Microsoft.Network/loadBalancers/backendAddressPools': { kind: 'loadBalancer', levelsUp: 1 },
  'Microsoft.Compute/virtualMachineScaleSets': { kind: 'scaleSet', levelsUp: 0 },
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines': { kind: 'scaleSet', levelsUp: 1 },
  'Microsoft.Network/routeTables': { kind: 'routeTable', levelsUp: 0 },
  'Microsoft.Network/routeTables/routes': { kind: 'routeTable', levelsUp: 1 },
  'Microsoft.Network/virtualNetworkGateways': { kind: 'virtualNetworkGateway', levelsUp: 0 },
  'Microsoft.Network/connections': { kind: 'gatewayConnection', levelsUp: 0 },
  'Microsoft.Network/localNetworkGateways': { kind: 'localNetworkGateway', levelsUp: 0 },
  'Microsoft.Network/privateEndpoints': { kind: 'privateEndpoint', levelsUp: 0 },
  'Microsoft.Network/applicationGateways': { kind: 'applicationGateway', levelsUp: 0 },
  'Microsoft.ApiManagement/service': { kind: 'apiManagement', levelsUp: 0 },
  'Microsoft.ContainerService/managedClusters': { kind: 'managedCluster', levelsUp: 0 },
  'Microsoft.AAD/domainServices': { kind: 'domainService', levelsUp: 0 },
};

/**
 * Services whose deletion no read can place: once gone, an application gateway, API Management
 * service, AKS cluster or Domain Services instance no longer names its subnets, and the subnets do
 * not name it (the gateway's IP configurations and the services' subnet ids live on the service).
 * A delete of one re-judges the subscription, where every subnet that lost its service is judged.
 */
const SERVICE_SCOPE_KINDS: ReadonlySet<ScopeKind> = new Set(['applicationGateway', 'apiManagement', 'managedCluster', 'domainService']);

const SCOPE_BY_LOWER_TYPE = new Map(
  Object.entries(SCOPE_OF_TYPE).map(([type, mapping]) => [type.toLowerCase(), mapping]),
);

export interface ScopeError {
  code: 'invalidResourceId' | 'typeMismatch';
  resourceId: string;
  field: 'resourceId' | 'resourceType';
  message: string;
}

export type ScopesResult = { ok: true; scopes: Scope[] } | { ok: false; error: ScopeError };

/**
 * The scopes a change asks to re-evaluate: one for a watched type, none for anything else
 * (decided from the type alone). Deletions map the same way; the evaluation finds the resource gone.
 */
export function scopesForChange(change: Pick<ResourceChange, 'resourceId' | 'resourceType'> & Partial<Pick<ResourceChange, 'operation'>>): ScopesResult {
  const adminChange = SECURITY_ADMIN_TYPES.includes(change.resourceType.toLowerCase());
  const mapping = adminChange ? { kind: 'subscription' as const, levelsUp: 0 as const } : SCOPE_BY_LOWER_TYPE.get(change.resourceType.toLowerCase());
  if (mapping === undefined) return { ok: true, scopes: [] };
  const parsed = parseArmId(change.resourceId);
  if (!parsed.ok) {
    return {
      ok: false,
      error: {
        code: 'invalidResourceId',
        resourceId: change.resourceId,
        field: 'resourceId',
        message: `resource id ${JSON.stringify(change.resourceId)} ${parsed.reason}`,
      },
    };
  }
  if (parsed.value.resourceType.toLowerCase() !== change.resourceType.toLowerCase()) {
    return {
      ok: false,
      error: {
        code: 'typeMismatch',
        resourceId: change.resourceId,
        field: 'resourceType',
        message: `resource type ${change.resourceType} does not match the id, which names a ${parsed.value.resourceType}`,
      },
    };
  }
  // A security admin change reaches the networks of the groups it names, which no event says and
  // Azure Policy (dynamic membership) may change unseen: the whole subscription is re-judged.
  // A deleted admin rule is named, so that its findings resolve (writes coalesce into one sweep).
  if (adminChange) {
    const scope = subscriptionScope(parsed.value.subscriptionId);
    const deletedRule = change.operation === 'delete' && parsed.value.resourceType.toLowerCase() === SECURITY_ADMIN_TYPES[3];
    return { ok: true, scopes: [deletedRule ? { ...scope, id: normalizeId(change.resourceId) } : scope] };
  }
  if (change.operation === 'delete' && SERVICE_SCOPE_KINDS.has(mapping.kind)) return { ok: true, scopes: [subscriptionScope(parsed.value.subscriptionId)] };
  const segments = parsed.value.segments.slice(0, parsed.value.segments.length - 2 * mapping.levelsUp);
  return {
    ok: true,
    scopes: [{ kind: mapping.kind, id: normalizeId(`/${segments.join('/')}`), subscriptionId: parsed.value.subscriptionId.toLowerCase() }],
  };
}

/** The whole subscription: what a reconciliation sweep fans out per subscription. */
export function subscriptionScope(subscriptionId: string): Scope {
  const id = subscriptionId.trim().toLowerCase();
  return { kind: 'subscription', id: `/subscriptions/${id}`, subscriptionId: id };
}

/** True when `resourceType` is one nsgwatch watches (case-insensitive). */
export function isWatchedType(resourceType: string): boolean {
  return SCOPE_BY_LOWER_TYPE.has(resourceType.toLowerCase()) || SECURITY_ADMIN_TYPES.includes(resourceType.toLowerCase());
}

/** Read a scope back from JSON (a queue message); undefined when it is not one. */
export function parseScope(value: unknown): Scope | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { kind, id, subscriptionId } = record;
  if (typeof kind !== 'string' || !(SCOPE_KINDS as readonly string[]).includes(kind)) return undefined;
  if (typeof id !== 'string' || typeof subscriptionId !== 'string') return undefined;
  const parsed = parseArmId(id);
  if (!parsed.ok || parsed.value.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) return undefined;
  return { kind: kind as ScopeKind, id: normalizeId(id), subscriptionId: subscriptionId.toLowerCase() };
}

/** Longest key returned; Table Storage allows 1 KiB per key. */
const MAX_KEY_LENGTH = 480;

/**
 * A stable Table-key-safe string for a scope: the kind, then the normalised id with `/` written
 * as `!` and any other character outside `[a-z0-9._()-]` as `~xxxx` (so distinct ids never meet).
 */
export function scopeKey(scope: Scope): string {
  return tableKeySafe(`${scope.kind}${normalizeId(scope.id)}`);
}

/** Make any text a valid PartitionKey/RowKey (no `/ \ # ?`, no control characters, ≤ 480 chars), injectively. */
export function tableKeySafe(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '/') out += '!';
    else if (/^[a-z0-9._()-]$/.test(ch)) out += ch;
    else out += escapeUnit(ch);
  }
  if (out.length <= MAX_KEY_LENGTH) return out;
  // Overlong ids keep a readable prefix and a hash of the whole, so keys stay distinct.
  return `${out.slice(0, MAX_KEY_LENGTH - 20)}~~${fnv1a64(out)}`;
}

function escapeUnit(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `~${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * References to the Microsoft.Network resources a targeted read fetches: a top-level resource or
 * one child of it, with a message saying exactly why any other id is refused.
 */
import { parseArmId } from './id.js';
import { armTypeOf, isNetworkKind, isTopLevel, kindOfType, topLevelKindOf, type NetworkKind } from './kinds.js';

export interface NetworkRef {
  kind: NetworkKind;
  subscriptionId: string;
  resourceGroup: string;
  /** The top-level resource's name (the NSG of a rule, the network of a subnet, ...). */
  name: string;
  /** The child's name, for child kinds. */
  childName?: string;
  /** ARM type of what the id names, e.g. 'Microsoft.Network/virtualNetworks/subnets'. */
  type: string;
  /** The id as given, trimmed, without a trailing slash. */
  id: string;
}

export type ParsedNetworkRef = { ok: true; ref: NetworkRef } | { ok: false; error: string };

const NETWORK = 'microsoft.network';

/**
 * Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/{type}/{name}` with
 * at most one child `/{childType}/{childName}`, of a kind nsgwatch reads.
 */
export function parseNetworkRef(input: string): ParsedNetworkRef {
  const fail = (why: string): ParsedNetworkRef => ({ ok: false, error: `ARM id '${input}': ${why}` });
  const parsed = parseArmId(input);
  if (!parsed.ok) return fail(refusal(input, parsed.reason));
  const { id, subscriptionId, resourceGroup, resourceType, names } = parsed.value;
  if (resourceGroup === undefined) return fail('has no /resourceGroups/{name} segment');
  if (names.length === 0) return fail('has no /providers/{namespace} segment');
  const [namespace = '', typeSegment = '', childSegment] = resourceType.split('/');
  if (namespace.toLowerCase() !== NETWORK) return fail(`resource provider '${namespace}' is not Microsoft.Network`);
  const topType = `${namespace}/${typeSegment}`;
  const top = kindOfType(topType);
  if (top === undefined || !isNetworkKind(top) || !isTopLevel(top)) return fail(`resource type 'Microsoft.Network/${typeSegment}' is not one nsgwatch reads`);
  const [name = '', childName] = names;
  const base = { subscriptionId, resourceGroup, name, id };
  if (childSegment === undefined || childName === undefined) return { ok: true, ref: { ...base, kind: top, type: armTypeOf(top) } };
  if (names.length > 2) return fail('has segments beyond one child resource');
  const child = kindOfType(resourceType);
  if (child === undefined || !isNetworkKind(child) || topLevelKindOf(child) !== top) {
    return fail(`child type '${armTypeOf(top)}/${childSegment}' is not one nsgwatch reads`);
  }
  return { ok: true, ref: { ...base, kind: child, type: armTypeOf(child), childName } };
}

/** The ref of the top-level resource a ref belongs to (itself when it is top-level). */
export function topLevelRef(ref: NetworkRef): NetworkRef {
  const kind = topLevelKindOf(ref.kind);
  if (kind === ref.kind || !isNetworkKind(kind)) return ref;
  const type = armTypeOf(kind);
  return {
    kind,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    name: ref.name,
    type,
    id: `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${type}/${ref.name}`,
  };
}

/** The general parser's reason, worded for a reader who asked for a network resource. */
function refusal(input: string, reason: string): string {
  switch (reason) {
    case 'does not start with /subscriptions/':
    case 'does not start with /subscriptions/{id}':
      return 'must start with /subscriptions/{subscriptionId}';
    case 'names no resource group':
      return 'has no /resourceGroups/{name} segment';
    case 'has no /providers/ segment':
      return 'has no /providers/{namespace} segment';
    case 'ends with a type and no resource name': {
      // One type segment short of a name: the last segment is a type the id names nothing of.
      const cut = input.trim().replace(/\/+$/, '');
      const lastType = cut.slice(cut.lastIndexOf('/') + 1);
      const owner = parseArmId(cut.slice(0, cut.lastIndexOf('/')));
      return owner.ok && owner.value.names.length > 0 ? `child type '${lastType}' has no name` : 'names no resource type and name';
    }
    default:
      return reason;
  }
}

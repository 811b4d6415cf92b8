/**
 * Azure Resource Manager ids: the one place an id is split, normalised and named.
 *
 * ARM ids are case-insensitive (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
 * every comparison goes through `normalizeId`; names keep the spelling they were given.
 * Form: `/subscriptions/{s}[/resourceGroups/{g}][/providers/{namespace}/{type}/{name}[/{childType}/{childName}]...]`,
 * with extension resources nesting a further `/providers/...` under a resource.
 */
import { armTypeOf, kindOfType, type ResourceKind } from './kinds.js';

/** What an id names. Shared between callers (ids are parsed once): never changed. */
export interface ArmId {
  /** The id as given, trimmed, without a trailing slash. */
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  /**
   * The resource type: `Microsoft.Network/virtualNetworks/subnets`. Known types take their
   * canonical spelling; others keep the id's. Extension resources take the last provider's type.
   */
  readonly resourceType: string;
  /** The kind of `resourceType`, undefined when nsgwatch does not know it. */
  readonly kind: ResourceKind | undefined;
  /** One name per type segment of the last provider: `['vnet1', 'subnet1']`; empty for a subscription or group. */
  readonly names: readonly string[];
  /** The last name (the subscription or group for those). */
  readonly name: string;
  /** The id's segments after the leading slash. */
  readonly segments: readonly string[];
}

export type ArmIdResult = { ok: true; value: ArmId } | { ok: false; reason: string };

/** The id as a comparison key: trimmed, no trailing slash, lower case. */
export function normalizeId(id: string): string {
  return trimId(id).toLowerCase();
}

/**
 * Ids parsed so far, by the text given, with what was derived from them. An estate names each
 * resource from many places (its own id, every reference to it, every child's id), and each is
 * asked for its parent, top-level resource, name and kind again and again: each is worked out
 * once. Bounded: emptied when full.
 */
interface ParsedId {
  readonly result: ArmIdResult;
  /** parentId's answer (null: none), once asked. */
  parent?: string | null;
  /** topLevelId's and topLevelKey's answers, once asked. */
  top?: string;
  topKey?: string;
}
const parsedIds = new Map<string, ParsedId>();
const MAX_PARSED_IDS = 1 << 12;

function parsedId(input: string): ParsedId {
  let entry = parsedIds.get(input);
  if (entry === undefined) {
    if (parsedIds.size >= MAX_PARSED_IDS) parsedIds.clear();
    const result = parse(input);
    if (result.ok) Object.freeze(result.value);
    entry = { result: Object.freeze(result) };
    parsedIds.set(input, entry);
  }
  return entry;
}

/** Parses any ARM id, giving the reason when it is not one. */
export function parseArmId(input: string): ArmIdResult {
  return parsedId(input).result;
}

function parse(input: string): ArmIdResult {
  const id = trimId(input);
  if (!id.startsWith('/')) return { ok: false, reason: 'does not start with /subscriptions/' };
  const segments = id.slice(1).split('/');
  if (segments.some((s) => s === '')) return { ok: false, reason: 'has an empty segment' };
  const subscriptionId = segments[1];
  if (segments[0]?.toLowerCase() !== 'subscriptions' || subscriptionId === undefined) {
    return { ok: false, reason: 'does not start with /subscriptions/{id}' };
  }
  const hasGroup = segments[2]?.toLowerCase() === 'resourcegroups';
  const resourceGroup = hasGroup ? segments[3] : undefined;
  if (hasGroup && resourceGroup === undefined) return { ok: false, reason: 'names no resource group' };
  const group = resourceGroup !== undefined ? { resourceGroup } : {};
  const providers = lastProvidersIndex(segments);
  if (providers === -1) {
    if (segments.length === 2) {
      return { ok: true, value: { id, subscriptionId, resourceType: 'Microsoft.Resources/subscriptions', kind: undefined, names: [], name: subscriptionId, segments } };
    }
    if (resourceGroup !== undefined && segments.length === 4) {
      return {
        ok: true,
        value: { id, subscriptionId, ...group, resourceType: 'Microsoft.Resources/resourceGroups', kind: undefined, names: [], name: resourceGroup, segments },
      };
    }
    return { ok: false, reason: 'has no /providers/ segment' };
  }
  const namespace = segments[providers + 1];
  const rest = segments.slice(providers + 2);
  if (namespace === undefined || rest.length === 0) return { ok: false, reason: 'names a provider but no resource type' };
  if (rest.length % 2 !== 0) return { ok: false, reason: 'ends with a type and no resource name' };
  const typePath = [namespace, ...rest.filter((_, i) => i % 2 === 0)].join('/');
  const names = rest.filter((_, i) => i % 2 === 1);
  const kind = kindOfType(typePath);
  return {
    ok: true,
    value: { id, subscriptionId, ...group, resourceType: kind === undefined ? typePath : armTypeOf(kind), kind, names, name: names[names.length - 1] ?? '', segments },
  };
}

/** The parsed id of a resource under a resource group (`/subscriptions/../resourceGroups/../providers/..`), else undefined. */
export function parseResourceId(id: string): ArmId | undefined {
  return resourceOf(parsedId(id).result);
}

function resourceOf(parsed: ArmIdResult): ArmId | undefined {
  return parsed.ok && parsed.value.resourceGroup !== undefined && parsed.value.names.length > 0 ? parsed.value : undefined;
}

/** The last name of an id, or the text itself when it is not a resource id. */
export function nameOfId(id: string): string {
  return parseResourceId(id)?.name ?? id;
}

/** The id of the parent resource (`.../virtualNetworks/v/subnets/s` → `.../virtualNetworks/v`); undefined for a top-level resource. */
export function parentId(id: string): string | undefined {
  const entry = parsedId(id);
  if (entry.parent === undefined) {
    const parsed = resourceOf(entry.result);
    entry.parent = !parsed || parsed.names.length < 2 ? null : `/${parsed.segments.slice(0, -2).join('/')}`;
  }
  return entry.parent ?? undefined;
}

/** The id of the top-level resource an id names or is part of (a subnet's network, a rule's NSG), as spelled. */
export function topLevelId(id: string): string {
  return topOf(parsedId(id), id);
}

/** The normalised id of the top-level resource an id names or is part of. */
export function topLevelKey(id: string): string {
  const entry = parsedId(id);
  entry.topKey ??= normalizeId(topOf(entry, id));
  return entry.topKey;
}

function topOf(entry: ParsedId, id: string): string {
  if (entry.top === undefined) {
    const parsed = resourceOf(entry.result);
    // The first provider's resource: an extension resource belongs to the resource it extends.
    const providers = parsed ? parsed.segments.findIndex((s, i) => i >= 2 && s.toLowerCase() === 'providers') : -1;
    entry.top = parsed ? `/${parsed.segments.slice(0, providers + 4).join('/')}` : trimId(id);
  }
  return entry.top;
}

/** `parent/segment/name`, the way ARM spells inline children. */
export function childId(parent: string, segment: string, name: string): string {
  return `${trimId(parent)}/${segment}/${name}`;
}

/** The subscription an id or request path names, or undefined. */
export function subscriptionOf(idOrUrlPath: string): string | undefined {
  const match = /\/subscriptions\/([^/?#]+)/i.exec(idOrUrlPath);
  return match?.[1];
}

/** The id without surrounding blanks and trailing slashes (no regex: this runs for every resource). */
function trimId(id: string): string {
  let value = id.trim();
  while (value.endsWith('/')) value = value.slice(0, -1);
  return value;
}

function lastProvidersIndex(segments: readonly string[]): number {
  for (let i = segments.length - 2; i >= 2; i--) if (segments[i]?.toLowerCase() === 'providers') return i;
  return -1;
}

/** The kind of resource an id names, undefined when it is not a resource id of a known type. */
export function kindOfId(id: string): ResourceKind | undefined {
  return parseResourceId(id)?.kind;
}

/**
 * Evaluation contexts: what a decision depends on beyond the NSG (the attachment's VNet and
 * peerings, ASG members, service tag data, the broadness threshold), and the named address sets
 * resolved against it (DESIGN §3).
 */
import type { AddressSet, ContextOptions, EvaluationContext, ServiceTagData } from './types.js';
import {
  ALL_TAG_ATOMS,
  ANY_ADDRESS,
  NO_ADDRESS,
  addressCount,
  addressDifference,
  addressIsEmpty,
  addressUnion,
  addressesFromPrefixes,
  SPECIAL_PURPOSE_PREFIXES,
  tagAtom,
} from './addresses.js';
import { assertNever } from './values.js';
import { platformTag } from './platform-tags.js';

export { SPECIAL_PURPOSE_PREFIXES };

/** VirtualNetwork when no virtual network is known (a standalone NSG). */
export const DEFAULT_VIRTUAL_NETWORK_PREFIXES: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
];

/** AzureLoadBalancer: the platform's health probe address. */
export const AZURE_LOAD_BALANCER_PREFIXES: readonly string[] = ['168.63.129.16/32'];

/** DESIGN §3: broad is more than 2^24 IPv4 or 2^96 IPv6 addresses. */
export const DEFAULT_BROAD_THRESHOLD = { ipv4: 2 ** 24, ipv6: 1n << 96n } as const;

const DEFAULT_VNET_ASSUMPTION =
  'no virtual network known: VirtualNetwork taken as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10';

const SPECIAL_PURPOSE = addressesFromPrefixes(SPECIAL_PURPOSE_PREFIXES).set;

/** Builds the context of one attachment point. Bad inputs are skipped and listed in `problems`. */
export function createContext(options: ContextOptions = {}): EvaluationContext {
  const problems: string[] = [];
  const assumptions: string[] = [];
  let virtualNetwork: AddressSet;
  let ownSpace: AddressSet;
  if (options.virtualNetworkPrefixes && options.virtualNetworkPrefixes.length > 0) {
    const { set, invalid } = addressesFromPrefixes(options.virtualNetworkPrefixes);
    for (const bad of invalid) problems.push(`virtual network prefix '${bad}' is not a CIDR prefix; skipped`);
    ownSpace = set;
    virtualNetwork = set;
    if (options.routePrefixes && options.routePrefixes.length > 0) {
      const routes = addressesFromPrefixes(options.routePrefixes);
      for (const bad of routes.invalid) problems.push(`route prefix '${bad}' is not a CIDR prefix; skipped`);
      virtualNetwork = addressUnion(set, routes.set);
    }
  } else {
    virtualNetwork = addressesFromPrefixes(DEFAULT_VIRTUAL_NETWORK_PREFIXES).set;
    ownSpace = virtualNetwork;
    assumptions.push(DEFAULT_VNET_ASSUMPTION);
  }
  const asgAddresses = new Map<string, AddressSet>();
  const asgEntries =
    options.asgAddresses instanceof Map
      ? [...options.asgAddresses.entries()]
      : Object.entries(options.asgAddresses ?? {});
  for (const [id, ips] of asgEntries) {
    const { set, invalid } = addressesFromPrefixes(ips);
    for (const bad of invalid) problems.push(`member address '${bad}' of ASG ${id} is not an IP; skipped`);
    asgAddresses.set(id.trim().replace(/\/+$/, '').toLowerCase(), set);
  }
  if (options.serviceTags) problems.push(...options.serviceTags.problems);
  return {
    virtualNetwork,
    ownSpace,
    assumptions,
    problems,
    broadThreshold: {
      ipv4: options.broadThreshold?.ipv4 ?? DEFAULT_BROAD_THRESHOLD.ipv4,
      ipv6: options.broadThreshold?.ipv6 ?? DEFAULT_BROAD_THRESHOLD.ipv6,
    },
    serviceTags: options.serviceTags,
    asgAddresses,
    memo: { named: new Map(), tagNames: new Map(), compiled: new WeakMap() },
  };
}

/**
 * A service tag's name the way a person writes it: as the loaded data spells it
 * (`Storage.WestEurope`), else as a rule resolved in this context spelled it, else the key.
 */
export function tagDisplayName(ctx: EvaluationContext, key: string): string {
  const data = ctx.serviceTags;
  if (data?.has(key)) {
    const spelled = data.names.find((n) => n.toLowerCase() === key);
    if (spelled !== undefined) return spelled;
  }
  return ctx.memo.tagNames.get(key) ?? key;
}

/** The loaded service tags the rules resolved in this context, with their names as spelled. */
export function namedServiceTags(ctx: EvaluationContext): { name: string; set: AddressSet }[] {
  const out: { name: string; set: AddressSet }[] = [];
  for (const key of ctx.memo.tagNames.keys()) {
    if (namedSetKind(key, ctx) !== 'serviceTag') continue;
    out.push({ name: tagDisplayName(ctx, key), set: namedSet(ctx, key) });
  }
  return out;
}

/** How a name resolves in a context. */
export type NamedSetKind = 'any' | 'virtualNetwork' | 'internet' | 'azureLoadBalancer' | 'serviceTag' | 'unresolvedTag';

/** What a name stands for in this context (case-insensitive). */
export function namedSetKind(name: string, ctx: EvaluationContext): NamedSetKind {
  const key = name.trim().toLowerCase();
  switch (key) {
    case '*':
    case 'any':
      return 'any';
    case 'virtualnetwork':
      return 'virtualNetwork';
    case 'internet':
      return 'internet';
    case 'azureloadbalancer':
      return 'azureLoadBalancer';
    default:
      return ctx.serviceTags?.has(key) ? 'serviceTag' : 'unresolvedTag';
  }
}

/**
 * The address set a name stands for in this context: `*`/Any, VirtualNetwork, Internet,
 * AzureLoadBalancer, a service tag from the loaded data, or else the tag's symbolic atom.
 */
export function namedSet(ctx: EvaluationContext, name: string): AddressSet {
  const key = name.trim().toLowerCase();
  const cached = ctx.memo.named.get(key);
  if (cached) return cached;
  const kind = namedSetKind(key, ctx);
  let set: AddressSet;
  switch (kind) {
    case 'any':
      set = ANY_ADDRESS;
      break;
    case 'virtualNetwork':
      set = ctx.virtualNetwork;
      break;
    case 'internet':
      // Every address outside the networks' own space and the special-purpose ranges, and every unresolved tag.
      set = addressUnion(addressDifference(addressDifference(ANY_ADDRESS, ctx.ownSpace), SPECIAL_PURPOSE), ALL_TAG_ATOMS);
      break;
    case 'azureLoadBalancer':
      set = addressesFromPrefixes(AZURE_LOAD_BALANCER_PREFIXES).set;
      break;
    case 'serviceTag':
      set = ctx.serviceTags?.addressSet(key) ?? tagAtom(key);
      break;
    case 'unresolvedTag':
      set = tagAtom(key);
      break;
    default:
      return assertNever(kind, 'named set kind');
  }
  ctx.memo.named.set(key, set);
  return set;
}

/**
 * DESIGN's broadness: more IPv4 or IPv6 addresses than the threshold, or any unresolved tag —
 * leaving out the platform tags (platform-tags.ts), by name when unresolved and by their prefixes
 * when the data is loaded, so the answer is the same with the weekly file and without it.
 */
export function isBroad(set: AddressSet, ctx: EvaluationContext): boolean {
  const count = addressCount(set);
  if (count.tags.complement || count.tags.names.some((name) => !platformTag(name))) return true;
  const over = (c: { ipv4: number; ipv6: bigint }): boolean => c.ipv4 > ctx.broadThreshold.ipv4 || c.ipv6 > ctx.broadThreshold.ipv6;
  if (!over(count)) return false;
  const platform = platformAddresses(ctx.serviceTags);
  return addressIsEmpty(platform) || over(addressCount(addressDifference(set, platform)));
}

const PLATFORM_ADDRESSES = new WeakMap<ServiceTagData, AddressSet>();

/** The addresses of every platform tag (and its regional forms) in the loaded data. */
function platformAddresses(data: ServiceTagData | undefined): AddressSet {
  if (!data) return NO_ADDRESS;
  const known = PLATFORM_ADDRESSES.get(data);
  if (known) return known;
  let set = NO_ADDRESS;
  for (const name of data.names) {
    if (platformTag(name)) set = addressUnion(set, data.addressSet(name) ?? NO_ADDRESS);
  }
  PLATFORM_ADDRESSES.set(data, set);
  return set;
}

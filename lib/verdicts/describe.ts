/** Words for findings: ports, address sets, attachment points, rules; and filled-in remediations. */
import { nameOfId, parseResourceId } from '../arm/index.js';
import {
  addressCount,
  addressDifference,
  addressesFromPrefixes,
  addressIntersect,
  addressIsEmpty,
  addressIsSubset,
  cidrSummary,
  assertNever,
  formatPorts,
  namedServiceTags,
  namedSet,
  portIsAll,
  tagDisplayName,
  type AddressSet,
  type EvaluationContext,
  type FlowProtocol,
  type PortSet,
  type RuleRef,
} from '../nsg/index.js';
import {
  fingerprint,
  type DecidingRule,
  type Evidence,
  type Finding,
  type Remediation,
  type Severity,
} from './finding.js';
import type { EffectivePoint } from './view.js';

const PORTED: ReadonlySet<FlowProtocol> = new Set(['Tcp', 'Udp']);
const ALL_IPV4 = addressesFromPrefixes(['0.0.0.0/0']).set;
const ALL_IPV6 = addressesFromPrefixes(['::/0']).set;

/** "TCP 22", "TCP 80,443 and UDP 53", "every TCP port", "ICMP". */
export function describeProtocolPorts(ports: ReadonlyMap<FlowProtocol, PortSet>): string {
  const parts = [...ports].map(([protocol, set]) => {
    const name = protocol.toUpperCase();
    if (!PORTED.has(protocol)) return name;
    // Port 0 is reserved: 1-65535 is every usable port.
    return portIsAll(set) || (set.length === 2 && set[0] === 1 && set[1] === 65535) ? `every ${name} port` : `${name} ${formatPorts(set).join(',')}`;
  });
  return joinWords(parts);
}

/** "a", "a and b", "a, b and c". */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

/**
 * A short description of a remote address set: "any Internet address", "0.0.0.0/1 and
 * 128.0.0.0/1", "65,472 addresses (10.0.0.0/24, 10.0.1.64/26, 10.0.1.128/25 and 8 more prefixes)".
 */
export function describeAddresses(set: AddressSet, ctx: EvaluationContext, limit = 3): string {
  const internet = namedSet(ctx, 'Internet');
  const hasV4 = set.v4.length > 0;
  const hasV6 = set.v6.length > 0;
  const covers = (family: AddressSet) => addressIsSubset(addressIntersect(internet, family), set);
  // "Any Internet address" in the address families the flows can have here. When VirtualNetwork
  // covers a whole family, Internet has nothing in it there: then the set is described as it is.
  const someInternet = !addressIsEmpty(addressIntersect(internet, set));
  if (someInternet && (hasV4 || hasV6) && (!hasV4 || covers(ALL_IPV4)) && (!hasV6 || covers(ALL_IPV6))) {
    const rest = addressDifference(set, internet);
    const concrete = rest.v4.length > 0 || rest.v6.length > 0;
    return concrete ? `any Internet address and ${describeAddresses(rest, ctx, limit)}` : 'any Internet address';
  }
  const named = describeByName(set, ctx, limit);
  if (named !== undefined) return named;
  const cidrs = cidrSummary(set, limit);
  const tags = set.tags.complement ? ['every service tag without address data'] : set.tags.names.map((t) => `service tag ${tagDisplayName(ctx, t)} (no address data)`);
  if (cidrs.count <= limit) return joinWords([...cidrs.first, ...tags]);
  const count = addressCount(set);
  const size = [count.ipv4 > 0 ? `${count.ipv4.toLocaleString('en-US')} IPv4` : '', count.ipv6 > 0n ? `2^${count.ipv6.toString(2).length - 1}+ IPv6` : '']
    .filter(Boolean)
    .join(' and ');
  return `${size} addresses (${[...cidrs.first, ...tags].join(', ')} and ${cidrs.count - limit} more prefixes)`;
}

/**
 * A set a person knows by name: the VirtualNetwork space, or all addresses of a family, as they are
 * or less a few prefixes ("the virtual network and its connected networks except 10.0.1.0/26").
 * Undefined when the set is neither; the exact set is always in the evidence.
 */
function describeByName(set: AddressSet, ctx: EvaluationContext, limit: number): string | undefined {
  if (set.tags.complement || set.tags.names.length > 0) return undefined;
  const wholes: { name: string; set: AddressSet }[] = [
    { name: 'the virtual network and its connected networks (VirtualNetwork)', set: ctx.virtualNetwork },
    // A loaded service tag a rule names, by that name ("AzureCloud", "Storage.WestEurope"), in the
    // address families the set has (flows of one family see that part of the tag).
    ...namedServiceTags(ctx).map((tag) => ({ name: tag.name, set: inFamiliesOf(set, tag.set) })),
    { name: 'any IPv4 address', set: ALL_IPV4 },
    { name: 'any IPv6 address', set: ALL_IPV6 },
  ];
  for (const whole of wholes) {
    if (addressIsEmpty(whole.set) || !addressIsSubset(set, whole.set)) continue;
    const left = addressDifference(whole.set, set);
    const missing = cidrSummary(left, limit);
    if (missing.count === 0) return whole.name;
    // Most of the named set: say what is left out, when that is short.
    if (missing.count <= limit && addressCount(set).ipv4 > addressCount(left).ipv4) {
      return `${whole.name} except ${joinWords(missing.first)}`;
    }
  }
  return undefined;
}

/** `whole` restricted to the address families `set` has addresses in. */
function inFamiliesOf(set: AddressSet, whole: AddressSet): AddressSet {
  if (set.v6.length === 0 && set.v4.length > 0) return addressIntersect(whole, ALL_IPV4);
  if (set.v4.length === 0 && set.v6.length > 0) return addressIntersect(whole, ALL_IPV6);
  return whole;
}

/** JSON-safe counts and the first prefixes of an address set, for evidence. */
export function addressEvidence(set: AddressSet, limit = 20): { prefixes: string[]; morePrefixes: number; ipv4Addresses: number; ipv6Addresses: string; unresolvedTags: string[] | 'all' } {
  const cidrs = cidrSummary(set, limit);
  const count = addressCount(set);
  return {
    prefixes: cidrs.first,
    morePrefixes: Math.max(0, cidrs.count - limit),
    ipv4Addresses: count.ipv4,
    ipv6Addresses: count.ipv6.toString(),
    unresolvedTags: count.tags.complement ? 'all' : [...count.tags.names],
  };
}

function pointWord(point: EffectivePoint): string {
  switch (point.point.kind) {
    case 'networkInterface':
      return point.point.scaleSetId !== undefined ? 'scale set' : 'NIC';
    case 'scaleSet':
      return 'scale set';
    case 'subnet':
      return 'subnet';
    case 'unattached':
      return 'NSG';
    default:
      return assertNever(point.point.kind, 'attachment kind');
  }
}

/**
 * "NIC vm-1", "NICs vm-1, vm-2 and 3 more", "subnet snet-a and NIC vm-1", "scale set aks-pool (3
 * instances)", "the NSG alone (associated with nothing)". Scale-set instances are named once, by
 * their scale set, with how many there are.
 */
export function describeAttachments(points: readonly EffectivePoint[]): string {
  if (points.length > 0 && points.every((p) => p.point.kind === 'unattached')) return 'the NSG alone (it is associated with nothing)';
  const byWord = new Map<string, string[]>();
  const instances = new Map<string, Set<string>>();
  const scaleSetName = new Map<string, string>();
  /** A scale set's own instance count, when its profile stands for instances the estate does not hold. */
  const capacity = new Map<string, number>();
  for (const point of points) {
    const word = pointWord(point);
    const scaleSet = point.point.scaleSetId;
    const name = scaleSet !== undefined ? nameOfId(scaleSet) : point.point.name;
    if (scaleSet !== undefined) {
      const key = scaleSet.toLowerCase();
      scaleSetName.set(name, key);
      const seen = instances.get(key) ?? new Set<string>();
      if (point.point.kind === 'networkInterface') seen.add(point.point.key);
      capacity.set(key, Math.max(capacity.get(key) ?? 0, point.point.instances ?? 0));
      instances.set(key, seen);
    }
    const names = byWord.get(word) ?? [];
    if (!names.includes(name)) names.push(name);
    byWord.set(word, names);
  }
  const label = (name: string): string => {
    const key = scaleSetName.get(name);
    const count = key === undefined ? 0 : Math.max(instances.get(key)?.size ?? 0, capacity.get(key) ?? 0);
    return count > 0 ? `${name} (${count} instance${count === 1 ? '' : 's'})` : name;
  };
  const groups = [...byWord].map(([word, names]) => {
    const plural = names.length > 1 ? `${word}s` : word;
    const shown = names.slice(0, 2).map(label);
    const rest = names.length - shown.length;
    return `${plural} ${rest > 0 ? `${shown.join(', ')} and ${rest} more` : joinWords(shown)}`;
  });
  return joinWords(groups);
}

/** "rule AllowSsh (priority 100)" */
export function describeRule(rule: { rule: string; priority: number }): string {
  return `rule ${rule.rule} (priority ${rule.priority})`;
}

export function decidingRule(ref: RuleRef): DecidingRule {
  return { nsg: ref.nsg, nsgName: ref.nsgName, rule: ref.rule, priority: ref.priority, access: ref.access, ...(ref.admin ? { admin: { ...ref.admin } } : {}) };
}

/** "security admin rule DenySsh (priority 10, Deny) of collection c, configuration k, network manager m" */
export function describeAdminRule(ref: RuleRef): string {
  const admin = ref.admin;
  if (!admin) return describeRule(ref);
  return `security admin rule ${ref.rule} (priority ${ref.priority}, ${admin.action}) of collection ${nameOfId(admin.collection)}, configuration ${nameOfId(admin.configuration)}, network manager ${nameOfId(admin.manager)}`;
}

/** The names a remediation's placeholders stand for; unknown ones keep their placeholder. */
export interface RemediationNames {
  nsgId?: string;
  ruleName?: string;
  subnetId?: string;
  nicId?: string;
}

/** The rule's remediation with `<resource-group>`, `<nsg-name>`, ... filled in from ARM ids. */
export function fillRemediation(remediation: Remediation, names: RemediationNames): Remediation {
  const nsg = names.nsgId ? parseResourceId(names.nsgId) : undefined;
  const subnet = names.subnetId ? parseResourceId(names.subnetId) : undefined;
  const nic = names.nicId ? parseResourceId(names.nicId) : undefined;
  const values: Record<string, string | undefined> = {
    '<resource-group>': nsg?.resourceGroup ?? subnet?.resourceGroup ?? nic?.resourceGroup,
    '<nsg-name>': nsg?.name,
    '<rule-name>': names.ruleName,
    '<subnet-name>': subnet?.name,
    '<vnet-name>': subnet?.names[0],
    '<nic-name>': nic?.name,
  };
  const fill = (text: string): string => text.replace(/<[a-z-]+>/g, (placeholder) => values[placeholder] ?? placeholder);
  return { az: fill(remediation.az), bicep: fill(remediation.bicep) };
}

/** A finding of the rule on one resource: its identity (rule, resource, scope, fingerprint) filled in. */
export function findingOn(
  meta: { id: string; severity: Severity; title: string },
  resource: { id: string; name: string },
  detail: { scope?: string; message: string; evidence: Evidence; remediation: Remediation },
): Finding {
  const scope = detail.scope ?? '';
  return {
    ruleId: meta.id,
    severity: meta.severity,
    resourceId: resource.id,
    resourceName: resource.name,
    scope,
    fingerprint: fingerprint(meta.id, resource.id, scope),
    title: meta.title,
    message: detail.message,
    evidence: detail.evidence,
    remediation: detail.remediation,
  };
}

/**
 * Rules resolved against a context once: every address term turned into one exact set, so
 * decisions and analyses never resolve a name twice. Memoised per (context, NSG).
 */
import type {
  AddressSet,
  AddressTerm,
  EvaluationContext,
  FlowProtocol,
  Nsg,
  PortSet,
  RuleProtocol,
  RuleRef,
  SecurityRule,
} from './types.js';
import { type Ip, parseIp, tagContains } from './addresses.js';
import { namedSetKind } from './context.js';
import { resolveTerms, termGap } from './terms.js';
import { containsPoint } from './intervals.js';
import { portIsAll } from './ports.js';
import { assertNever } from './values.js';
import type { AdminRule } from './admin.js';

export interface CompiledRule {
  readonly rule: SecurityRule;
  readonly ref: RuleRef;
  readonly protocol: RuleProtocol;
  readonly source: AddressSet;
  readonly destination: AddressSet;
  readonly sourcePorts: PortSet;
  readonly destinationPorts: PortSet;
  /** Both port sets cover every port: the rule can match Icmp/Esp/Ah flows. */
  readonly portsAll: boolean;
}

export interface CompiledNsg {
  readonly nsg: Nsg;
  readonly inbound: readonly CompiledRule[];
  readonly outbound: readonly CompiledRule[];
  /** Unresolved tags the rules name: lower-case key → the spelling of the first rule naming it. */
  readonly unresolvedTags: ReadonlyMap<string, string>;
  /** ASGs named by the rules with no known member address (as written). */
  readonly emptyAsgs: readonly string[];
}

export function compileNsg(nsg: Nsg, ctx: EvaluationContext): CompiledNsg {
  const cached = ctx.memo.compiled.get(nsg);
  if (cached) return cached as CompiledNsg;
  const unresolvedTags = new Map<string, string>();
  const emptyAsgs = new Map<string, string>();
  const resolve = (terms: readonly AddressTerm[]): AddressSet => {
    for (const term of terms) {
      const gap = termGap(term, ctx);
      if (gap?.kind === 'unresolvedTag' && !unresolvedTags.has(gap.key)) unresolvedTags.set(gap.key, gap.text);
      else if (gap?.kind === 'emptyAsg') emptyAsgs.set(gap.id, gap.text);
    }
    return resolveTerms(terms, ctx);
  };
  const compileRule = (rule: SecurityRule): CompiledRule => ({
    rule,
    ref: ruleRef(nsg, rule),
    protocol: rule.protocol,
    source: resolve(rule.source),
    destination: resolve(rule.destination),
    sourcePorts: rule.sourcePorts,
    destinationPorts: rule.destinationPorts,
    portsAll: portIsAll(rule.sourcePorts) && portIsAll(rule.destinationPorts),
  });
  const compiled: CompiledNsg = {
    nsg,
    inbound: nsg.inbound.map(compileRule),
    outbound: nsg.outbound.map(compileRule),
    unresolvedTags,
    emptyAsgs: [...emptyAsgs.values()],
  };
  ctx.memo.compiled.set(nsg, compiled);
  return compiled;
}

/** A flow endpoint: a concrete IP or the atom of an unresolved tag (lower-case key). */
export type Endpoint = Ip | { readonly family: 'tag'; readonly key: string };

export function endpointIn(set: AddressSet, endpoint: Endpoint): boolean {
  switch (endpoint.family) {
    case 4:
      return containsPoint(set.v4, endpoint.value);
    case 6:
      return containsPoint(set.v6, endpoint.value);
    case 'tag':
      return tagContains(set.tags, endpoint.key);
    default:
      return assertNever(endpoint, 'endpoint');
  }
}

/** A flow with parsed endpoints, as the matcher needs it. */
export interface PointFlow {
  readonly protocol: FlowProtocol;
  readonly source: Endpoint;
  readonly destination: Endpoint;
  /** -1 for protocols without ports. */
  readonly sourcePort: number;
  readonly destinationPort: number;
}

export function hasPorts(protocol: FlowProtocol): boolean {
  return protocol === 'Tcp' || protocol === 'Udp';
}

export function ruleMatches(rule: CompiledRule, flow: PointFlow): boolean {
  if (rule.protocol !== '*' && rule.protocol !== flow.protocol) return false;
  if (hasPorts(flow.protocol)) {
    if (!containsPoint(rule.sourcePorts, flow.sourcePort) || !containsPoint(rule.destinationPorts, flow.destinationPort)) {
      return false;
    }
  } else if (!rule.portsAll) {
    return false;
  }
  return endpointIn(rule.source, flow.source) && endpointIn(rule.destination, flow.destination);
}

/** Index of the first rule (in processing order, before `limit`) that matches, or -1. */
export function firstMatch(rules: readonly CompiledRule[], flow: PointFlow, limit = rules.length): number {
  for (let i = 0; i < limit; i++) {
    if (ruleMatches(rules[i] as CompiledRule, flow)) return i;
  }
  return -1;
}

/** Reads an endpoint: an IP literal, or the name of a tag that has no data in this context. */
export function parseEndpoint(text: string, ctx: EvaluationContext): Endpoint | string {
  const ip = parseIp(text);
  if (ip) return ip;
  const key = text.trim().toLowerCase();
  if (!/^[a-z][a-z0-9._-]*$/.test(key)) return `'${text}' is not an IP address`;
  const kind = namedSetKind(key, ctx);
  if (kind !== 'unresolvedTag') return `'${text}' names a set of addresses (${kind}), not one address`;
  return { family: 'tag', key };
}

/** The reference to a rule used in decisions and evidence. */
export function ruleRef(nsg: Nsg, rule: SecurityRule): RuleRef {
  return {
    nsg: nsg.id,
    nsgName: nsg.name,
    rule: rule.name,
    priority: rule.priority,
    access: rule.access,
    direction: rule.direction,
    isDefault: rule.isDefault,
    ...(isAdminRule(rule) && rule.origin ? { admin: { ...rule.origin, action: rule.action } } : {}),
  };
}

function isAdminRule(rule: SecurityRule): rule is AdminRule {
  return 'action' in rule;
}

/**
 * Parsing and validation of NSGs and security rules. Reads the ARM REST shape (fields under
 * `properties`), the flattened az CLI / SDK shape (fields at top level) and the effective-rules
 * shape of Network Watcher / effective NSG lists. Bad input is never guessed at: every problem is
 * a ResourceError naming the NSG, the rule and the field, and all of an NSG's problems are
 * reported together.
 */
import { boundedText, describeValue } from './describe-value.js';
import type {
  ResourceError,
  Access,
  AddressTerm,
  Direction,
  Nsg,
  NsgParseResult,
  PortSet,
  RuleParseResult,
  RuleProtocol,
  SecurityRule,
} from './types.js';
import { normalizeId } from '../arm/index.js';
import { readAddressTerm } from './terms.js';
import { ALL_PORTS, parsePorts, portUnion } from './ports.js';
import { isRecord } from './values.js';

const NSG_TYPE = 'microsoft.network/networksecuritygroups';

/**
 * Most rule sides are one value (`*`, `Internet`, `VirtualNetwork`, a port, a prefix) that many
 * rules repeat. Parsed values are immutable, so equal texts share one parsed value: a large estate
 * holds one term list per distinct text, not one per rule. Bounded, so a long-running process that
 * sees endless distinct values keeps no more than this many.
 */
const INTERNED_LIMIT = 20_000;
const internedTerms = new Map<string, { terms: readonly AddressTerm[]; hostBitsSet: boolean } | null>();
const internedPorts = new Map<string, PortSet | null>();

function intern<V>(table: Map<string, V>, key: string, make: () => V): V {
  const known = table.get(key);
  if (known !== undefined || table.has(key)) return known as V;
  if (table.size >= INTERNED_LIMIT) table.clear();
  const value = make();
  table.set(key, value);
  return value;
}

/** One address value as a term list of its own, shared by every rule side that is just this value. */
function singleTerm(value: string): { terms: readonly AddressTerm[]; hostBitsSet: boolean } | null {
  return intern(internedTerms, value, () => {
    const read = readAddressTerm(value);
    return read.ok ? { terms: Object.freeze([read.term]), hostBitsSet: read.hostBitsSet } : null;
  });
}

/** One port value as a set, shared by every rule side that is just this value. */
function singlePorts(value: string): PortSet | null {
  return intern(internedPorts, value, () => {
    const parsed = parsePorts([value]);
    return parsed.ok ? parsed.ports : null;
  });
}
const RULE_ID = /^(.*\/networkSecurityGroups\/[^/]+)\/(securityRules|defaultSecurityRules)\/[^/]*$/i;


/**
 * One resource object with `properties` merged up (ARM REST → flattened az CLI / SDK shape);
 * top-level id, name and type win. Undefined when `raw` is not an object.
 */
export function flattenResource(raw: unknown): Record<string, unknown> | undefined {
  if (!isRecord(raw)) return undefined;
  const properties = raw['properties'];
  if (!isRecord(properties)) return { ...raw };
  const { properties: _dropped, ...top } = raw;
  const flat: Record<string, unknown> = { ...top, ...properties };
  for (const key of ['id', 'name', 'type'] as const) {
    if (top[key] !== undefined) flat[key] = top[key];
  }
  return flat;
}

interface DefaultRuleSpec {
  name: string;
  direction: Direction;
  priority: number;
  access: Access;
  source: string;
  destination: string;
  description: string;
}

const DEFAULT_RULE_SPECS: readonly DefaultRuleSpec[] = [
  { name: 'AllowVnetInBound', direction: 'Inbound', priority: 65000, access: 'Allow', source: 'VirtualNetwork', destination: 'VirtualNetwork', description: 'Allow inbound traffic from all VMs in VNET' },
  { name: 'AllowAzureLoadBalancerInBound', direction: 'Inbound', priority: 65001, access: 'Allow', source: 'AzureLoadBalancer', destination: '*', description: 'Allow inbound traffic from azure load balancer' },
  { name: 'DenyAllInBound', direction: 'Inbound', priority: 65500, access: 'Deny', source: '*', destination: '*', description: 'Deny all inbound traffic' },
  { name: 'AllowVnetOutBound', direction: 'Outbound', priority: 65000, access: 'Allow', source: 'VirtualNetwork', destination: 'VirtualNetwork', description: 'Allow outbound traffic from all VMs to all VMs in VNET' },
  { name: 'AllowInternetOutBound', direction: 'Outbound', priority: 65001, access: 'Allow', source: '*', destination: 'Internet', description: 'Allow outbound traffic from all VMs to Internet' },
  { name: 'DenyAllOutBound', direction: 'Outbound', priority: 65500, access: 'Deny', source: '*', destination: '*', description: 'Deny all outbound traffic' },
];

/** Names of the six default rules, in the order Azure lists them. */
export const DEFAULT_RULE_NAMES: readonly string[] = DEFAULT_RULE_SPECS.map((s) => s.name);

function namedTerm(text: string): AddressTerm {
  const read = readAddressTerm(text);
  if (!read.ok) throw new Error(`default rule address '${text}': ${read.message}`);
  return read.term;
}

/** The six default rules of an NSG, as Azure defines them. */
export function defaultRules(nsgId: string): SecurityRule[] {
  return DEFAULT_RULE_SPECS.map((spec) => ({
    id: nsgId === '' ? '' : `${nsgId}/defaultSecurityRules/${spec.name}`,
    name: spec.name,
    priority: spec.priority,
    direction: spec.direction,
    access: spec.access,
    protocol: '*',
    source: [namedTerm(spec.source)],
    destination: [namedTerm(spec.destination)],
    sourcePorts: ALL_PORTS,
    destinationPorts: ALL_PORTS,
    isDefault: true,
    description: spec.description,
  }));
}

interface RuleSite {
  /** The NSG (or, for a standalone rule without a known NSG, the rule) errors are reported on. */
  resourceId: string;
  isDefault: boolean;
  /** Position in its list, for rules without a name. */
  index: number;
  /** From an effective-rules list, where Azure's own defaults may carry other names. */
  effective?: boolean;
}

interface RuleOutcome {
  rule: SecurityRule | undefined;
  errors: ResourceError[];
  warnings: ResourceError[];
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Singular and plural fields as one list; `undefined` entries mean "not given". */
function collect(flat: Record<string, unknown>, singular: string, plural: string): { values: unknown[]; badPlural: boolean } {
  const values: unknown[] = [];
  const one = flat[singular];
  if (present(one)) values.push(one);
  const many = flat[plural];
  if (many !== undefined && many !== null && !Array.isArray(many)) return { values, badPlural: true };
  if (Array.isArray(many)) values.push(...many);
  return { values, badPlural: false };
}

function parseEnum<T extends string>(value: unknown, table: Readonly<Record<string, T>>): T | undefined {
  if (typeof value !== 'string') return undefined;
  return table[value.trim().toLowerCase()];
}

const ACCESS: Readonly<Record<string, Access>> = { allow: 'Allow', deny: 'Deny' };
const DIRECTION: Readonly<Record<string, Direction>> = { inbound: 'Inbound', outbound: 'Outbound' };
// `All` is how effective-rules responses spell `*`; `Any` is how the portal does.
const PROTOCOL: Readonly<Record<string, RuleProtocol>> = {
  tcp: 'Tcp',
  udp: 'Udp',
  icmp: 'Icmp',
  esp: 'Esp',
  ah: 'Ah',
  '*': '*',
  any: '*',
  all: '*',
};

function parseRuleRecord(flat: Record<string, unknown>, site: RuleSite): RuleOutcome {
  const errors: ResourceError[] = [];
  const warnings: ResourceError[] = [];
  const rawName = flat['name'];
  let name = typeof rawName === 'string' ? rawName.trim() : '';
  // Effective-rules responses prefix names with the collection they come from.
  const prefixed = /^(securityRules|defaultSecurityRules)\/(.+)$/i.exec(name);
  let isDefault = site.isDefault;
  if (prefixed) {
    name = prefixed[2] as string;
    if ((prefixed[1] as string).toLowerCase() === 'defaultsecurityrules') isDefault = true;
  }
  const id = typeof flat['id'] === 'string' ? flat['id'] : '';
  if (/\/defaultSecurityRules\//i.test(id)) isDefault = true;
  const ruleLabel = name === '' ? `(rule ${site.index + 1})` : name;
  const fail = (field: string, message: string): void => {
    errors.push({ resourceId: site.resourceId, rule: ruleLabel, field, message: `rule ${ruleLabel}: ${message}` });
  };
  if (name === '') fail('name', 'has no name');

  const access = parseEnum(flat['access'], ACCESS);
  if (!present(flat['access'])) fail('access', 'access is missing (Allow or Deny)');
  else if (!access) fail('access', `access ${describeValue(flat['access'])} is neither Allow nor Deny`);

  const direction = parseEnum(flat['direction'], DIRECTION);
  if (!present(flat['direction'])) fail('direction', 'direction is missing (Inbound or Outbound)');
  else if (!direction) fail('direction', `direction ${describeValue(flat['direction'])} is neither Inbound nor Outbound`);

  const protocol = parseEnum(flat['protocol'], PROTOCOL);
  if (!present(flat['protocol'])) fail('protocol', 'protocol is missing (Tcp, Udp, Icmp, Esp, Ah or *)');
  else if (!protocol) fail('protocol', `protocol ${describeValue(flat['protocol'])} is not Tcp, Udp, Icmp, Esp, Ah or *`);

  let priority: number | undefined;
  const rawPriority = flat['priority'];
  if (!present(rawPriority)) fail('priority', 'priority is missing');
  else {
    const value = typeof rawPriority === 'string' && /^\d+$/.test(rawPriority.trim()) ? Number(rawPriority) : rawPriority;
    if (site.effective && typeof value === 'number' && value >= 65000) isDefault = true;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      fail('priority', `priority ${describeValue(rawPriority)} is not an integer`);
    } else if (!isDefault && (value < 100 || value > 4096)) {
      fail('priority', `priority ${value} is outside 100-4096`);
    } else if (isDefault && (value < 0 || value > 65535)) {
      fail('priority', `priority ${value} is outside 0-65535`);
    } else {
      priority = value;
    }
  }

  const sourcePorts = rulePorts(flat, 'source', fail);
  const destinationPorts = rulePorts(flat, 'destination', fail);

  const warn = (field: string, message: string): void => {
    warnings.push({ resourceId: site.resourceId, rule: ruleLabel, field, message: `rule ${ruleLabel}: ${message}` });
  };
  const source = ruleAddresses(flat, 'source', fail, warn);
  const destination = ruleAddresses(flat, 'destination', fail, warn);

  if (
    errors.length > 0 ||
    !access ||
    !direction ||
    !protocol ||
    priority === undefined ||
    !sourcePorts ||
    !destinationPorts ||
    !source ||
    !destination
  ) {
    return { rule: undefined, errors, warnings };
  }
  const description = flat['description'];
  return {
    rule: {
      id,
      name,
      priority,
      direction,
      access,
      protocol,
      source,
      destination,
      sourcePorts,
      destinationPorts,
      isDefault,
      description: typeof description === 'string' ? description : '',
    },
    errors,
    warnings,
  };
}

type Fail = (field: string, message: string) => void;

/** A side's ports: the singular and plural fields as one set. */
function rulePorts(flat: Record<string, unknown>, side: 'source' | 'destination', fail: Fail): PortSet | undefined {
  const singular = `${side}PortRange`;
  const plural = `${side}PortRanges`;
  const { values, badPlural } = collect(flat, singular, plural);
  if (badPlural) {
    fail(plural, `${plural} is not a list`);
    return undefined;
  }
  if (values.length === 0) {
    fail(singular, `${singular} is missing (neither ${singular} nor ${plural} is given)`);
    return undefined;
  }
  const singularValue = flat[singular];
  if (values.length === 1 && typeof values[0] === 'string') {
    const shared = singlePorts(values[0]);
    if (shared) return shared;
  }
  const pluralValues = present(singularValue) ? values.slice(1) : values;
  const fromSingular = present(singularValue) ? parsePorts([singularValue]) : { ok: true as const, ports: [] };
  if (!fromSingular.ok) fail(singular, fromSingular.message);
  const fromPlural = parsePorts(pluralValues);
  if (!fromPlural.ok) fail(plural, fromPlural.message);
  if (!fromSingular.ok || !fromPlural.ok) return undefined;
  return portUnion(fromSingular.ports, fromPlural.ports);
}

/** A side's addresses: prefixes, tags and application security groups as one list of terms. */
function ruleAddresses(
  flat: Record<string, unknown>,
  side: 'source' | 'destination',
  fail: Fail,
  warn: (field: string, message: string) => void,
): readonly AddressTerm[] | undefined {
  const singular = `${side}AddressPrefix`;
  const plural = `${side}AddressPrefixes`;
  const asgField = `${side}ApplicationSecurityGroups`;
  const { values, badPlural } = collect(flat, singular, plural);
  if (badPlural) {
    fail(plural, `${plural} is not a list`);
    return undefined;
  }
  const asgs = flat[asgField];
  if (asgs !== undefined && asgs !== null && !Array.isArray(asgs)) {
    fail(asgField, `${asgField} is not a list`);
    return undefined;
  }
  const only = values[0];
  if (values.length === 1 && typeof only === 'string' && (!Array.isArray(asgs) || asgs.length === 0)) {
    const shared = singleTerm(only);
    if (shared) {
      if (shared.hostBitsSet) warnHostBits(only === flat[singular] ? singular : plural, shared.terms[0]?.text ?? only, warn);
      return shared.terms;
    }
  }
  const terms: AddressTerm[] = [];
  let ok = true;
  for (const value of values) {
    const field = value === flat[singular] ? singular : plural;
    if (typeof value !== 'string') {
      fail(field, `address entry ${describeValue(value)} is not a string`);
      ok = false;
      continue;
    }
    const read = readAddressTerm(value);
    if (!read.ok) {
      fail(field, read.message);
      ok = false;
      continue;
    }
    if (read.hostBitsSet) warnHostBits(field, read.term.text, warn);
    terms.push(read.term);
  }
  for (const asg of Array.isArray(asgs) ? asgs : []) {
    const asgId = isRecord(asg) ? asg['id'] : undefined;
    if (typeof asgId !== 'string' || asgId.trim() === '') {
      fail(asgField, `application security group entry ${describeValue(asg)} has no id`);
      ok = false;
      continue;
    }
    terms.push({ kind: 'asg', text: asgId, id: normalizeId(asgId) });
  }
  if (ok && terms.length === 0) {
    fail(singular, `${singular} is missing (neither ${singular}, ${plural} nor ${asgField} is given)`);
    return undefined;
  }
  return ok ? terms : undefined;
}

function warnHostBits(field: string, text: string, warn: (field: string, message: string) => void): void {
  warn(field, `prefix '${boundedText(text)}' has host bits set; read as its network`);
}

function nsgIdFromRuleId(ruleId: string): string | undefined {
  const m = RULE_ID.exec(ruleId);
  return m ? (m[1]) : undefined;
}

function lastSegment(id: string): string {
  const parts = id.split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

/**
 * Orders the rules, adds the default rules the input did not list, and checks that priorities
 * are unique per direction. Errors name the NSG, the later rule and `priority`.
 */
/**
 * Azure's documented limits on what one NSG may hold ("Networking limits - Azure Resource
 * Manager", Azure subscription and service limits: learn.microsoft.com/azure/azure-resource-manager/
 * management/azure-subscription-service-limits#azure-resource-manager-virtual-networking-limits).
 * Input beyond them never came from Azure: it is refused, not evaluated at any cost.
 */
export const NSG_LIMITS = {
  /** NSG rules per NSG. */
  rulesPerNsg: 1_000,
  /** IP addresses and ranges specified for source or destination in a security group (each side separately). */
  prefixesPerNsgSide: 4_000,
  /** Application security groups referenced as source/destination per NSG rule. */
  asgsPerRule: 10,
  /** Application security groups that can be specified within all security rules of an NSG. */
  asgsPerNsg: 100,
} as const;

function limitErrors(id: string, rules: readonly SecurityRule[]): ResourceError[] {
  const errors: ResourceError[] = [];
  const custom = rules.filter((r) => !r.isDefault);
  if (custom.length > NSG_LIMITS.rulesPerNsg) {
    errors.push({ resourceId: id, field: 'securityRules', message: `the NSG has ${custom.length} security rules; Azure allows at most ${NSG_LIMITS.rulesPerNsg} per NSG` });
  }
  const asgs = new Set<string>();
  for (const side of ['source', 'destination'] as const) {
    let prefixes = 0;
    for (const rule of custom) {
      const terms = rule[side];
      prefixes += terms.filter((t) => t.kind === 'prefix').length;
      const ruleAsgs = terms.filter((t) => t.kind === 'asg');
      for (const term of ruleAsgs) asgs.add(term.id);
      if (ruleAsgs.length > NSG_LIMITS.asgsPerRule) {
        errors.push({
          resourceId: id,
          rule: rule.name,
          field: `${side}ApplicationSecurityGroups`,
          message: `rule ${rule.name} names ${ruleAsgs.length} ${side} application security groups; Azure allows at most ${NSG_LIMITS.asgsPerRule} per rule`,
        });
      }
    }
    if (prefixes > NSG_LIMITS.prefixesPerNsgSide) {
      errors.push({
        resourceId: id,
        field: `${side}AddressPrefixes`,
        message: `the NSG's rules name ${prefixes} ${side} addresses and ranges; Azure allows at most ${NSG_LIMITS.prefixesPerNsgSide} per NSG`,
      });
    }
  }
  if (asgs.size > NSG_LIMITS.asgsPerNsg) {
    errors.push({ resourceId: id, field: 'applicationSecurityGroups', message: `the NSG's rules name ${asgs.size} application security groups; Azure allows at most ${NSG_LIMITS.asgsPerNsg} per NSG` });
  }
  return errors;
}

function assemble(id: string, name: string, rules: readonly SecurityRule[]): { nsg: Nsg; errors: ResourceError[] } {
  const errors: ResourceError[] = [];
  const listed = new Set(rules.map((r) => r.name.toLowerCase()));
  const listedDefaultSlots = new Set(rules.filter((r) => r.isDefault).map((r) => `${r.direction}|${r.priority}`));
  const all = [...rules];
  for (const rule of defaultRules(id)) {
    if (!listed.has(rule.name.toLowerCase()) && !listedDefaultSlots.has(`${rule.direction}|${rule.priority}`)) {
      all.push(rule);
    }
  }
  const byDirection = (direction: Direction): SecurityRule[] => {
    const list = all.filter((r) => r.direction === direction).sort((a, b) => a.priority - b.priority);
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1] as SecurityRule;
      const rule = list[i] as SecurityRule;
      if (previous.priority === rule.priority) {
        errors.push({
          resourceId: id,
          rule: rule.name,
          field: 'priority',
          message: `rule ${rule.name}: priority ${rule.priority} is already used by rule ${previous.name} (${direction})`,
        });
      }
    }
    return list;
  };
  const seen = new Map<string, SecurityRule>();
  for (const rule of rules) {
    const key = `${rule.isDefault ? 'd' : 'c'}|${rule.name.toLowerCase()}`;
    if (seen.has(key)) {
      errors.push({ resourceId: id, rule: rule.name, field: 'name', message: `rule ${rule.name}: the name is used twice` });
    }
    seen.set(key, rule);
  }
  return { nsg: { id, name, inbound: byDirection('Inbound'), outbound: byDirection('Outbound') }, errors };
}

/**
 * Parses an NSG in the REST shape, the flattened az CLI / SDK shape (also a `--query` projection
 * holding only `securityRules`/`defaultSecurityRules`), or an effective-rules entry
 * (`{ networkSecurityGroup: { id }, effectiveSecurityRules }`). Default rules are always present.
 * `options.id` names the NSG when the input carries no id and its rules' ids do not give one.
 */
export function parseNsg(raw: unknown, options: { id?: string } = {}): NsgParseResult {
  const flat = flattenResource(raw);
  if (!flat) {
    return { ok: false, errors: [{ resourceId: options.id ?? '', message: 'the NSG is not a JSON object' }] };
  }
  const effective = flat['effectiveSecurityRules'];
  const nsgRef = flat['networkSecurityGroup'];
  const lists: { field: string; value: unknown; isDefault: boolean }[] =
    effective !== undefined
      ? [{ field: 'effectiveSecurityRules', value: effective, isDefault: false }]
      : [
          { field: 'securityRules', value: flat['securityRules'], isDefault: false },
          { field: 'defaultSecurityRules', value: flat['defaultSecurityRules'], isDefault: true },
        ];
  const ruleIds = lists
    .flatMap((l) => (Array.isArray(l.value) ? l.value : []))
    .map((r) => flattenResource(r)?.['id'])
    .filter((v): v is string => typeof v === 'string');
  const derived = ruleIds.map(nsgIdFromRuleId).find((v) => v !== undefined && lastSegment(v) !== '');
  const ownId =
    effective !== undefined
      ? isRecord(nsgRef) && typeof nsgRef['id'] === 'string'
        ? nsgRef['id']
        : undefined
      : typeof flat['id'] === 'string'
        ? flat['id']
        : undefined;
  const id = ownId ?? options.id ?? derived ?? '';
  const errors: ResourceError[] = [];
  const warnings: ResourceError[] = [];
  if (id === '') errors.push({ resourceId: '', field: 'id', message: 'the NSG has no id and none can be derived from its rules' });
  const type = flat['type'];
  if (effective === undefined && typeof type === 'string' && type.toLowerCase() !== NSG_TYPE) {
    errors.push({ resourceId: id, field: 'type', message: `resource type ${type} is not ${NSG_TYPE}` });
  }
  const name = typeof flat['name'] === 'string' && effective === undefined ? flat['name'] : lastSegment(id);
  const rules: SecurityRule[] = [];
  for (const list of lists) {
    if (list.value === undefined || list.value === null) continue;
    if (!Array.isArray(list.value)) {
      errors.push({ resourceId: id, field: list.field, message: `${list.field} is not a list` });
      continue;
    }
    for (const [index, entry] of list.value.entries()) {
      const ruleFlat = flattenResource(entry);
      if (!ruleFlat) {
        errors.push({ resourceId: id, rule: `(rule ${index + 1})`, field: list.field, message: `${list.field}[${index}] is not an object` });
        continue;
      }
      const outcome = parseRuleRecord(ruleFlat, { resourceId: id, isDefault: list.isDefault, index, effective: effective !== undefined });
      errors.push(...outcome.errors);
      warnings.push(...outcome.warnings);
      if (outcome.rule) rules.push(outcome.rule);
    }
  }
  // Effective rules (Azure's own expansion of service tags) are not bound by what a user may write.
  if (effective === undefined) errors.push(...limitErrors(id, rules));
  const assembled = assemble(id, name, rules);
  errors.push(...assembled.errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, nsg: assembled.nsg, warnings };
}

/**
 * Parses a standalone security rule resource (REST or flattened), e.g. a child
 * `…/networkSecurityGroups/X/securityRules/Y` read on its own, so it can be merged into its NSG.
 */
export function parseSecurityRule(raw: unknown, options: { isDefault?: boolean; nsgId?: string } = {}): RuleParseResult {
  const flat = flattenResource(raw);
  if (!flat) return { ok: false, errors: [{ resourceId: options.nsgId ?? '', message: 'the security rule is not a JSON object' }] };
  const id = typeof flat['id'] === 'string' ? flat['id'] : '';
  const nsgId = options.nsgId ?? nsgIdFromRuleId(id) ?? '';
  const type = typeof flat['type'] === 'string' ? flat['type'].toLowerCase() : '';
  const outcome = parseRuleRecord(flat, {
    resourceId: nsgId === '' ? id : nsgId,
    isDefault: options.isDefault ?? type.endsWith('/defaultsecurityrules'),
    index: 0,
  });
  if (!outcome.rule) return { ok: false, errors: outcome.errors };
  return { ok: true, rule: outcome.rule, nsgId, warnings: outcome.warnings };
}

/** The NSG with these rules added (same-named rules replaced), priorities re-checked. */
export function mergeRules(nsg: Nsg, rules: readonly SecurityRule[]): NsgParseResult {
  const replaced = new Set(rules.map((r) => `${r.isDefault ? 'd' : 'c'}|${r.name.toLowerCase()}`));
  const kept = [...nsg.inbound, ...nsg.outbound].filter(
    (r) => !replaced.has(`${r.isDefault ? 'd' : 'c'}|${r.name.toLowerCase()}`),
  );
  const assembled = assemble(nsg.id, nsg.name, [...kept, ...rules]);
  if (assembled.errors.length > 0) return { ok: false, errors: assembled.errors };
  return { ok: true, nsg: assembled.nsg, warnings: [] };
}

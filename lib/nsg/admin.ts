/**
 * Virtual Network Manager security admin rules, the layer Azure evaluates before every NSG
 * (DESIGN §3): rules in priority order 1–4096, the first match decides its action — `Deny` ends
 * evaluation (denied), `AlwaysAllow` ends it (allowed, NSGs skipped), `Allow` passes the flow on
 * to the NSGs; a flow no admin rule matches goes on to the NSGs as well. There are no default
 * admin rules in the engine: a set with no rules passes everything on.
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins)
 *
 * An admin rule set is held as an `Nsg` whose rules carry their action beside them, so the
 * compiler, the first-match and the region partition are the same code as for NSGs.
 */
import type { AddressTerm, AdminRuleOrigin, Direction, Nsg, PortSet, ResourceError, RuleProtocol, SecurityRule } from './types.js';
import { parsePorts, ALL_PORTS } from './ports.js';
import { readAddressTerm } from './terms.js';
import { isRecord } from './values.js';

export type AdminAction = 'Allow' | 'Deny' | 'AlwaysAllow';

export interface AdminRule extends SecurityRule {
  readonly action: AdminAction;
  /** Where the rule comes from (network manager, configuration, collection ids); decisions name it. */
  readonly origin?: Omit<AdminRuleOrigin, 'action'>;
}

/** The admin rules that apply at one attachment point (one network), in processing order. */
export interface AdminRuleSet extends Nsg {
  readonly inbound: readonly AdminRule[];
  readonly outbound: readonly AdminRule[];
}

export type AdminRuleParseResult = { ok: true; rule: AdminRule } | { ok: false; errors: ResourceError[] };

const ACTIONS: Readonly<Record<string, AdminAction>> = { allow: 'Allow', deny: 'Deny', alwaysallow: 'AlwaysAllow' };
const DIRECTIONS: Readonly<Record<string, Direction>> = { inbound: 'Inbound', outbound: 'Outbound' };
const PREFIX_TYPES: Readonly<Record<string, 'IPPrefix' | 'ServiceTag'>> = { ipprefix: 'IPPrefix', servicetag: 'ServiceTag' };
const PROTOCOLS: Readonly<Record<string, RuleProtocol>> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', esp: 'Esp', ah: 'Ah', any: '*', '*': '*' };

/**
 * Reads one admin rule in ARM shape (fields under `properties` or flattened): `access`,
 * `direction`, `priority` 1–4096, `protocol`, `sources`/`destinations` as
 * `{ addressPrefixType, addressPrefix }` lists, `sourcePortRanges`/`destinationPortRanges`
 * (absent or empty: every port). A bad field is an error naming the rule and the field.
 */
export function parseAdminRule(raw: unknown): AdminRuleParseResult {
  if (!isRecord(raw)) return { ok: false, errors: [{ resourceId: '', field: 'rule', message: 'the admin rule is not an object' }] };
  const props = isRecord(raw['properties']) ? { ...raw, ...raw['properties'] } : raw;
  const id = typeof raw['id'] === 'string' ? raw['id'] : '';
  const name = typeof raw['name'] === 'string' && raw['name'] !== '' ? raw['name'] : (id.split('/').pop() ?? '');
  const errors: ResourceError[] = [];
  const fail = (field: string, message: string): undefined => {
    errors.push({ resourceId: id || name, field, message: `admin rule ${name || '(unnamed)'}: ${message}` });
    return undefined;
  };
  const pick = <T>(field: string, table: Readonly<Record<string, T>>, what: string): T | undefined => {
    const value = props[field];
    const found = typeof value === 'string' ? table[value.trim().toLowerCase()] : undefined;
    return found ?? fail(field, `${field} ${JSON.stringify(value)} is not ${what}`);
  };
  const action = pick('access', ACTIONS, 'Allow, Deny or AlwaysAllow');
  const direction = pick('direction', DIRECTIONS, 'Inbound or Outbound');
  const protocol = pick('protocol', PROTOCOLS, 'Tcp, Udp, Icmp, Esp, Ah or Any');
  const priorityValue = props['priority'];
  const priority =
    typeof priorityValue === 'number' && Number.isInteger(priorityValue) && priorityValue >= 1 && priorityValue <= 4096
      ? priorityValue
      : fail('priority', `priority ${JSON.stringify(priorityValue)} is not an integer 1-4096`);
  const side = (field: 'sources' | 'destinations'): AddressTerm[] | undefined => {
    const list = props[field];
    if (!Array.isArray(list) || list.length === 0) return fail(field, `${field} is missing or empty`);
    const terms: AddressTerm[] = [];
    list.forEach((item, i) => {
      const prefix = isRecord(item) ? (item['addressPrefix'] ?? item['AddressPrefix']) : undefined;
      if (typeof prefix !== 'string') return fail(`${field}[${i}].addressPrefix`, `${field}[${i}] has no addressPrefix`);
      const read = readAddressTerm(prefix);
      if (!read.ok) return fail(`${field}[${i}].addressPrefix`, read.message);
      if (read.term.kind === 'asg') return fail(`${field}[${i}].addressPrefix`, `${field}[${i}] names a resource; admin rules take IP prefixes and service tags`);
      // addressPrefixType says what the prefix is: IPPrefix (addresses, `*`) or ServiceTag (a tag name).
      const type = isRecord(item) ? (item['addressPrefixType'] ?? item['AddressPrefixType']) : undefined;
      if (type !== undefined && type !== null) {
        const kind = typeof type === 'string' ? PREFIX_TYPES[type.trim().toLowerCase()] : undefined;
        if (!kind) return fail(`${field}[${i}].addressPrefixType`, `${field}[${i}].addressPrefixType ${JSON.stringify(type)} is neither IPPrefix nor ServiceTag`);
        const isTag = read.term.kind === 'tag';
        // `*` and `Any` mean every address whichever type names them.
        if (kind === 'ServiceTag' && !isTag && read.term.kind !== 'any') return fail(`${field}[${i}].addressPrefixType`, `${field}[${i}] is a ServiceTag but '${prefix}' is not a service tag name`);
        if (kind === 'IPPrefix' && isTag) return fail(`${field}[${i}].addressPrefixType`, `${field}[${i}] is an IPPrefix but '${prefix}' is a service tag name`);
      }
      terms.push(read.term);
      return undefined;
    });
    return terms;
  };
  const ports = (field: 'sourcePortRanges' | 'destinationPortRanges'): PortSet | undefined => {
    const list = props[field];
    if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) return ALL_PORTS;
    if (!Array.isArray(list)) return fail(field, `${field} is not a list`);
    const parsed = parsePorts(list);
    return parsed.ok ? parsed.ports : fail(field, parsed.message);
  };
  const source = side('sources');
  const destination = side('destinations');
  const sourcePorts = ports('sourcePortRanges');
  const destinationPorts = ports('destinationPortRanges');
  if (errors.length > 0 || !action || !direction || !protocol || priority === undefined || !source || !destination || !sourcePorts || !destinationPorts) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    rule: {
      id,
      name,
      priority,
      direction,
      access: action === 'Deny' ? 'Deny' : 'Allow',
      action,
      protocol,
      source,
      destination,
      sourcePorts,
      destinationPorts,
      isDefault: false,
      description: typeof props['description'] === 'string' ? props['description'] : '',
    },
  };
}

/**
 * The admin rules of one network as one set, in processing order. Rules of several
 * configurations or collections may share a priority; the engine then keeps their input order
 * (Azure documents no order among equal priorities, so callers should not rely on one).
 */
export function adminRuleSet(id: string, name: string, rules: readonly AdminRule[]): AdminRuleSet {
  const ordered = (direction: Direction) =>
    rules
      .map((rule, index) => ({ rule, index }))
      .filter((r) => r.rule.direction === direction)
      .sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index)
      .map((r) => r.rule);
  return { id, name, inbound: ordered('Inbound'), outbound: ordered('Outbound') };
}

/** The action of an admin set's rule (a rule of the set, by identity). */
export function actionOf(rule: SecurityRule): AdminAction {
  return (rule as Partial<AdminRule>).action ?? (rule.access === 'Deny' ? 'Deny' : 'Allow');
}

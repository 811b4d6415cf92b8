/**
 * Reading and validating policies (YAML or JSON, parsed with `yaml`, which keeps positions so every
 * error names file:line:column and the field). The built-in rules go through the same validation
 * (compilePolicy) from their object form. Pure: text in, policies or errors out.
 */
import {
  addressToCidrs,
  ALL_PORTS,
  assertNever,
  describeValue,
  type Direction,
  FLOW_PROTOCOLS,
  type FlowProtocol,
  formatPorts,
  parseAddressPrefix,
  parsePorts,
  portIsAll,
  type PortSet,
  readAddressTerm,
} from '../nsg/index.js';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { isSeverity } from '../verdicts/finding.js';
import {
  ALLOW_WHEN,
  DENY_WHEN,
  RULE_SELECTIONS,
  type AllowWhen,
  type DenyWhen,
  type FlowAssertion,
  type FlowPolicy,
  type PolicyError,
  type PolicyParseResult,
  type PolicyScope,
  type PolicySpec,
  type ResourceSelector,
  type RuleSelection,
  type TagSelector,
} from './model.js';

interface Pos {
  line: number;
  column: number;
}

/** A parsed value with its position (none for policies given as objects). */
type PNode =
  | { kind: 'map'; entries: { key: string; value: PNode; pos: Pos | undefined }[]; pos: Pos | undefined }
  | { kind: 'seq'; items: PNode[]; pos: Pos | undefined }
  | { kind: 'scalar'; value: string | number | boolean | null; pos: Pos | undefined };

const POLICY_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const PORTED: ReadonlySet<FlowProtocol> = new Set(['Tcp', 'Udp']);

const POLICY_FIELDS = ['id', 'severity', 'title', 'message', 'description', 'scope', 'deny', 'allow'] as const;
const SCOPE_FIELDS = ['resources', 'tags', 'subnets', 'exclude'] as const;
const FLOW_FIELDS = ['label', 'direction', 'protocol', 'ports', 'from', 'to', 'except', 'when', 'decidedBy'] as const;

class Checker {
  readonly errors: PolicyError[] = [];
  constructor(readonly source: string) {}

  fail(path: string, node: PNode | undefined, message: string, pos: Pos | undefined = node?.pos): void {
    this.errors.push({
      source: this.source,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: path === '' ? '(document)' : path,
      message,
    });
  }
}

function fromYaml(node: unknown, lines: LineCounter): PNode {
  const posOf = (n: YamlNode | null | undefined): Pos | undefined => {
    const offset = n?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (isMap(node)) {
    return {
      kind: 'map',
      pos: posOf(node),
      entries: node.items.map((pair) => {
        const keyNode = isScalar(pair.key) ? pair.key : undefined;
        const key = keyNode ? String(keyNode.value) : String(pair.key);
        return { key, value: fromYaml(pair.value, lines), pos: posOf(keyNode) };
      }),
    };
  }
  if (isSeq(node)) return { kind: 'seq', pos: posOf(node), items: node.items.map((item) => fromYaml(item, lines)) };
  if (isScalar(node)) {
    const value = node.value;
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? value : String(value);
    return { kind: 'scalar', value: scalar, pos: posOf(node) };
  }
  return { kind: 'scalar', value: null, pos: undefined };
}

function fromPlain(value: unknown): PNode {
  if (Array.isArray(value)) return { kind: 'seq', pos: undefined, items: value.map(fromPlain) };
  if (typeof value === 'object' && value !== null) {
    return {
      kind: 'map',
      pos: undefined,
      entries: Object.entries(value).map(([key, v]) => ({ key, value: fromPlain(v), pos: undefined })),
    };
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return { kind: 'scalar', value, pos: undefined };
  }
  return { kind: 'scalar', value: null, pos: undefined };
}

function describeNode(node: PNode): string {
  switch (node.kind) {
    case 'map':
      return 'a mapping';
    case 'seq':
      return 'a list';
    case 'scalar':
      return node.value === null ? 'empty' : describeValue(node.value);
    default:
      return assertNever(node, 'policy node');
  }
}

function field(map: Extract<PNode, { kind: 'map' }>, key: string): PNode | undefined {
  return map.entries.find((e) => e.key === key)?.value;
}

function checkFields(check: Checker, path: string, map: Extract<PNode, { kind: 'map' }>, allowed: readonly string[]): void {
  for (const entry of map.entries) {
    if (!allowed.includes(entry.key)) {
      check.fail(join(path, entry.key), entry.value, `unknown field '${entry.key}' (expected one of: ${allowed.join(', ')})`, entry.pos);
    }
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function text(check: Checker, path: string, node: PNode | undefined, parent: PNode, required: boolean): string | undefined {
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) {
    if (required) check.fail(path, node ?? parent, `${path.split('.').pop() ?? path} is required`);
    return undefined;
  }
  if (node.kind !== 'scalar' || typeof node.value !== 'string' || node.value.trim() === '') {
    check.fail(path, node, `expected text, found ${describeNode(node)}`);
    return undefined;
  }
  return node.value.trim();
}

/** A scalar or a list of scalars, as strings (numbers allowed where `numbers`). */
function list(check: Checker, path: string, node: PNode | undefined, numbers = false): { value: string | number; node: PNode }[] {
  if (node === undefined) return [];
  const items = node.kind === 'seq' ? node.items.map((item, i) => ({ item, path: join(path, i) })) : [{ item: node, path }];
  const out: { value: string | number; node: PNode }[] = [];
  for (const { item, path: itemPath } of items) {
    if (item.kind === 'scalar' && typeof item.value === 'string' && item.value.trim() !== '') {
      // "22, 80" and "Internet, AzureCloud": a comma-separated scalar is a list too.
      for (const part of item.value.split(',')) if (part.trim() !== '') out.push({ value: part.trim(), node: item });
    } else if (numbers && item.kind === 'scalar' && typeof item.value === 'number') {
      out.push({ value: item.value, node: item });
    } else {
      check.fail(itemPath, item, `expected ${numbers ? 'a port, a range or text' : 'text'}, found ${describeNode(item)}`);
    }
  }
  return out;
}

function choice<T extends string>(
  check: Checker,
  path: string,
  node: PNode | undefined,
  options: readonly T[],
  fallback: T,
): T | undefined {
  if (node === undefined) return fallback;
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    const wanted = node.value.trim().toLowerCase();
    const found = options.find((o) => o.toLowerCase() === wanted);
    if (found) return found;
  }
  check.fail(path, node, `${describeNode(node)} is not one of: ${options.join(', ')}`);
  return undefined;
}

function protocolsOf(check: Checker, path: string, node: PNode | undefined): FlowProtocol[] | undefined {
  if (node === undefined) return [...FLOW_PROTOCOLS];
  const out = new Set<FlowProtocol>();
  let bad = false;
  for (const { value, node: item } of list(check, path, node)) {
    const key = String(value).toLowerCase();
    if (key === '*' || key === 'any') {
      for (const p of FLOW_PROTOCOLS) out.add(p);
      continue;
    }
    const found = FLOW_PROTOCOLS.find((p) => p.toLowerCase() === key);
    if (found) out.add(found);
    else {
      check.fail(path, item, `protocol '${String(value)}' is not one of tcp, udp, icmp, esp, ah, *`);
      bad = true;
    }
  }
  if (bad) return undefined;
  if (out.size === 0) {
    check.fail(path, node, 'protocol names no protocol');
    return undefined;
  }
  return FLOW_PROTOCOLS.filter((p) => out.has(p));
}

function portsOf(check: Checker, path: string, node: PNode | undefined): PortSet | undefined {
  if (node === undefined) return ALL_PORTS;
  const entries = list(check, path, node, true);
  if (entries.length === 0) {
    check.fail(path, node, 'ports names no port');
    return undefined;
  }
  for (const entry of entries) {
    const parsed = parsePorts([entry.value]);
    if (!parsed.ok) {
      check.fail(path, entry.node, parsed.message);
      return undefined;
    }
  }
  const parsed = parsePorts(entries.map((e) => e.value));
  return parsed.ok ? parsed.ports : undefined;
}

function addressesOf(check: Checker, path: string, node: PNode | undefined, required: boolean, parent: PNode): string[] | undefined {
  if (node === undefined) {
    if (required) check.fail(path, parent, `${path.split('.').pop() ?? path} is required`);
    return required ? undefined : [];
  }
  const out: string[] = [];
  let bad = false;
  for (const { value, node: item } of list(check, path, node)) {
    const entry = String(value);
    // The engine reads the far side as it reads a rule's addresses: one reading for both.
    const read = readAddressTerm(entry);
    if (!read.ok) {
      check.fail(path, item, `'${entry}' is neither an IP address, a CIDR prefix nor a service tag name`);
      bad = true;
    } else if (read.hostBitsSet) {
      check.fail(path, item, `'${entry}' has host bits set: write the network (e.g. ${networkOf(entry)})`);
      bad = true;
    } else {
      out.push(entry);
    }
  }
  if (bad) return undefined;
  if (required && out.length === 0) {
    check.fail(path, node, `${path.split('.').pop() ?? path} names no address`);
    return undefined;
  }
  return out;
}

function networkOf(prefix: string): string {
  const parsed = parseAddressPrefix(prefix);
  return parsed.ok ? (addressToCidrs(parsed.set)[0] ?? prefix) : prefix;
}

function protocolText(protocols: readonly FlowProtocol[]): string {
  return protocols.length === FLOW_PROTOCOLS.length ? 'any protocol' : protocols.map((p) => p.toUpperCase()).join('/');
}

/** "inbound TCP 22 from Internet", "outbound TCP/UDP any port to Internet except 10.0.0.0/8". */
export function flowSetLabel(a: {
  direction: Direction;
  protocols: readonly FlowProtocol[];
  ports: PortSet;
  remote: readonly string[];
  except: readonly string[];
}): string {
  const ported = a.protocols.some((p) => PORTED.has(p));
  const ports = !ported ? '' : portIsAll(a.ports) ? ' every port' : ` ${formatPorts(a.ports).join(',')}`;
  const side = a.direction === 'Inbound' ? 'from' : 'to';
  const except = a.except.length > 0 ? ` except ${a.except.join(', ')}` : '';
  return `${a.direction.toLowerCase()} ${protocolText(a.protocols)}${ports} ${side} ${a.remote.join(', ')}${except}`;
}

function assertionOf(check: Checker, path: string, node: PNode, expect: 'deny' | 'allow'): FlowAssertion | undefined {
  if (node.kind !== 'map') {
    check.fail(path, node, `expected a flow set (a mapping with direction, protocol, ports, from/to), found ${describeNode(node)}`);
    return undefined;
  }
  checkFields(check, path, node, FLOW_FIELDS);
  const directionNode = field(node, 'direction');
  let direction: Direction | undefined;
  if (directionNode === undefined) check.fail(join(path, 'direction'), node, 'direction is required (inbound or outbound)');
  else {
    const chosen = choice(check, join(path, 'direction'), directionNode, ['inbound', 'outbound'] as const, 'inbound');
    direction = chosen === undefined ? undefined : chosen === 'inbound' ? 'Inbound' : 'Outbound';
  }
  const protocols = protocolsOf(check, join(path, 'protocol'), field(node, 'protocol'));
  const ports = portsOf(check, join(path, 'ports'), field(node, 'ports'));
  if (protocols && ports && field(node, 'ports') !== undefined && !protocols.some((p) => PORTED.has(p)) && !portIsAll(ports)) {
    check.fail(join(path, 'ports'), field(node, 'ports'), `${protocolText(protocols)} flows have no ports`);
  }
  const remoteKey = direction === 'Outbound' ? 'to' : 'from';
  const wrongKey = direction === 'Outbound' ? 'from' : 'to';
  if (direction && field(node, wrongKey) !== undefined) {
    check.fail(join(path, wrongKey), field(node, wrongKey), `${direction.toLowerCase()} flows name their far side with '${remoteKey}', not '${wrongKey}'`);
  }
  const remote = direction ? addressesOf(check, join(path, remoteKey), field(node, remoteKey), true, node) : undefined;
  const except = addressesOf(check, join(path, 'except'), field(node, 'except'), false, node);
  const label = text(check, join(path, 'label'), field(node, 'label'), node, false);
  const decidedByNode = field(node, 'decidedBy');
  if (expect === 'allow' && decidedByNode !== undefined) {
    check.fail(join(path, 'decidedBy'), decidedByNode, 'decidedBy applies to deny assertions only');
  }
  const when =
    expect === 'deny'
      ? choice<DenyWhen>(check, join(path, 'when'), field(node, 'when'), DENY_WHEN, 'any')
      : choice<AllowWhen>(check, join(path, 'when'), field(node, 'when'), ALLOW_WHEN, 'all');
  const decidedBy = choice<RuleSelection>(check, join(path, 'decidedBy'), decidedByNode, RULE_SELECTIONS, 'any');
  if (!direction || !protocols || !ports || !remote || !except || !when || !decidedBy) return undefined;
  const base = { direction, protocols, ports, remote, except };
  const name = label ?? flowSetLabel(base);
  if (expect === 'deny') return { ...base, label: name, expect, when: when as DenyWhen, decidedBy };
  return { ...base, label: name, expect, when: when as AllowWhen };
}

function selectorOf(check: Checker, path: string, node: PNode | undefined, allowExclude: boolean): { selector: ResourceSelector; exclude: PNode | undefined } | undefined {
  const empty: ResourceSelector = { resources: [], tags: [], subnets: [] };
  if (node === undefined) return { selector: empty, exclude: undefined };
  if (node.kind !== 'map') {
    check.fail(path, node, `expected a mapping of selectors (resources, tags, subnets), found ${describeNode(node)}`);
    return undefined;
  }
  checkFields(check, path, node, allowExclude ? SCOPE_FIELDS : SCOPE_FIELDS.filter((f) => f !== 'exclude'));
  const resources = list(check, join(path, 'resources'), field(node, 'resources')).map((e) => String(e.value));
  const subnets = list(check, join(path, 'subnets'), field(node, 'subnets')).map((e) => String(e.value));
  const tags: TagSelector[] = [];
  const tagNode = field(node, 'tags');
  if (tagNode?.kind === 'map') {
    for (const entry of tagNode.entries) {
      const value = entry.value.kind === 'scalar' && entry.value.value !== null ? String(entry.value.value) : undefined;
      if (value === undefined) check.fail(join(join(path, 'tags'), entry.key), entry.value, `tag '${entry.key}' needs a value ('*' for any)`);
      else tags.push({ key: entry.key, value });
    }
  } else if (tagNode !== undefined) {
    for (const { value, node: item } of list(check, join(path, 'tags'), tagNode)) {
      const [key, ...rest] = String(value).split('=');
      if (!key || rest.length === 0) check.fail(join(path, 'tags'), item, `'${String(value)}' is not key=value`);
      else tags.push({ key: key.trim(), value: rest.join('=').trim() });
    }
  }
  return { selector: { resources, tags, subnets }, exclude: allowExclude ? field(node, 'exclude') : undefined };
}

function scopeOf(check: Checker, path: string, node: PNode | undefined): PolicyScope | undefined {
  const include = selectorOf(check, path, node, true);
  if (!include) return undefined;
  const exclude = selectorOf(check, join(path, 'exclude'), include.exclude, false);
  if (!exclude) return undefined;
  return { include: include.selector, exclude: exclude.selector };
}

function policyOf(check: Checker, path: string, node: PNode, reserved: ReadonlySet<string>): FlowPolicy | undefined {
  if (node.kind !== 'map') {
    check.fail(path, node, `expected a policy (a mapping with id, severity, message, scope, deny/allow), found ${describeNode(node)}`);
    return undefined;
  }
  checkFields(check, path, node, POLICY_FIELDS);
  const id = text(check, join(path, 'id'), field(node, 'id'), node, true);
  if (id !== undefined && !POLICY_ID.test(id)) {
    check.fail(join(path, 'id'), field(node, 'id'), `id '${id}' must start with a letter and hold only letters, digits, '.', '_' and '-' (64 at most)`);
  } else if (id !== undefined && reserved.has(id.toUpperCase())) {
    check.fail(join(path, 'id'), field(node, 'id'), `id '${id}' is taken (a built-in rule or another policy has it)`);
  }
  const severityText = text(check, join(path, 'severity'), field(node, 'severity'), node, true);
  const severity = severityText?.toLowerCase();
  if (severity !== undefined && !isSeverity(severity)) {
    check.fail(join(path, 'severity'), field(node, 'severity'), `severity '${severityText ?? ''}' is not one of critical, high, medium, low, info`);
  }
  const message = text(check, join(path, 'message'), field(node, 'message'), node, true);
  if (message?.includes('\n')) check.fail(join(path, 'message'), field(node, 'message'), 'message must be one line');
  const title = text(check, join(path, 'title'), field(node, 'title'), node, false);
  const description = text(check, join(path, 'description'), field(node, 'description'), node, false);
  const scope = scopeOf(check, join(path, 'scope'), field(node, 'scope'));
  const assertions: FlowAssertion[] = [];
  let bad = false;
  for (const expect of ['deny', 'allow'] as const) {
    const listNode = field(node, expect);
    if (listNode === undefined) continue;
    const items = listNode.kind === 'seq' ? listNode.items : [listNode];
    items.forEach((item, i) => {
      const assertion = assertionOf(check, listNode.kind === 'seq' ? join(join(path, expect), i) : join(path, expect), item, expect);
      if (assertion) assertions.push(assertion);
      else bad = true;
    });
  }
  if (field(node, 'deny') === undefined && field(node, 'allow') === undefined) {
    check.fail(path, node, 'a policy needs at least one assertion: deny (flows that must be denied) or allow (flows that must be allowed)');
  }
  if (!id || !severity || !isSeverity(severity) || !message || !scope || bad || assertions.length === 0) return undefined;
  return {
    id,
    severity,
    title: title ?? message,
    message,
    description: description ?? '',
    scope,
    assertions,
    source: node.pos ? `${check.source}:${node.pos.line}` : check.source,
  };
}

function policiesOf(check: Checker, root: PNode, reserved: Set<string>): FlowPolicy[] {
  let items: { node: PNode; path: string }[];
  if (root.kind === 'seq') items = root.items.map((node, i) => ({ node, path: `policies[${i}]` }));
  else if (root.kind === 'map' && field(root, 'policies') !== undefined) {
    checkFields(check, '', root, ['policies']);
    const listNode = field(root, 'policies');
    if (listNode?.kind !== 'seq') {
      check.fail('policies', listNode, `expected a list of policies, found ${listNode ? describeNode(listNode) : 'nothing'}`);
      return [];
    }
    items = listNode.items.map((node, i) => ({ node, path: `policies[${i}]` }));
  } else if (root.kind === 'map') items = [{ node: root, path: '' }];
  else {
    check.fail('', root, `expected a policy, a list of policies or { policies: [...] }, found ${describeNode(root)}`);
    return [];
  }
  const out: FlowPolicy[] = [];
  for (const { node, path } of items) {
    const policy = policyOf(check, path, node, reserved);
    if (!policy) continue;
    reserved.add(policy.id.toUpperCase());
    out.push(policy);
  }
  return out;
}

/**
 * Parses a policy file (YAML or JSON): one policy, a list of them, or `{ policies: [...] }`.
 * `reservedIds` are ids already taken (built-in rules, policies of other files).
 */
export function parsePolicies(
  content: string,
  source: string,
  options: { reservedIds?: Iterable<string> } = {},
): PolicyParseResult {
  const check = new Checker(source);
  const lines = new LineCounter();
  const document = parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const error of document.errors) {
    const at = lines.linePos(error.pos[0]);
    check.errors.push({
      source,
      line: at.line,
      column: at.col,
      path: '(syntax)',
      message: error.message.split('\n')[0] ?? error.message,
    });
  }
  if (check.errors.length > 0) return { ok: false, errors: check.errors };
  if (document.contents === null) {
    return { ok: false, errors: [{ source, path: '(document)', message: 'the file holds no policy' }] };
  }
  const reserved = new Set([...(options.reservedIds ?? [])].map((id) => id.toUpperCase()));
  const policies = policiesOf(check, fromYaml(document.contents, lines), reserved);
  return check.errors.length > 0 ? { ok: false, errors: check.errors } : { ok: true, policies };
}

/** Validates a policy given as an object (the built-in rules' form); same checks as the files. */
export function compilePolicy(spec: PolicySpec | unknown, source = 'built-in'): { ok: true; policy: FlowPolicy } | { ok: false; errors: PolicyError[] } {
  const check = new Checker(source);
  const policy = policyOf(check, '', fromPlain(spec), new Set());
  if (!policy || check.errors.length > 0) return { ok: false, errors: check.errors };
  return { ok: true, policy: { ...policy, source } };
}

/** A built-in rule's policy: invalid data here is a defect of nsgwatch, so it throws at load. */
export function builtinPolicy(spec: PolicySpec): FlowPolicy {
  const compiled = compilePolicy(spec);
  if (!compiled.ok) throw new Error(`built-in policy ${spec.id} is invalid: ${compiled.errors.map(formatPolicyError).join('; ')}`);
  return compiled.policy;
}

/** `file:line:column: path: message` */
export function formatPolicyError(error: PolicyError): string {
  const where = error.line === undefined ? error.source : `${error.source}:${error.line}:${error.column ?? 1}`;
  return `${where}: ${error.path}: ${error.message}`;
}

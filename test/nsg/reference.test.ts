/**
 * Property tests against a brute-force reference written here, independent of the engine: rules
 * are scanned in priority order and every entry is matched by plain CIDR membership with BigInt
 * comparisons. Random NSGs use both input shapes, singular + plural + ASG fields, mixed case, named
 * sets (VirtualNetwork, Internet, AzureLoadBalancer, a resolved and unresolved service tags), IPv6
 * and peering prefixes; NIC + subnet NSGs are composed.
 *
 * The address and port pools hold the first element of every elementary interval the case's sets
 * define (each set's lo and hi+1), so enumerating them visits every class of flows: the set
 * analysis is checked exhaustively on each case, not by sampling.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type AddressSet,
  type AdminRuleSet,
  type EvaluationContext,
  type Flow,
  type FlowProtocol,
  type Ip,
  type Layers,
  type Nsg,
  type PortSet,
  addressContains,
  addressesFromPrefixes,
  addressUnion,
  adminRuleSet,
  analyzeRegion,
  createContext,
  evaluateComposed,
  evaluateFlow,
  namedSet,
  parseAdminRule,
  parseIp,
  parseNsg,
  parseServiceTags,
  portContains,
  portSet,
  reachablePorts,
  ruleDecisions,
} from '../../lib/nsg/index.js';

// ---------------------------------------------------------------- reference address model

type RefAddr = { kind: 'ip'; fam: 4 | 6; v: bigint } | { kind: 'atom'; key: string };

function refV4(text: string): bigint {
  const parts = text.split('.').map((p) => BigInt(Number(p)));
  return (((parts[0] as bigint) * 256n + (parts[1] as bigint)) * 256n + (parts[2] as bigint)) * 256n + (parts[3] as bigint);
}

function refV6(text: string): bigint {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => acc * 65536n + BigInt(parseInt(g, 16)), 0n);
}

function refFormat(a: RefAddr): string {
  if (a.kind === 'atom') return a.key;
  if (a.fam === 4) return [24n, 16n, 8n, 0n].map((s) => ((a.v >> s) & 255n).toString()).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((a.v >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

function refParseAddr(text: string): RefAddr {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return { kind: 'ip', fam: 4, v: refV4(text) };
  if (text.includes(':')) return { kind: 'ip', fam: 6, v: refV6(text) };
  return { kind: 'atom', key: text.toLowerCase() };
}

interface RefCidr {
  fam: 4 | 6;
  lo: bigint;
  hi: bigint;
}

const cidrCache = new Map<string, RefCidr>();

function refCidr(text: string): RefCidr {
  const cached = cidrCache.get(text);
  if (cached) return cached;
  const parsed = parseCidrText(text);
  cidrCache.set(text, parsed);
  return parsed;
}

function parseCidrText(text: string): RefCidr {
  const [ip, len] = text.split('/') as [string, string | undefined];
  const fam = ip.includes(':') ? 6 : 4;
  const bits = fam === 4 ? 32n : 128n;
  const v = fam === 4 ? refV4(ip) : refV6(ip);
  const host = bits - BigInt(len ?? String(bits));
  const lo = (v >> host) << host;
  return { fam, lo, hi: lo + (1n << host) - 1n };
}

function inCidr(a: RefAddr, c: RefCidr): boolean {
  return a.kind === 'ip' && a.fam === c.fam && a.v >= c.lo && a.v <= c.hi;
}

const SPECIAL = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'];
const DEFAULT_VNET = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
const STORAGE = ['52.1.0.0/16', '2603:1000::/24'];
const LOAD_BALANCER = ['168.63.129.16/32'];
const ASG_MEMBERS: Record<string, string[]> = { asg1: ['10.1.2.5', '10.1.2.6', '2001:db8::5'], asg2: [] };

interface Env {
  vnet: string[];
}

/** The CIDRs a named entry stands for (for pools); undefined for atoms and `*`. */
function entryCidrs(entry: string, env: Env): string[] {
  const e = entry.toLowerCase();
  if (e === '*' || e === 'any') return [];
  if (e === 'virtualnetwork') return env.vnet;
  if (e === 'internet') return [...env.vnet, ...SPECIAL];
  if (e === 'azureloadbalancer') return LOAD_BALANCER;
  if (e === 'storage') return STORAGE;
  if (/^[0-9]/.test(e) || e.includes(':')) return [entry];
  return [];
}

const entryCache = new WeakMap<RefAddr, Map<string, boolean>>();

function refEntryMatches(entry: string, a: RefAddr, env: Env): boolean {
  let cache = entryCache.get(a);
  if (!cache) {
    cache = new Map();
    entryCache.set(a, cache);
  }
  const key = env.vnet === DEFAULT_VNET ? `d|${entry}` : `k|${entry}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = refEntryMatchesUncached(entry, a, env);
    cache.set(key, hit);
  }
  return hit;
}

function refEntryMatchesUncached(entry: string, a: RefAddr, env: Env): boolean {
  const e = entry.toLowerCase();
  const anyOf = (cidrs: string[]): boolean => cidrs.some((c) => inCidr(a, refCidr(c)));
  if (e === '*' || e === 'any') return true;
  if (e === 'virtualnetwork') return anyOf(env.vnet);
  if (e === 'internet') return a.kind === 'atom' || (!anyOf(env.vnet) && !anyOf(SPECIAL));
  if (e === 'azureloadbalancer') return anyOf(LOAD_BALANCER);
  if (e === 'storage') return anyOf(STORAGE);
  if (/^[0-9]/.test(e) || e.includes(':')) return anyOf([entry]);
  return a.kind === 'atom' && a.key === e;
}

// ---------------------------------------------------------------- reference rules

interface RefRule {
  name: string;
  priority: number;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: string;
  src: string[];
  srcAsgs: string[];
  dst: string[];
  dstAsgs: string[];
  sp: string[];
  dp: string[];
}

function refPortMatches(entries: string[], port: number): boolean {
  return entries.some((e) => {
    if (e === '*') return true;
    const [a, b] = e.split('-').map(Number) as [number, number | undefined];
    return port >= a && port <= (b ?? a);
  });
}

function refCoversAllPorts(entries: string[]): boolean {
  const ranges = entries
    .map((e) => (e === '*' ? [0, 65535] : e.split('-').map(Number)))
    .map(([a, b]) => [a as number, b ?? (a as number)] as const)
    .sort((x, y) => x[0] - y[0]);
  let next = 0;
  for (const [a, b] of ranges) {
    if (a > next) return false;
    next = Math.max(next, b + 1);
  }
  return next > 65535;
}

interface RefFlow {
  direction: 'Inbound' | 'Outbound';
  protocol: FlowProtocol;
  src: RefAddr;
  dst: RefAddr;
  sp: number;
  dp: number;
}

function refSideMatches(entries: string[], asgs: string[], a: RefAddr, env: Env): boolean {
  return (
    entries.some((e) => refEntryMatches(e, a, env)) ||
    asgs.some((id) => (ASG_MEMBERS[id] ?? []).some((ip) => inCidr(a, refCidr(ip))))
  );
}

const ruleCache = new WeakMap<RefRule, { protocol: string; sp: number[][]; dp: number[][]; allPorts: boolean }>();

function refRanges(entries: string[]): number[][] {
  return entries.map((e) => (e === '*' ? [0, 65535] : e.split('-').map(Number))).map(([a, b]) => [a as number, b ?? (a as number)]);
}

function refRuleMatches(rule: RefRule, flow: RefFlow, env: Env): boolean {
  let c = ruleCache.get(rule);
  if (!c) {
    c = {
      protocol: rule.protocol.toLowerCase(),
      sp: refRanges(rule.sp),
      dp: refRanges(rule.dp),
      allPorts: refCoversAllPorts(rule.sp) && refCoversAllPorts(rule.dp),
    };
    ruleCache.set(rule, c);
  }
  if (rule.direction !== flow.direction) return false;
  if (c.protocol !== '*' && c.protocol !== flow.protocol.toLowerCase()) return false;
  if (flow.protocol === 'Tcp' || flow.protocol === 'Udp') {
    const inRanges = (ranges: number[][], p: number): boolean => ranges.some(([a, b]) => p >= (a as number) && p <= (b as number));
    if (!inRanges(c.sp, flow.sp) || !inRanges(c.dp, flow.dp)) return false;
  } else if (!c.allPorts) {
    return false;
  }
  return refSideMatches(rule.src, rule.srcAsgs, flow.src, env) && refSideMatches(rule.dst, rule.dstAsgs, flow.dst, env);
}

const REF_DEFAULTS: RefRule[] = [
  ['AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'],
  ['DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'],
  ['AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'],
  ['DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'],
].map(([name, priority, direction, access, src, dst]) => ({
  name: name as string,
  priority: priority as number,
  direction: direction as 'Inbound' | 'Outbound',
  access: access as 'Allow' | 'Deny',
  protocol: '*',
  src: [src as string],
  srcAsgs: [],
  dst: [dst as string],
  dstAsgs: [],
  sp: ['*'],
  dp: ['*'],
}));

const orderCache = new WeakMap<RefRule[], RefRule[]>();

function refDecide(rules: RefRule[], flow: RefFlow, env: Env): RefRule {
  let all = orderCache.get(rules);
  if (!all) {
    all = [...rules, ...REF_DEFAULTS].sort((a, b) => a.priority - b.priority);
    orderCache.set(rules, all);
  }
  const found = all.find((r) => r.direction === flow.direction && refRuleMatches(r, flow, env));
  if (!found) throw new Error('reference: no rule matched');
  return found;
}

function refComposed(subnet: RefRule[] | undefined, nic: RefRule[] | undefined, flow: RefFlow, env: Env) {
  const order = flow.direction === 'Inbound' ? [subnet, nic] : [nic, subnet];
  const decidedBy: string[] = [];
  for (const [i, layer] of order.entries()) {
    if (!layer) continue;
    const rule = refDecide(layer, flow, env);
    decidedBy.push(`${i}:${rule.name}`);
    if (rule.access === 'Deny') return { access: 'Deny', decidedBy };
  }
  return { access: 'Allow', decidedBy };
}

// ---------------------------------------------------------------- generators

const ADDRESS_ENTRIES = [
  '*', 'Any', '0.0.0.0/0', '::/0', '0.0.0.0/1', '128.0.0.0/1', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24',
  '10.1.2.128/25', '10.1.2.5/32', '10.1.2.6', '8.8.8.0/24', '8.8.8.8', '52.0.0.0/8', '168.63.129.16',
  '192.168.1.0/24', '100.64.0.0/10', '224.0.0.0/4', '2001:db8::/32', '2001:db8::5/128', 'fd00::/8',
  '2603:1000::/24', 'fe80::/10', 'Internet', 'internet', 'INTERNET', 'VirtualNetwork', 'virtualNETWORK',
  'AzureLoadBalancer', 'azureloadbalancer', 'Storage', 'storage', 'AzureCloud', 'azurecloud', 'Sql.WestEurope',
];

const portEntry = fc.oneof(
  { weight: 3, arbitrary: fc.constant('*') },
  { weight: 1, arbitrary: fc.constant('0-65535') },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('0-3', '4-65535', '2-65535', '0-1') },
);

const ruleShape = fc.record({
  direction: fc.constantFrom('Inbound', 'Outbound'),
  access: fc.constantFrom('Allow', 'Deny', 'allow', 'DENY'),
  protocol: fc.constantFrom('Tcp', 'tcp', 'Udp', 'UDP', '*', 'Icmp', 'Esp', 'Ah'),
  src: fc.array(fc.constantFrom(...ADDRESS_ENTRIES), { minLength: 0, maxLength: 3 }),
  dst: fc.array(fc.constantFrom(...ADDRESS_ENTRIES), { minLength: 0, maxLength: 3 }),
  srcAsgs: fc.array(fc.constantFrom('asg1', 'asg2'), { maxLength: 1 }),
  dstAsgs: fc.array(fc.constantFrom('asg1', 'asg2'), { maxLength: 1 }),
  sp: fc.array(portEntry, { minLength: 1, maxLength: 2 }),
  dp: fc.array(portEntry, { minLength: 1, maxLength: 3 }),
  split: fc.constantFrom('singular', 'plural'),
});

type RuleShape = typeof ruleShape extends fc.Arbitrary<infer T> ? T : never;

const nsgShape = fc
  .tuple(
    fc.array(ruleShape, { minLength: 0, maxLength: 6 }),
    fc.uniqueArray(fc.integer({ min: 100, max: 4096 }), { minLength: 6, maxLength: 6 }),
    fc.constantFrom('rest', 'flat'),
  )
  .map(([shapes, priorities, form]) => {
    const rules: RefRule[] = shapes.map((s, i) => ({
      name: `r${i}`,
      priority: priorities[i] as number,
      direction: s.direction as 'Inbound' | 'Outbound',
      access: (s.access.toLowerCase() === 'allow' ? 'Allow' : 'Deny') as 'Allow' | 'Deny',
      protocol: s.protocol,
      // A side needs at least one entry or ASG.
      src: s.src.length === 0 && s.srcAsgs.length === 0 ? ['*'] : s.src,
      srcAsgs: s.srcAsgs,
      dst: s.dst.length === 0 && s.dstAsgs.length === 0 ? ['*'] : s.dst,
      dstAsgs: s.dstAsgs,
      sp: s.sp,
      dp: s.dp,
    }));
    return { rules, shapes, form };
  });

const ASG_ID = (name: string): string => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/${name}`;

function rawNsg(name: string, rules: RefRule[], shapes: RuleShape[], form: string): unknown {
  const id = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/${name}`;
  const rawRules = rules.map((r, i) => {
    const split = shapes[i]?.split ?? 'plural';
    const side = (prefix: string, values: string[], asgs: string[], portPrefix: string, ports: string[]) => {
      const out: Record<string, unknown> = {};
      if (split === 'singular' && values.length > 0) {
        out[`${prefix}AddressPrefix`] = values[0];
        out[`${prefix}AddressPrefixes`] = values.slice(1);
      } else {
        out[`${prefix}AddressPrefixes`] = values;
      }
      if (asgs.length > 0) out[`${prefix}ApplicationSecurityGroups`] = asgs.map((a) => ({ id: ASG_ID(a).toUpperCase() }));
      if (split === 'singular') {
        out[`${portPrefix}PortRange`] = ports[0];
        out[`${portPrefix}PortRanges`] = ports.slice(1);
      } else {
        out[`${portPrefix}PortRanges`] = ports;
      }
      return out;
    };
    const fields = {
      priority: r.priority,
      direction: r.direction,
      access: shapes[i]?.access ?? r.access,
      protocol: r.protocol,
      ...side('source', r.src, r.srcAsgs, 'source', r.sp),
      ...side('destination', r.dst, r.dstAsgs, 'destination', r.dp),
    };
    const ruleId = `${id}/securityRules/${r.name}`;
    return form === 'rest' ? { name: r.name, id: ruleId, properties: fields } : { name: r.name, id: ruleId, ...fields };
  });
  return form === 'rest'
    ? { id, name, type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules: rawRules } }
    : { id, name, securityRules: rawRules };
}

const SERVICE_TAGS = (() => {
  const parsed = parseServiceTags({ changeNumber: 1, values: [{ name: 'Storage', id: 'Storage', properties: { addressPrefixes: STORAGE } }] });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.data;
})();

const envShape = fc.constantFrom<Env & { known: boolean }>(
  { vnet: DEFAULT_VNET, known: false },
  { vnet: ['10.1.0.0/16', '2001:db8::/32', '192.168.1.0/24'], known: true },
);

function contextFor(env: Env & { known: boolean }): EvaluationContext {
  return createContext({
    ...(env.known ? { virtualNetworkPrefixes: env.vnet } : {}),
    asgAddresses: Object.fromEntries(Object.entries(ASG_MEMBERS).filter(([, ips]) => ips.length > 0).map(([k, v]) => [ASG_ID(k), v])),
    serviceTags: SERVICE_TAGS,
  });
}

function parsed(raw: unknown): Nsg {
  const result = parseNsg(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.nsg;
}

// ---------------------------------------------------------------- pools

/** First element of every elementary interval the given CIDRs define, per family, plus atoms. */
function addressPool(cidrs: string[], atoms: string[]): RefAddr[] {
  const v4 = new Set<bigint>([0n]);
  const v6 = new Set<bigint>([0n]);
  for (const text of cidrs) {
    const c = refCidr(text);
    const set = c.fam === 4 ? v4 : v6;
    set.add(c.lo);
    const max = c.fam === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
    if (c.hi < max) set.add(c.hi + 1n);
  }
  return [
    ...[...v4].map((v) => ({ kind: 'ip', fam: 4, v }) as RefAddr),
    ...[...v6].map((v) => ({ kind: 'ip', fam: 6, v }) as RefAddr),
    ...atoms.map((key) => ({ kind: 'atom', key }) as RefAddr),
  ];
}

function ruleCidrs(rules: RefRule[], env: Env): string[] {
  return [
    ...[...rules, ...REF_DEFAULTS].flatMap((r) => [...r.src, ...r.dst].flatMap((e) => entryCidrs(e, env))),
    ...Object.values(ASG_MEMBERS).flat(),
    ...env.vnet,
    ...SPECIAL,
  ];
}

function portPool(rules: RefRule[], max: number): number[] {
  const pool = new Set<number>([0]);
  for (const r of rules) {
    for (const e of [...r.sp, ...r.dp]) {
      if (e === '*') continue;
      const [a, b] = e.split('-').map(Number) as [number, number | undefined];
      if (a <= max) pool.add(a);
      if ((b ?? a) + 1 <= max) pool.add((b ?? a) + 1);
    }
  }
  return [...pool].sort((x, y) => x - y);
}

const NAMED_ATOMS = ['azurecloud', 'sql.westeurope'];

/** The flow five picks (from `i`) choose among the pool's addresses and the ports. */
function pickFlow(picks: readonly number[], i: number, pool: readonly RefAddr[], ports: readonly number[]): RefFlow {
  const pick = (k: number, n: number): number => (picks[i + k] as number) % n;
  const src = pool[pick(0, pool.length)] as RefAddr;
  const dsts = pool.filter((a) => compatible(src, a));
  return {
    direction: pick(1, 2) === 0 ? 'Inbound' : 'Outbound',
    protocol: PROTOCOLS[pick(2, PROTOCOLS.length)] as FlowProtocol,
    src,
    dst: dsts[pick(3, dsts.length)] as RefAddr,
    sp: ports[pick(4, ports.length)] as number,
    dp: ports[pick(3, ports.length)] as number,
  };
}

function compatible(a: RefAddr, b: RefAddr): boolean {
  return a.kind === 'atom' || b.kind === 'atom' || a.fam === b.fam;
}

function toFlow(f: RefFlow): Flow {
  const ported = f.protocol === 'Tcp' || f.protocol === 'Udp';
  return {
    direction: f.direction,
    protocol: f.protocol,
    sourceIp: refFormat(f.src),
    destinationIp: refFormat(f.dst),
    ...(ported ? { sourcePort: f.sp, destinationPort: f.dp } : {}),
  };
}

function fromFlow(f: Flow): RefFlow {
  return {
    direction: f.direction,
    protocol: f.protocol,
    src: refParseAddr(f.sourceIp),
    dst: refParseAddr(f.destinationIp),
    sp: f.sourcePort ?? -1,
    dp: f.destinationPort ?? -1,
  };
}

const PROTOCOLS: FlowProtocol[] = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah'];

// ---------------------------------------------------------------- properties

/** Plain equality: the hot loops compare hundreds of thousands of verdicts, too many for expect(). */
function agree(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: engine ${a}, reference ${b}`);
}

describe('engine agrees with the brute-force reference', () => {
  it('decides random flows through random NSGs like the reference (decision and deciding rule)', () => {
    fc.assert(
      fc.property(nsgShape, envShape, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (nsg, env, picks) => {
        const engineNsg = parsed(rawNsg('n', nsg.rules, nsg.shapes, nsg.form));
        const ctx = contextFor(env);
        const pool = addressPool(ruleCidrs(nsg.rules, env), [...NAMED_ATOMS, 'keyvault']);
        const ports = portPool(nsg.rules, 8);
        for (let i = 0; i + 4 < picks.length; i += 5) {
          const pick = (k: number, n: number): number => (picks[i + k] as number) % n;
          const src = pool[pick(0, pool.length)] as RefAddr;
          const dsts = pool.filter((a) => compatible(src, a));
          const flow: RefFlow = {
            direction: pick(1, 2) === 0 ? 'Inbound' : 'Outbound',
            protocol: PROTOCOLS[pick(2, PROTOCOLS.length)] as FlowProtocol,
            src,
            dst: dsts[pick(3, dsts.length)] as RefAddr,
            sp: ports[pick(4, ports.length)] as number,
            dp: ports[(pick(4, 97) + pick(0, 13)) % ports.length] as number,
          };
          const expected = refDecide(nsg.rules, flow, env);
          const actual = evaluateFlow(engineNsg, toFlow(flow), ctx);
          agree({ access: actual.access, rule: actual.rule.rule }, { access: expected.access, rule: expected.name }, `flow ${JSON.stringify(toFlow(flow))}`);
        }
      }),
      { seed: 20251028, numRuns: 1500 },
    );
  });

  it('composes subnet and NIC NSGs like the reference', () => {
    fc.assert(
      fc.property(
        fc.option(nsgShape, { nil: undefined }),
        fc.option(nsgShape, { nil: undefined }),
        envShape,
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        (subnet, nic, env, picks) => {
          const ctx = contextFor(env);
          const layers: Layers = {
            ...(subnet ? { subnet: { nsg: parsed(rawNsg('subnet', subnet.rules, subnet.shapes, subnet.form)), ctx } } : {}),
            ...(nic ? { nic: { nsg: parsed(rawNsg('nic', nic.rules, nic.shapes, nic.form)), ctx } } : {}),
          };
          const all = [...(subnet?.rules ?? []), ...(nic?.rules ?? [])];
          const pool = addressPool(ruleCidrs(all, env), NAMED_ATOMS);
          const ports = portPool(all, 8);
          for (let i = 0; i + 4 < picks.length; i += 5) {
            const flow = pickFlow(picks, i, pool, ports);
            const expected = refComposed(subnet?.rules, nic?.rules, flow, env);
            const actual = evaluateComposed(layers, toFlow(flow));
            const names = (flow.direction === 'Inbound' ? ['subnet', 'nic'] : ['nic', 'subnet']);
            agree(
              { access: actual.access, decidedBy: actual.decidedBy.map((r) => `${names.indexOf(r.nsgName)}:${r.rule}`) },
              expected,
              `flow ${JSON.stringify(toFlow(flow))}`,
            );
          }
        },
      ),
      { seed: 7, numRuns: 1000 },
    );
  });

  const QUERY_SETS: { name: string; build: (ctx: EvaluationContext) => AddressSet; cidrs: (env: Env) => string[]; atoms: boolean }[] = [
    { name: 'Internet', build: (ctx) => namedSet(ctx, 'Internet'), cidrs: (env) => [...env.vnet, ...SPECIAL], atoms: true },
    { name: '*', build: (ctx) => namedSet(ctx, '*'), cidrs: () => [], atoms: true },
    { name: 'nic', build: () => addressesFromPrefixes(['10.1.2.5', '2001:db8::5']).set, cidrs: () => ['10.1.2.5/32', '2001:db8::5/128'], atoms: false },
    { name: 'subnet', build: () => addressesFromPrefixes(['10.1.2.0/24']).set, cidrs: () => ['10.1.2.0/24'], atoms: false },
    { name: 'office+tag', build: (ctx) => addressUnion(addressesFromPrefixes(['8.8.8.0/24']).set, namedSet(ctx, 'AzureCloud')), cidrs: () => ['8.8.8.0/24'], atoms: false },
  ];

  it('splits query regions exactly: every class of flows lies in one part with the reference verdict', () => {
    fc.assert(
      fc.property(
        nsgShape,
        fc.option(nsgShape, { nil: undefined }),
        envShape,
        fc.constantFrom('Inbound', 'Outbound'),
        fc.constantFrom(...PROTOCOLS),
        fc.nat({ max: QUERY_SETS.length - 1 }),
        fc.nat({ max: QUERY_SETS.length - 1 }),
        (first, second, env, direction, protocol, remoteIndex, localIndex) => {
          const ctx = contextFor(env);
          const remoteQ = QUERY_SETS[remoteIndex] as (typeof QUERY_SETS)[number];
          const localQ = QUERY_SETS[localIndex] as (typeof QUERY_SETS)[number];
          const layers: Layers = {
            subnet: { nsg: parsed(rawNsg('subnet', first.rules, first.shapes, first.form)), ctx },
            ...(second ? { nic: { nsg: parsed(rawNsg('nic', second.rules, second.shapes, second.form)), ctx } } : {}),
          };
          const maxPort = 3;
          const queryPorts: PortSet = portSet([[0, maxPort]]);
          const analysis = analyzeRegion(layers, {
            direction: direction as 'Inbound' | 'Outbound',
            protocol,
            remote: remoteQ.build(ctx),
            local: localQ.build(ctx),
            sourcePorts: queryPorts,
            destinationPorts: queryPorts,
          });
          const all = [...first.rules, ...(second?.rules ?? [])];
          const cidrs = [...ruleCidrs(all, env), ...remoteQ.cidrs(env), ...localQ.cidrs(env)];
          // Analyses cover the unresolved tags the rules or the query name.
          const named = NAMED_ATOMS.filter((t) => all.some((r) => [...r.src, ...r.dst].some((e) => e.toLowerCase() === t)) || (t === 'azurecloud' && [remoteQ.name, localQ.name].includes('office+tag')));
          const pool = addressPool(cidrs, named);
          const refIn = (q: (typeof QUERY_SETS)[number], a: RefAddr): boolean => {
            if (q.name === 'Internet') return refEntryMatches('Internet', a, env);
            if (q.name === '*') return true;
            if (a.kind === 'atom') return q.name === 'office+tag' && a.key === 'azurecloud';
            return q.cidrs(env).some((c) => inCidr(a, refCidr(c)));
          };
          const remotes = pool.filter((a) => refIn(remoteQ, a));
          const locals = pool.filter((a) => refIn(localQ, a));
          const ported = protocol === 'Tcp' || protocol === 'Udp';
          const ports = ported ? portPool(all, maxPort) : [-1];
          let checked = 0;
          const engineAddr = new Map<RefAddr, string | Ip>();
          for (const a of [...remotes, ...locals]) engineAddr.set(a, parseIp(refFormat(a)) ?? refFormat(a));
          for (const remote of remotes) {
            const remoteParts = analysis.parts.filter((p) => addressContains(p.remote, engineAddr.get(remote) as string | Ip));
            for (const local of locals) {
              const localParts = remoteParts.filter((p) => addressContains(p.local, engineAddr.get(local) as string | Ip));
              if (!compatible(remote, local)) continue;
              for (const sp of ports) {
                for (const dp of ports) {
                  const flow: RefFlow = {
                    direction: direction as 'Inbound' | 'Outbound',
                    protocol,
                    src: direction === 'Inbound' ? remote : local,
                    dst: direction === 'Inbound' ? local : remote,
                    sp,
                    dp,
                  };
                  const holders = localParts.filter(
                    (p) => !ported || (portContains(p.sourcePorts ?? [], sp) && portContains(p.destinationPorts ?? [], dp)),
                  );
                  agree(holders.length, 1, `parts holding flow ${JSON.stringify(toFlow(flow))}`);
                  const expected = refComposed(first.rules, second?.rules, flow, env);
                  const names = direction === 'Inbound' ? ['subnet', 'nic'] : ['nic', 'subnet'];
                  const part = holders[0];
                  agree(
                    { access: part?.access, decidedBy: part?.decidedBy.map((r) => `${names.indexOf(r.nsgName)}:${r.rule}`) },
                    expected,
                    `flow ${JSON.stringify(toFlow(flow))}`,
                  );
                  checked++;
                }
              }
            }
          }
          // Every part's witness is a flow of the part and gets the part's verdict.
          for (const part of analysis.parts) {
            const w = fromFlow(part.witness);
            const expected = refComposed(first.rules, second?.rules, w, env);
            agree(part.access, expected.access, `witness ${JSON.stringify(part.witness)}`);
          }
          return checked >= 0;
        },
      ),
      { seed: 42, numRuns: 250 },
    );
  });

  it('reachable ports are exactly the ports some allowed flow reaches', () => {
    fc.assert(
      fc.property(nsgShape, envShape, fc.constantFrom('Inbound', 'Outbound'), fc.constantFrom('Tcp', 'Udp'), (nsg, env, direction, protocol) => {
        const ctx = contextFor(env);
        const target = { nsg: parsed(rawNsg('n', nsg.rules, nsg.shapes, nsg.form)), ctx };
        const remote = namedSet(ctx, 'Internet');
        const local = addressesFromPrefixes(['10.1.2.5']).set;
        const result = reachablePorts(target, { direction, protocol, remote, local, destinationPorts: portSet([[0, 7]]) });
        const named = NAMED_ATOMS.filter((t) => nsg.rules.some((r) => [...r.src, ...r.dst].some((e) => e.toLowerCase() === t)));
        const pool = addressPool([...ruleCidrs(nsg.rules, env)], named).filter((a) => refEntryMatches('Internet', a, env));
        const ports = portPool(nsg.rules, 7);
        const nic = refParseAddr('10.1.2.5');
        for (let dp = 0; dp <= 7; dp++) {
          let reachable = false;
          for (const a of pool) {
            for (const sp of ports) {
              const flow: RefFlow = {
                direction,
                protocol,
                src: direction === 'Inbound' ? a : nic,
                dst: direction === 'Inbound' ? nic : a,
                sp,
                dp,
              };
              if (compatible(a, nic) && refDecide(nsg.rules, flow, env).access === 'Allow') reachable = true;
            }
          }
          agree(portContains(result.ports, dp), reachable, `port ${dp} reachable`);
        }
        for (const reach of result.reach) {
          const w = fromFlow(reach.witness);
          agree(refDecide(nsg.rules, w, env).access, 'Allow', `witness ${JSON.stringify(reach.witness)}`);
          agree(portContains(reach.destinationPorts, w.dp), true, `witness port ${w.dp}`);
        }
      }),
      { seed: 99, numRuns: 300 },
    );
  });

  it('rule decisions: a deciding rule has a witness it decides; a shadowed one decides no flow of its own box', () => {
    fc.assert(
      fc.property(nsgShape, envShape, (nsg, env) => {
        const ctx = contextFor(env);
        const engineNsg = parsed(rawNsg('n', nsg.rules, nsg.shapes, nsg.form));
        const decisions = ruleDecisions(engineNsg, ctx);
        const pool = addressPool(ruleCidrs(nsg.rules, env), NAMED_ATOMS);
        const ports = portPool(nsg.rules, 65535);
        for (const decision of decisions) {
          const rule = [...nsg.rules, ...REF_DEFAULTS].find((r) => r.name === decision.rule.rule && r.direction === decision.rule.direction) as RefRule;
          if (decision.decides) {
            const w = fromFlow(decision.witness);
            agree(refDecide(nsg.rules, w, env).name, rule.name, `witness ${JSON.stringify(decision.witness)}`);
            continue;
          }
          // Exhaustive over the rule's own box: every class of flow it matches is decided earlier.
          const srcs = pool.filter((a) => refSideMatches(rule.src, rule.srcAsgs, a, env));
          const dsts = pool.filter((a) => refSideMatches(rule.dst, rule.dstAsgs, a, env));
          const sps = ports.filter((p) => refPortMatches(rule.sp, p));
          const dps = ports.filter((p) => refPortMatches(rule.dp, p));
          // Large boxes (default rules under a broad custom rule) are walked with a stride.
          const flows: RefFlow[] = [];
          for (const protocol of PROTOCOLS) {
            const ported = protocol === 'Tcp' || protocol === 'Udp';
            for (const src of srcs) {
              for (const dst of dsts) {
                if (!compatible(src, dst)) continue;
                for (const sp of ported ? sps : [-1]) {
                  for (const dp of ported ? dps : [-1]) flows.push({ direction: rule.direction, protocol, src, dst, sp, dp });
                }
              }
            }
          }
          const stride = Math.max(1, Math.floor(flows.length / 4000));
          for (let i = 0; i < flows.length; i += stride) {
            const flow = flows[i] as RefFlow;
            if (refDecide(nsg.rules, flow, env).name === rule.name) {
              throw new Error(`${rule.name} is reported as deciding nothing but decides ${JSON.stringify(toFlow(flow))}`);
            }
          }
          if (decision.reason === 'shadowed') agree(decision.shadowedBy.length > 0, true, `${rule.name} has shadowers`);
        }
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------- security admin rules (Virtual Network Manager)

/**
 * Admin rules before both NSGs (DESIGN §3): priority order 1-4096, the first match decides its
 * action — Deny ends (denied), AlwaysAllow ends (allowed, NSGs skipped), Allow passes the flow on
 * to the NSGs, as does a flow no admin rule matches.
 */
type RefAdminRule = RefRule & { action: 'Allow' | 'Deny' | 'AlwaysAllow' };

const ADMIN_ACTIONS = ['Allow', 'Deny', 'AlwaysAllow'] as const;

const adminShape = fc
  .tuple(
    fc.array(
      fc.record({
        direction: fc.constantFrom('Inbound', 'Outbound'),
        action: fc.constantFrom(...ADMIN_ACTIONS),
        spelled: fc.constantFrom('as-is', 'lower'),
        protocol: fc.constantFrom('Tcp', 'Udp', 'Any', 'Icmp', 'Esp', 'Ah'),
        src: fc.array(fc.constantFrom(...ADDRESS_ENTRIES), { minLength: 1, maxLength: 3 }),
        dst: fc.array(fc.constantFrom(...ADDRESS_ENTRIES), { minLength: 1, maxLength: 3 }),
        sp: fc.array(portEntry, { minLength: 1, maxLength: 2 }),
        dp: fc.array(portEntry, { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 0, maxLength: 5 },
    ),
    fc.uniqueArray(fc.integer({ min: 1, max: 4096 }), { minLength: 5, maxLength: 5 }),
  )
  .map(([shapes, priorities]) =>
    shapes.map(
      (s, i): RefAdminRule & { spelled: string } => ({
        name: `a${i}`,
        priority: priorities[i] as number,
        direction: s.direction as 'Inbound' | 'Outbound',
        access: s.action === 'Deny' ? 'Deny' : 'Allow',
        action: s.action,
        spelled: s.spelled,
        protocol: s.protocol === 'Any' ? '*' : s.protocol,
        src: s.src,
        srcAsgs: [],
        dst: s.dst,
        dstAsgs: [],
        sp: s.sp,
        dp: s.dp,
      }),
    ),
  );

/** The admin rules in the ARM shape Virtual Network Manager returns (properties, sources/destinations lists). */
function engineAdmin(rules: (RefAdminRule & { spelled: string })[]): AdminRuleSet {
  const parsedRules = rules.map((r) => {
    const result = parseAdminRule({
      name: r.name,
      id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkManagers/m/securityAdminConfigurations/c/ruleCollections/rc/rules/${r.name}`,
      properties: {
        access: r.spelled === 'lower' ? r.action.toLowerCase() : r.action,
        direction: r.direction,
        priority: r.priority,
        protocol: r.protocol === '*' ? 'Any' : r.protocol,
        sources: r.src.map((p) => ({ addressPrefixType: /^[0-9*]|:/.test(p) ? 'IPPrefix' : 'ServiceTag', addressPrefix: p })),
        destinations: r.dst.map((p) => ({ addressPrefixType: /^[0-9*]|:/.test(p) ? 'IPPrefix' : 'ServiceTag', addressPrefix: p })),
        sourcePortRanges: r.sp,
        destinationPortRanges: r.dp,
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.rule;
  });
  return adminRuleSet('/subscriptions/s/providers/admin', 'admin', parsedRules);
}

function refWithAdmin(admin: RefAdminRule[], subnet: RefRule[] | undefined, nic: RefRule[] | undefined, flow: RefFlow, env: Env) {
  const hit = [...admin].sort((a, b) => a.priority - b.priority).find((r) => refRuleMatches(r, flow, env));
  const head = hit ? [`a:${hit.name}`] : [];
  if (hit?.action === 'Deny') return { access: 'Deny', decidedBy: head };
  if (hit?.action === 'AlwaysAllow') return { access: 'Allow', decidedBy: head };
  const rest = refComposed(subnet, nic, flow, env);
  return { access: rest.access, decidedBy: [...head, ...rest.decidedBy] };
}

function chainOf(refs: readonly { nsgName: string; rule: string }[], direction: 'Inbound' | 'Outbound'): string[] {
  const names = direction === 'Inbound' ? ['subnet', 'nic'] : ['nic', 'subnet'];
  return refs.map((r) => (r.nsgName === 'admin' ? `a:${r.rule}` : `${names.indexOf(r.nsgName)}:${r.rule}`));
}

describe('security admin rules before the NSGs agree with the brute-force reference', () => {
  it('decides random flows through random admin rules and NSGs like the reference', () => {
    fc.assert(
      fc.property(
        adminShape,
        fc.option(nsgShape, { nil: undefined }),
        fc.option(nsgShape, { nil: undefined }),
        envShape,
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        (admin, subnet, nic, env, picks) => {
          const ctx = contextFor(env);
          const layers: Layers = {
            admin: { nsg: engineAdmin(admin), ctx },
            ...(subnet ? { subnet: { nsg: parsed(rawNsg('subnet', subnet.rules, subnet.shapes, subnet.form)), ctx } } : {}),
            ...(nic ? { nic: { nsg: parsed(rawNsg('nic', nic.rules, nic.shapes, nic.form)), ctx } } : {}),
          };
          const all: RefRule[] = [...admin, ...(subnet?.rules ?? []), ...(nic?.rules ?? [])];
          const pool = addressPool(ruleCidrs(all, env), NAMED_ATOMS);
          const ports = portPool(all, 8);
          for (let i = 0; i + 4 < picks.length; i += 5) {
            const flow = pickFlow(picks, i, pool, ports);
            const expected = refWithAdmin(admin, subnet?.rules, nic?.rules, flow, env);
            const actual = evaluateComposed(layers, toFlow(flow));
            agree({ access: actual.access, decidedBy: chainOf(actual.decidedBy, flow.direction) }, expected, `flow ${JSON.stringify(toFlow(flow))}`);
          }
        },
      ),
      { seed: 13, numRuns: 1000 },
    );
  });

  it('splits query regions exactly with admin rules: every class of flows lies in one part with the reference verdict', () => {
    fc.assert(
      fc.property(
        adminShape,
        fc.option(nsgShape, { nil: undefined }),
        envShape,
        fc.constantFrom('Inbound', 'Outbound'),
        fc.constantFrom(...PROTOCOLS),
        (admin, subnet, env, direction, protocol) => {
          const ctx = contextFor(env);
          const layers: Layers = {
            admin: { nsg: engineAdmin(admin), ctx },
            ...(subnet ? { subnet: { nsg: parsed(rawNsg('subnet', subnet.rules, subnet.shapes, subnet.form)), ctx } } : {}),
          };
          const maxPort = 3;
          const queryPorts: PortSet = portSet([[0, maxPort]]);
          const remoteSet = namedSet(ctx, '*');
          const localSet = addressesFromPrefixes(['10.1.2.0/24', '2001:db8::/32']).set;
          const analysis = analyzeRegion(layers, { direction: direction as 'Inbound' | 'Outbound', protocol, remote: remoteSet, local: localSet, sourcePorts: queryPorts, destinationPorts: queryPorts });
          const all: RefRule[] = [...admin, ...(subnet?.rules ?? [])];
          const named = NAMED_ATOMS.filter((t) => all.some((r) => [...r.src, ...r.dst].some((e) => e.toLowerCase() === t)));
          const pool = addressPool([...ruleCidrs(all, env), '10.1.2.0/24', '2001:db8::/32'], named);
          const locals = pool.filter((a) => a.kind === 'ip' && (inCidr(a, refCidr('10.1.2.0/24')) || inCidr(a, refCidr('2001:db8::/32'))));
          const ported = protocol === 'Tcp' || protocol === 'Udp';
          const ports = ported ? portPool(all, maxPort) : [-1];
          const engineAddr = (a: RefAddr): string | Ip => parseIp(refFormat(a)) ?? refFormat(a);
          for (const remote of pool) {
            const remoteParts = analysis.parts.filter((p) => addressContains(p.remote, engineAddr(remote)));
            for (const local of locals) {
              if (!compatible(remote, local)) continue;
              const localParts = remoteParts.filter((p) => addressContains(p.local, engineAddr(local)));
              for (const sp of ports) {
                for (const dp of ports) {
                  const inbound = direction === 'Inbound';
                  const flow: RefFlow = { direction: direction as 'Inbound' | 'Outbound', protocol, src: inbound ? remote : local, dst: inbound ? local : remote, sp, dp };
                  const holders = localParts.filter((p) => !ported || (portContains(p.sourcePorts ?? [], sp) && portContains(p.destinationPorts ?? [], dp)));
                  agree(holders.length, 1, `parts holding flow ${JSON.stringify(toFlow(flow))}`);
                  const part = holders[0];
                  agree(
                    { access: part?.access, decidedBy: chainOf(part?.decidedBy ?? [], flow.direction) },
                    refWithAdmin(admin, subnet?.rules, undefined, flow, env),
                    `flow ${JSON.stringify(toFlow(flow))}`,
                  );
                }
              }
            }
          }
          for (const part of analysis.parts) {
            agree(part.access, refWithAdmin(admin, subnet?.rules, undefined, fromFlow(part.witness), env).access, `witness ${JSON.stringify(part.witness)}`);
          }
        },
      ),
      { seed: 31, numRuns: 200 },
    );
  });
});
